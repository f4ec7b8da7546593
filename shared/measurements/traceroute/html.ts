/** A traceroute in an email: the hop table (TTL, address, name, RTTs, loss) and whether it arrived. */
import { formatLossShort, formatMs3 } from '../../render/format.ts';
import { escapeHtml, TABLE, TD, TDR, TH } from '../../render/html-style.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { HtmlKit, TypeHtmlOptions } from '../../render/measurement-renderers.ts';

/** The HTML block of one traceroute part. */
export function tracerouteHtml(p: FoldPart, o: TypeHtmlOptions, kit: HtmlKit): string {
  const out = [kit.heading(p, 'traceroute to')];
  const rows: string[] = [];
  // Every hop event, a repeated TTL too, in TTL order.
  for (const hop of [...p.hopEvents].sort((a, b) => a.ttl - b.ttl)) {
    if (hop.responders.length === 0) {
      rows.push(`<tr><td style="${TDR}" data-label="hop">${hop.ttl}</td><td style="${TD}" data-label="address">*</td><td style="${TD}" data-label="name"></td><td style="${TDR}" data-label="rtt">* * *</td><td style="${TDR}" data-label="loss">${escapeHtml(formatLossShort(hop.lossPct))}</td></tr>`);
      continue;
    }
    hop.responders.forEach((r, i) => {
      const rtts = r.rttsMs.map((v) => `${formatMs3(v)} ms`).join('  ');
      rows.push(
        '<tr>' +
          `<td style="${TDR}" data-label="hop">${i === 0 ? hop.ttl : ''}</td>` +
          `<td style="${TD}" data-label="address">${escapeHtml(r.address)}${r.annotation ? ` <b>${escapeHtml(r.annotation)}</b>` : ''}</td>` +
          `<td style="${TD}" data-label="name">${escapeHtml(r.name ?? '')}</td>` +
          `<td style="${TDR}" data-label="rtt">${escapeHtml(rtts)}</td>` +
          `<td style="${TDR}" data-label="loss">${i === 0 ? escapeHtml(formatLossShort(hop.lossPct)) : ''}</td>` +
          '</tr>',
      );
    });
  }
  out.push(
    `<table style="${TABLE}" class="mp-cards"><tr class="mp-head"><th style="${TH}">hop</th><th style="${TH}">address</th><th style="${TH}">name</th><th style="${TH}">rtt</th><th style="${TH}">loss</th></tr>` +
      rows.join('') + '</table>',
  );
  if (p.summary) {
    const s = p.summary;
    out.push(`<p style="margin:0 0 8px 0;color:#666">${s.reached === false ? 'destination not reached' : 'destination reached'}` +
      `${s.hops !== undefined ? ` in ${s.hops} hop${s.hops === 1 ? '' : 's'}` : ''}</p>`);
  }
  const pic = o.picture?.(p);
  if (pic) out.push(`<p style="margin:4px 0 8px 0"><img src="${escapeHtml(pic.src)}" alt="${escapeHtml(pic.alt)}" style="max-width:100%;height:auto;border:1px solid #ddd"></p>`);
  for (const e of p.errors) out.push(kit.errorLine(e));
  return out.join('\n');
}
