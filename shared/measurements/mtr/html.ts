/** mtr in an email: the report table (hop, host, Loss %, Snt, Last, Avg, Best, Wrst, StDev). */
import { compactInfo } from '../../net/address-info.ts';
import { escapeHtml, TABLE, TD, TDR, TH } from '../../render/html-style.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { HtmlKit, TypeHtmlOptions } from '../../render/measurement-renderers.ts';
import { currentMtrHops } from './mtr-stats.ts';

/** The HTML block of one mtr part. */
export function mtrHtml(p: FoldPart, o: TypeHtmlOptions, kit: HtmlKit): string {
  const out = [kit.heading(p, 'mtr to')];
  // The picture of the paths of several agents to this target comes first: the overview, then each agent's table.
  const pic = o.picture?.(p);
  if (pic) out.unshift(`<p style="margin:8px 0 4px 0"><img src="${escapeHtml(pic.src)}" alt="${escapeHtml(pic.alt)}" style="max-width:100%;height:auto;border:1px solid #ddd"></p>`);
  const f1 = (x: number | undefined) => (x === undefined ? '' : x.toFixed(1));
  const rows = currentMtrHops(p.hops).map((h) => {
      const hosts = h.responders.length
        ? h.responders.map((r) => `${escapeHtml(r.name ?? r.address)}${r.info ? ` <small>${escapeHtml(compactInfo(r.info))}</small>` : ''}`).join('<br>')
        : '???';
      const r = h.rtt;
      const loss = `${h.lossPct.toFixed(1)}%${h.rateLimited ? ' <small>(rate-limited)</small>' : ''}`;
      return `<tr><td style="${TDR}">${h.ttl}</td><td style="${TD}">${hosts}</td><td style="${TDR}">${loss}</td><td style="${TDR}">${h.sent}</td>` +
        [r?.lastMs, r?.avgMs, r?.bestMs, r?.worstMs, r?.stdevMs].map((x) => `<td style="${TDR}">${f1(x)}</td>`).join('') + '</tr>';
    });
  const head = ['hop', 'host', 'Loss%', 'Snt', 'Last', 'Avg', 'Best', 'Wrst', 'StDev'].map((x) => `<th style="${TH}">${x}</th>`).join('');
  out.push(`<table style="${TABLE}"><tr>${head}</tr>${rows.join('')}</table>`);
  for (const e of p.errors) out.push(kit.errorLine(e));
  return out.join('\n');
}
