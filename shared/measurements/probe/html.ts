/** A sweep in an email: hosts up of total and the answering hosts with their RTT, coloured by latency. */
import { formatPingTime } from '../../render/format.ts';
import { escapeHtml, latencyColour, TABLE, TD, TDR, TH } from '../../render/html-style.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { HtmlKit, TypeHtmlOptions } from '../../render/measurement-renderers.ts';

/** The HTML block of one sweep part. */
export function probeHtml(p: FoldPart, o: TypeHtmlOptions, kit: HtmlKit): string {
  const out = [kit.heading(p, 'sweep of')];
  const total = p.summary?.hostsTotal ?? p.hostsSeen;
  const upCount = p.summary?.hostsUp ?? p.upCount;
  out.push(`<p style="margin:0 0 4px 0">${upCount} of ${total} host${total === 1 ? '' : 's'} answered</p>`);
  if (p.up.length) {
    const shown = p.up.slice(0, o.maxSweepHosts);
    out.push(
      `<table style="${TABLE}"><tr><th style="${TH}">address</th><th style="${TH}">rtt</th></tr>` +
        shown.map((h) => `<tr><td style="${TD}">${escapeHtml(h.address)}</td><td style="${TDR};background:${latencyColour(h.rttMs)}">${escapeHtml(formatPingTime(h.rttMs))} ms</td></tr>`).join('') +
        '</table>',
    );
    if (p.upCount > shown.length) out.push(`<p style="margin:0 0 8px 0;color:#666">… and ${p.upCount - shown.length} more</p>`);
  }
  if (p.summary?.kernelDrops) out.push(`<p style="margin:0 0 8px 0;color:#666">${p.summary.kernelDrops} replies dropped by the kernel (receive buffer full)</p>`);
  for (const e of p.errors) out.push(kit.errorLine(e));
  return out.join('\n');
}
