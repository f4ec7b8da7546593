/**
 * mtr's text: while it runs, each hop once as it is first seen; at the end the report as
 * `mtr -r` prints it (the `mtr -rz` AS column when enrichment gave one), ECMP responders on
 * lines of their own below their hop, and a note under the table for rate-limited hops.
 */
import type { HopEvent, StartEvent } from '../../model/events.ts';
import { compactAsLine, compactInfo } from '../../net/address-info.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { LiveOptions, PartTextRenderer } from '../../render/measurement-renderers.ts';
import { numParam } from '../../render/num-param.ts';
import { currentMtrHops } from './mtr-stats.ts';

/** The text of one mtr part: it remembers which TTLs it has shown live. */
export function mtrText(): PartTextRenderer {
  const seen = new Set<number>();
  return {
    start(e: StartEvent): string[] {
      const rounds = numParam(e.params['count']);
      const hops = numParam(e.params['maxHops']);
      return [`mtr to ${e.target} (${e.address})${rounds !== undefined ? `, ${rounds} rounds` : ''}${hops !== undefined ? `, ${hops} hops max` : ''}`];
    },
    hop(e: HopEvent): string[] {
      if (seen.has(e.ttl) || seen.size >= 255) return [];
      if (e.responders.length === 0 && e.received === 0 && e.sent === 0) return [];
      seen.add(e.ttl);
      const who = e.responders.map((r) => hostOf(r)).join(' ') || '???';
      return [`${String(e.ttl).padStart(3)}. ${who}`];
    },
    summary: (_e, p) => mtrReportLines(p),
  };
}

function hostOf(r: HopEvent['responders'][number]): string {
  const info = compactInfo(r.info);
  return `${r.name ?? r.address}${info ? ` [${info}]` : ''}`;
}

const f1 = (x: number | undefined, w: number) => (x ?? 0).toFixed(1).padStart(w);

/** `mtr -r`'s table of a part's latest hop events (HOST: the agent). */
export function mtrReportLines(p: FoldPart): string[] {
  const hops = currentMtrHops(p.hops);
  const asCol = hops.some((h) => h.responders.some((r) => r.info?.asn !== undefined || r.info?.originAsn !== undefined));
  const asOf = (r: HopEvent['responders'][number] | undefined) => {
    const n = r?.info?.asn ?? r?.info?.originAsn;
    return (n !== undefined ? `AS${n}` : 'AS???').padEnd(9);
  };
  const out = [`HOST: ${p.agent.padEnd(28)}Loss%   Snt   Last   Avg  Best  Wrst StDev`];
  for (const h of hops) {
    const first = h.responders[0];
    const name = first ? (first.name ?? first.address) : '???';
    const lead = `${String(h.ttl).padStart(3)}.${asCol ? ` ${asOf(first)}` : '|-- '}`;
    const host = `${lead}${name}`.padEnd(33);
    const r = h.rtt;
    out.push(`${host}${f1(h.lossPct, 5)}%${String(h.sent).padStart(6)}${f1(r?.lastMs, 7)}${f1(r?.avgMs, 6)}${f1(r?.bestMs, 6)}${f1(r?.worstMs, 6)}${f1(r?.stdevMs, 6)}`);
    for (const extra of h.responders.slice(1)) out.push(`${' '.repeat(lead.length)}${extra.name ?? extra.address}`);
  }
  const limited = hops.filter((h) => h.rateLimited).map((h) => h.ttl);
  if (limited.length) {
    out.push(`hop${limited.length > 1 ? 's' : ''} ${limited.join(', ')}: loss not carried on to later hops (the router limits its answers, the path is fine)`);
  }
  return out;
}

/** Columns of the host in the phone table: an IPv4 address whole. */
const HOST = 15;

/** `a` in at most {@link HOST} columns: whole when it fits, else its last characters after `…`. */
function phoneHost(a: string): string {
  return a.length <= HOST ? a : `…${a.slice(a.length - HOST + 1)}`;
}

/**
 * mtr's table for a phone and for redrawing in place (at most 36 columns): the start line, then
 * per hop its TTL, the responder, Loss%, Snt and Avg (the Details reply and the report have every
 * column); further ECMP responders on lines of their own, and under a hop the network the hub's
 * enrichment knows for it (`AS64500 Example Net`). Drawn whole from the fold each time. From 80
 * columns on (a terminal): the report's table.
 */
export function mtrLiveLines(p: FoldPart, o: LiveOptions = {}): string[] {
  if ((o.columns ?? 36) >= 80) return mtrReportLines(p);
  const s = p.start;
  const rounds = s ? numParam(s.params['count']) : undefined;
  const both = s && s.address !== s.target ? `mtr ${s.target} (${s.address})` : `mtr ${s?.target ?? p.target}`;
  const head = o.head === false ? [] : both.length <= 36 || !s ? [both] : [`mtr ${s.target}`, s.address.length <= 36 ? s.address : `…${s.address.slice(-35)}`];
  const hops = currentMtrHops(p.hops);
  const done = Math.max(0, ...hops.map((h) => h.round ?? 0));
  const out = [...head, `${p.agent}, round ${done}${rounds !== undefined ? `/${rounds}` : ''}`, ` #  ${'host'.padEnd(HOST)} loss snt    avg`];
  for (const h of hops) {
    const first = h.responders[0];
    const loss = `${Math.round(h.lossPct)}%`.padStart(4);
    const avg = h.rtt ? (h.rtt.avgMs >= 1000 ? h.rtt.avgMs.toFixed(0) : h.rtt.avgMs.toFixed(1)) : '-';
    out.push(`${String(h.ttl).padStart(2)}. ${phoneHost(first ? first.address : '???').padEnd(HOST)} ${loss} ${String(Math.min(h.sent, 999)).padStart(3)} ${avg.padStart(6)}`);
    for (const extra of h.responders.slice(1)) out.push(`    ${phoneHost(extra.address)}`);
    const as = compactAsLine(first?.info, 32);
    if (as) out.push(`    ${as}`);
  }
  const limited = hops.filter((h) => h.rateLimited).map((h) => h.ttl);
  if (limited.length) out.push(`rate-limited, not loss: ${limited.join(', ')}`.slice(0, 36));
  return out;
}
