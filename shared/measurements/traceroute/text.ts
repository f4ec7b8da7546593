/**
 * A traceroute's text, as `traceroute -n` prints it: the header, then one line per TTL in TTL
 * order (a hop that arrives early waits for the lower ones; when the part ends, the waiting
 * hops are written out, gaps skipped).
 */
import type { HopEvent, StartEvent } from '../../model/events.ts';
import { Defaults } from '../../registry.ts';
import { formatMs3, formatPingTime } from '../../render/format.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { PartTextRenderer, TypeTextOptions } from '../../render/measurement-renderers.ts';
import { numParam } from '../../render/num-param.ts';
import { normalizeIp } from '../../net/ip-address.ts';
import { compactAsLine } from '../../net/address-info.ts';

/** Columns of a phone line (shared/render/compact-matrix.ts's PHONE_COLUMNS, not imported to keep this leaf light). */
const PHONE = 36;
/** Indent of a hop's continuation lines (a name, another responder): under the address. */
const INDENT = '    ';

/** The text of one traceroute part: it remembers the next TTL to print. */
export function tracerouteText(): PartTextRenderer {
  let nextTtl = 1;
  /** Hops folded but not printed yet: those at or above the next TTL. */
  const pending = (p: FoldPart): number[] => [...p.hops.keys()].filter((t) => t >= nextTtl);
  /**
   * The pending hops that are next in TTL order (`all`: every pending hop, skipping gaps).
   * Bounded by construction: each round prints a hop or jumps to the lowest pending TTL above
   * the current one, so it ends within twice the number of pending hops (≤ 255).
   */
  let compact = false;
  let full = false;
  const lines = (h: HopEvent): string[] => (compact ? compactHopLines(h, { fullAddresses: full }) : [hopLine(h)]);
  const flushHops = (p: FoldPart, all: boolean): string[] => {
    const out: string[] = [];
    for (let rounds = 2 * pending(p).length + 1; rounds > 0; rounds--) {
      const h = p.hops.get(nextTtl);
      if (h) {
        out.push(...lines(h));
        nextTtl++;
        continue;
      }
      const waiting = pending(p);
      if (!all || waiting.length === 0) break;
      const next = Math.min(...waiting);
      if (!(next > nextTtl)) break; // not an integer TTL above the current one: cannot happen after saneEvent
      nextTtl = next;
    }
    return out;
  };
  return {
    start(e: StartEvent, _p?: FoldPart, o?: TypeTextOptions): string[] {
      compact = o?.compact ?? false;
      full = o?.fullAddresses ?? false;
      const hops = numParam(e.params['maxHops']) ?? Defaults.maxHops;
      const first = numParam(e.params['firstTtl']);
      if (first !== undefined) nextTtl = Math.min(255, Math.max(1, Math.round(first)));
      const bytes = numParam(e.params['packetBytes']);
      if (compact) {
        if (e.address === e.target) return [`traceroute to ${e.target}`, 'times in ms'];
        const both = `(${e.address}), times in ms`;
        return [`traceroute to ${e.target}`, ...(both.length <= PHONE ? [both] : [`(${e.address})`, 'times in ms'])];
      }
      return [`traceroute to ${e.target} (${e.address}), ${hops} hops max${bytes !== undefined ? `, ${bytes} byte packets` : ''}`];
    },
    hop(e: HopEvent, p: FoldPart): string[] {
      // Below the next TTL: a repeated TTL, printed as it comes.
      if (e.ttl < nextTtl) return lines(e);
      return flushHops(p, false);
    },
    flush: (p) => flushHops(p, true),
    summary: (_e, p) => flushHops(p, true),
  };
}

/** Options of {@link compactHopLines}. */
export interface CompactHopOptions {
  /** Keep long IPv6 addresses whole (a Details reply). Default false: shortened to fit. */
  fullAddresses?: boolean;
}

/**
 * A hop for a phone, in lines of at most 36 columns where the data allows: the TTL, the first
 * responder's address and its RTTs without the unit (the header says ms) in iputils' short form,
 * `*` per lost probe: `12  198.18.0.1 1.23 1.19 1.30`. A reverse-DNS name goes on the same line as
 * `traceroute` prints it (`name (address)`) when that fits, else on a short line of its own under
 * the address, and is left out only when even that line would be too long (the Details reply and
 * the email keep it). Further responders (ECMP) get a line each, under the first. A long IPv6
 * address keeps its last groups (`…:def0:1:2`) when the line would not fit otherwise. The
 * network the hub's enrichment knows for a responder (`AS64500 Example Net`, the organisation cut
 * to fit) goes on a line of its own under it.
 */
export function compactHopLines(h: HopEvent, o: CompactHopOptions = {}): string[] {
  const responders = h.responders ?? [];
  const answered = responders.reduce((n, r) => n + (r.rttsMs?.length ?? 0), 0);
  const lost = Math.min(255, Math.max(0, (h.sent ?? 0) - Math.max(h.received ?? 0, answered)) || 0);
  const stars = ' *'.repeat(lost || (answered === 0 && responders.length === 0 ? 1 : 0));
  const ttl = String(h.ttl).padStart(2);
  if (responders.length === 0) return [ttl + stars];
  const out: string[] = [];
  responders.forEach((r, i) => {
    const lead = i === 0 ? `${ttl}  ` : INDENT;
    const tail = `${r.annotation ? ` ${r.annotation}` : ''}${(r.rttsMs ?? []).map((v) => ` ${formatPingTime(v)}`).join('')}${i === responders.length - 1 ? stars : ''}`;
    const room = PHONE - lead.length - tail.length;
    const address = o.fullAddresses ? r.address : shortAddress(r.address, room);
    const named = r.name ? `${r.name} (${r.address})` : undefined;
    if (named && named.length <= room) out.push(lead + named + tail);
    else {
      out.push(lead + address + tail);
      if (r.name && INDENT.length + r.name.length <= PHONE) out.push(INDENT + r.name);
    }
    // The responder's network (AS and a short organisation) on a line of its own, under it.
    const as = compactAsLine(r.info, PHONE - INDENT.length);
    if (as) out.push(INDENT + as);
  });
  return out;
}

/**
 * An address in at most `room` columns where it can be: an IPv6 address compressed (RFC 5952)
 * and, when still too long, cut to its last groups after `…` (never fewer than the last group).
 * IPv4 addresses and anything that fits are returned as they are.
 */
export function shortAddress(address: string, room: number): string {
  if (address.length <= room || !address.includes(':')) return address;
  const s = normalizeIp(address) ?? address;
  if (s.length <= room) return s;
  // Suffixes from a ':' on, longest first: the first that fits wins (`…:def0:1:2`, `…::1`).
  for (let i = s.indexOf(':'); i >= 0; i = s.indexOf(':', i + 1)) {
    if (1 + s.length - i <= room) return `…${s.slice(i)}`;
  }
  return `…${s.slice(s.lastIndexOf(':'))}`;
}

/**
 * One hop line as `traceroute -n` prints it: the TTL right-aligned in two columns, each
 * responder with its round trips (`name (address)` when reverse DNS is known), `*` per lost probe.
 */
export function hopLine(h: HopEvent): string {
  let line = `${String(h.ttl).padStart(2)} `;
  for (const r of h.responders ?? []) {
    line += ` ${r.name ? `${r.name} (${r.address})` : r.address}`;
    const note = r.annotation ? ` ${r.annotation}` : '';
    for (const rtt of r.rttsMs ?? []) line += `  ${formatMs3(rtt)} ms${note}`;
    if ((r.rttsMs ?? []).length === 0 && note) line += note;
  }
  const answered = (h.responders ?? []).reduce((n, r) => n + (r.rttsMs?.length ?? 0), 0);
  // At most 255 stars (a hop sends far fewer probes): bounded whatever `sent` says.
  const lost = Math.min(255, Math.max(0, (h.sent ?? 0) - Math.max(h.received ?? 0, answered)) || 0);
  line += ' *'.repeat(lost || (answered === 0 && (h.responders ?? []).length === 0 ? 1 : 0));
  return line;
}
