/**
 * A sweep in an email: the answer (hosts up of total), the picture of the prefix when the answer
 * carries it (title, axes, legend with counts: shared/render/probe-picture.ts), and the live
 * hosts as compact ranges (`198.18.3.1-40, .42-.90`) instead of a row per host.
 */
import { compactAddresses } from '../../render/compact-addresses.ts';
import { escapeHtml, PRE } from '../../render/html-style.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { HtmlKit, TypeHtmlOptions } from '../../render/measurement-renderers.ts';

/** The HTML block of one sweep part. */
export function probeHtml(p: FoldPart, o: TypeHtmlOptions, kit: HtmlKit): string {
  const out = [kit.heading(p, 'sweep of')];
  const total = p.summary?.hostsTotal ?? p.hostsSeen;
  const upCount = p.summary?.hostsUp ?? p.upCount;
  out.push(`<p style="margin:0 0 4px 0"><b>${upCount} of ${total} host${total === 1 ? '' : 's'} answered</b></p>`);
  const pic = o.picture?.(p);
  if (pic) out.push(`<p style="margin:4px 0"><img src="${escapeHtml(pic.src)}" alt="${escapeHtml(pic.alt)}" style="max-width:100%;height:auto;border:1px solid #ddd"></p>`);
  if (p.up.length) {
    const ranges = compactAddresses(p.up.map((h) => h.address), 100);
    out.push(`<p style="margin:4px 0 2px 0">alive:</p><pre style="${PRE}">${escapeHtml(ranges.join('\n'))}</pre>`);
    if (p.upCount > p.up.length) out.push(`<p style="margin:0 0 8px 0;color:#666">… and ${p.upCount - p.up.length} more</p>`);
  }
  if (p.summary?.kernelDrops) out.push(`<p style="margin:0 0 8px 0;color:#666">${p.summary.kernelDrops} replies dropped by the kernel (receive buffer full)</p>`);
  for (const e of p.errors) out.push(kit.errorLine(e));
  return out.join('\n');
}
