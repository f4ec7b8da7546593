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
  const flushHops = (p: FoldPart, all: boolean): string[] => {
    const lines: string[] = [];
    for (let rounds = 2 * pending(p).length + 1; rounds > 0; rounds--) {
      const h = p.hops.get(nextTtl);
      if (h) {
        lines.push(compact ? compactHopLine(h) : hopLine(h));
        nextTtl++;
        continue;
      }
      const waiting = pending(p);
      if (!all || waiting.length === 0) break;
      const next = Math.min(...waiting);
      if (!(next > nextTtl)) break; // not an integer TTL above the current one: cannot happen after saneEvent
      nextTtl = next;
    }
    return lines;
  };
  return {
    start(e: StartEvent, _p?: FoldPart, o?: TypeTextOptions): string[] {
      compact = o?.compact ?? false;
      const hops = numParam(e.params['maxHops']) ?? Defaults.maxHops;
      const first = numParam(e.params['firstTtl']);
      if (first !== undefined) nextTtl = Math.min(255, Math.max(1, Math.round(first)));
      const bytes = numParam(e.params['packetBytes']);
      if (compact) return [`traceroute to ${e.target}`, ...(e.address !== e.target ? [`(${e.address}), times in ms`] : ['times in ms'])];
      return [`traceroute to ${e.target} (${e.address}), ${hops} hops max${bytes !== undefined ? `, ${bytes} byte packets` : ''}`];
    },
    hop(e: HopEvent, p: FoldPart): string[] {
      // Below the next TTL: a repeated TTL, printed as it comes.
      if (e.ttl < nextTtl) return [compact ? compactHopLine(e) : hopLine(e)];
      return flushHops(p, false);
    },
    flush: (p) => flushHops(p, true),
    summary: (_e, p) => flushHops(p, true),
  };
}

/**
 * One hop line for a phone: the TTL, each responder's address, its RTTs without the unit (the
 * header says ms) in iputils' short form, `*` per lost probe: `12  198.18.0.1  1.23 1.19 1.30`.
 */
export function compactHopLine(h: HopEvent): string {
  let line = String(h.ttl).padStart(2);
  for (const r of h.responders ?? []) {
    line += `  ${r.address}${r.annotation ? ` ${r.annotation}` : ''}`;
    if ((r.rttsMs ?? []).length) line += ' ' + (r.rttsMs ?? []).map((v) => formatPingTime(v)).join(' ');
  }
  const answered = (h.responders ?? []).reduce((n, r) => n + (r.rttsMs?.length ?? 0), 0);
  const lost = Math.min(255, Math.max(0, (h.sent ?? 0) - Math.max(h.received ?? 0, answered)) || 0);
  return line + ' *'.repeat(lost || (answered === 0 && (h.responders ?? []).length === 0 ? 1 : 0));
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
