/**
 * A path (one-shot trace or repeated rounds) of one agent × target: the hop table with the
 * hub's enrichment (ASN, name, place, special-range label) when present, and a picture of the
 * path on a canvas that can be saved as PNG.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { HopEvent, HopResponder } from '../../shared/model/events.ts';
import type { FoldPart } from '../../shared/render/measurement-fold.ts';
import { html, lossClass, ms } from '../html.ts';

function place(r: HopResponder): string {
  const i = r.info;
  if (!i) return '';
  return [i.city, i.country].filter(Boolean).join(', ');
}

function network(r: HopResponder): string {
  const i = r.info;
  if (!i) return '';
  if (i.label) return i.label;
  return i.asn !== undefined ? `AS${i.asn}${i.asName ? ` ${i.asName}` : ''}` : '';
}

function rttText(h: HopEvent, r: HopResponder): string {
  if (h.rtt) return `${ms(h.rtt.lastMs)} / ${ms(h.rtt.avgMs)} / ${ms(h.rtt.bestMs)} / ${ms(h.rtt.worstMs)}`;
  return r.rttsMs.map(ms).join('  ');
}

export function PathView(props: { part: FoldPart; tick: number }) {
  const hops = [...props.part.hops.values()].sort((a, b) => a.ttl - b.ttl);
  const rounds = hops.some((h) => h.round !== undefined);
  return html`<div class="path">
    <div class="scroll"><table class="hops">
      <thead><tr><th>#</th><th>address</th><th>name</th><th>network</th><th>place</th><th>loss</th><th>${rounds ? 'last / avg / best / worst ms' : 'RTT ms'}</th></tr></thead>
      <tbody>${hops.flatMap((h) =>
        h.responders.length === 0
          ? [html`<tr class="hop" data-ttl=${h.ttl}><td>${h.ttl}</td><td>*</td><td></td><td></td><td></td><td class=${lossClass(h.lossPct)}>${h.lossPct.toFixed(0)}%</td><td></td></tr>`]
          : h.responders.map(
              (r, i) => html`<tr class="hop" data-ttl=${h.ttl}>
                <td>${i === 0 ? h.ttl : ''}</td><td class="addr">${r.address}${r.annotation ? ` ${r.annotation}` : ''}</td><td>${r.name ?? ''}</td>
                <td>${network(r)}</td><td>${place(r)}</td>
                <td class=${lossClass(h.lossPct)}>${i === 0 ? `${h.lossPct.toFixed(0)}%` : ''}</td><td class="num">${rttText(h, r)}</td></tr>`,
            ),
      )}</tbody>
    </table></div>
    <${PathPicture} hops=${hops} title=${`${props.part.agent} → ${props.part.target}`} tick=${props.tick} />
  </div>`;
}

/** The path as a picture: one node per hop, top to bottom, labelled; white background, so the PNG reads anywhere. */
function PathPicture(props: { hops: HopEvent[]; title: string; tick: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [href, setHref] = useState('');
  const rowH = 34;
  const width = 560;
  const height = 40 + Math.max(1, props.hops.length) * rowH;
  useEffect(() => {
    const c = ref.current!.getContext('2d')!;
    c.fillStyle = '#ffffff';
    c.fillRect(0, 0, width, height);
    c.fillStyle = '#181820';
    c.font = 'bold 14px system-ui, sans-serif';
    c.fillText(props.title.slice(0, 70), 12, 22);
    c.strokeStyle = '#8a93a6';
    c.lineWidth = 2;
    c.beginPath();
    c.moveTo(30, 40);
    c.lineTo(30, height - rowH / 2);
    c.stroke();
    props.hops.forEach((h, i) => {
      const y = 40 + i * rowH + rowH / 2;
      const r = h.responders[0];
      c.fillStyle = !r ? '#b0b5c0' : h.lossPct >= 100 ? '#d33' : h.lossPct > 0 ? '#e0a000' : '#1fa34a';
      c.beginPath();
      c.arc(30, y, 8, 0, Math.PI * 2);
      c.fill();
      c.fillStyle = '#181820';
      c.font = '12px ui-monospace, monospace';
      const rtt = h.rtt ? h.rtt.avgMs : r?.rttsMs.length ? r.rttsMs.reduce((a, b) => a + b, 0) / r.rttsMs.length : null;
      const label = r ? `${h.ttl}  ${r.address}${r.name ? ` (${r.name})` : ''}  ${rtt === null ? '' : `${ms(rtt)} ms`}` : `${h.ttl}  *`;
      c.fillText(label.slice(0, 72), 48, y + 4);
      const info = r?.info;
      if (info?.asn !== undefined || info?.label) {
        c.fillStyle = '#5a6275';
        c.fillText((info.label ?? `AS${info.asn}`).slice(0, 24), width - 150, y + 4);
      }
    });
    if (href) URL.revokeObjectURL(href);
    ref.current!.toBlob((b) => b && setHref(URL.createObjectURL(b)), 'image/png');
  }, [props.tick, props.hops.length]);
  return html`<figure class="path-picture">
    <canvas ref=${ref} width=${width} height=${height} role="img" aria-label=${`path ${props.title}`}></canvas>
    ${href ? html`<a class="button" href=${href} download="meshprobe-path.png">Save as PNG</a>` : null}
  </figure>`;
}
