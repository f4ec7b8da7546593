/**
 * The plain-text renderer: events in, iputils-style text out (design §7). Used by the CLI,
 * POST /v1/cli, Telegram and the text part of email, so every front-end prints the same lines.
 *
 * Choices where iputils has no answer:
 * - Timeouts print nothing, as iputils does by default; `timeouts: true` prints iputils' `-O`
 *   line `no answer yet for icmp_seq=N`.
 * - Reply lines show the responder's address only (like `ping -n`): reverse lookups are the
 *   agent's business, not the renderer's.
 * - After the iputils statistics block comes one meshprobe line: `rtt p50/p90/p99 = … ms`.
 * - Several agents: every line of an agent gets an `[agent] ` prefix, and a ping ends with the
 *   agents × targets matrix (also with one agent and several targets).
 * - Several targets: every line of a part names its target too, `[target] ` with one agent and
 *   `[agent → target] ` with several, so that `From 198.18.1.1 icmp_seq=1 Destination Host
 *   Unreachable` or a hop line says which of the interleaved measurements it belongs to.
 * - Whatever arrives is first made well-formed and bounded (shared/model/event-guard.ts): a hop TTL
 *   is an integer 1..255, counts and times are finite, unknown events are skipped. Every loop
 *   here is bounded by what it was fed.
 */
import type { HopEvent, MeasurementEvent, StartEvent, SummaryEvent } from '../model/events.ts';
import { formatDurationMs, formatLossPct, formatMs3, formatPingTime } from './format.ts';
import { Defaults } from '../model/spec.ts';
import { parseCidr, parseIp, prefixSize } from '../net/cidr.ts';
import { PingMatrix } from './ping-matrix.ts';
import { saneEvent } from '../model/event-guard.ts';
import { formatIpRange } from '../net/ip-address.ts';

/** Options of {@link TextRenderer}. */
export interface TextRendererOptions {
  /**
   * Prefix every per-agent line with `[agent] `. Default: false, switched on by itself as soon
   * as events of a second agent arrive; front-ends that know the request asks for several agents
   * pass true so the first agent's lines are prefixed too.
   */
  multiAgent?: boolean;
  /**
   * Prefix every per-part line with its target (`[target] `, or `[agent → target] ` together
   * with {@link multiAgent}). Default: false, switched on by itself when events of a second
   * target arrive; front-ends that know the request names several targets pass true.
   */
  multiTarget?: boolean;
  /** Print `no answer yet for icmp_seq=N` for each timeout (iputils `-O`). Default: false. */
  timeouts?: boolean;
  /**
   * Print a probe summary's `PREFIX: N of M hosts up` line. Default: true. The CLI passes false
   * when it draws the sweep bitmap, whose caption (shared/measurements/probe/sweep-grid.ts) already gives the
   * counts right above; the live-host list is printed either way.
   */
  probeCounts?: boolean;
  /** iputils `-q`: no per-probe lines (replies, errors, timeouts); headers and summaries stay. */
  quiet?: boolean;
  /**
   * iputils `-D`: when event `e` happened, in ms since the Unix epoch (the clock, for a live
   * stream), stamped before each per-probe line as `[1700000000.123456] `.
   */
  timestamps?: (e: MeasurementEvent) => number;
}

interface Part {
  start?: StartEvent;
  icmpErrors: number;
  /** Traceroute hops waiting for a lower TTL, so lines come out in order. */
  pendingHops: Map<number, HopEvent>;
  nextTtl: number;
  hostsUp: string[];
  hostsSeen: number;
  finished: boolean;
}

/** Feeds events one at a time and returns the text each adds. Pure; never throws on odd input. */
export class TextRenderer {
  #multi: boolean;
  #multiTarget: boolean;
  #timeouts: boolean;
  #probeCounts: boolean;
  #parts = new Map<string, Part>();
  #agents = new Set<string>();
  #targets = new Set<string>();
  #matrix = new PingMatrix();
  #sawPing = false;
  #quiet: boolean;
  #clock: ((e: MeasurementEvent) => number) | undefined;

  constructor(o: TextRendererOptions = {}) {
    this.#multi = o.multiAgent ?? false;
    this.#multiTarget = o.multiTarget ?? false;
    this.#timeouts = o.timeouts ?? false;
    this.#probeCounts = o.probeCounts ?? true;
    this.#quiet = o.quiet ?? false;
    this.#clock = o.timestamps;
  }

  /** One per-probe line of a ping (reply, ICMP error, `-O` timeout): dropped by `-q`, stamped by `-D`. */
  #probeLine(e: MeasurementEvent & { agent: string }, line: string): string {
    if (this.#quiet) return '';
    const t = this.#clock?.(e);
    return this.#lines(e.agent, 'target' in e ? e.target : undefined, [t !== undefined && Number.isFinite(t) ? `[${(t / 1000).toFixed(6)}] ${line}` : line]);
  }

  #part(agent: string, target: string): Part {
    const k = `${agent}\u0000${target}`;
    let p = this.#parts.get(k);
    if (!p) {
      p = { icmpErrors: 0, pendingHops: new Map(), nextTtl: 1, hostsUp: [], hostsSeen: 0, finished: false };
      this.#parts.set(k, p);
    }
    return p;
  }

  /** `lines` of the part agent×target, each prefixed as the options and the stream so far ask. */
  #lines(agent: string | undefined, target: string | undefined, lines: string[]): string {
    const who = this.#multiTarget && target !== undefined
      ? (this.#multi && agent !== undefined ? `${agent} → ${target}` : target)
      : (this.#multi ? agent : undefined);
    const pre = who !== undefined ? `[${who}] ` : '';
    return lines.map((l) => (l === '' ? '\n' : `${pre}${l}\n`)).join('');
  }

  /** The text to append for `e` (possibly empty). Never throws, whatever `e` holds. */
  push(raw: MeasurementEvent): string {
    const e = saneEvent(raw);
    if (!e) return '';
    try {
      return this.#push(e);
    } catch (err) {
      // A malformed event must not take the whole output down with it.
      return `meshprobe: cannot render a ${e.type} event: ${err instanceof Error ? err.message : String(err)}\n`;
    }
  }

  #push(e: MeasurementEvent): string {
    if ('agent' in e && typeof e.agent === 'string') {
      this.#agents.add(e.agent);
      if (this.#agents.size > 1) this.#multi = true;
    }
    if ('target' in e && typeof e.target === 'string' && e.type !== 'error') {
      this.#targets.add(e.target);
      if (this.#targets.size > 1) this.#multiTarget = true;
    }
    this.#matrix.add(e);
    switch (e.type) {
      case 'start':
        return this.#start(e);
      case 'reply': {
        const p = this.#part(e.agent, e.target);
        const proto = p.start?.protocol ?? 'icmp';
        const time = `time=${formatPingTime(e.rttMs)} ms`;
        if (proto === 'icmp' && e.kind === undefined) {
          const ttl = e.ttl === null || e.ttl === undefined ? '' : ` ttl=${e.ttl}`;
          return this.#probeLine(e, `${e.bytes} bytes from ${e.from}: icmp_seq=${e.seq}${ttl} ${time}`);
        }
        const port = p.start?.params['port'];
        const where = port !== undefined ? `${e.from} port ${port}` : e.from;
        const kind = e.kind ? ` (${e.kind})` : '';
        return this.#probeLine(e, `reply from ${where}${kind}: ${proto}_seq=${e.seq} ${time}`);
      }
      case 'timeout': {
        if (!this.#timeouts) return '';
        return this.#probeLine(e, `no answer yet for icmp_seq=${e.seq}`);
      }
      case 'icmp-error': {
        const p = this.#part(e.agent, e.target);
        p.icmpErrors++;
        const mtu = e.mtu !== undefined && !/mtu/i.test(e.message) ? ` (mtu = ${e.mtu})` : '';
        return this.#probeLine(e, `From ${e.from} icmp_seq=${e.seq} ${e.message}${mtu}`);
      }
      case 'hop':
        return this.#hop(e);
      case 'host': {
        const p = this.#part(e.agent, e.target);
        p.hostsSeen++;
        if (e.rttMs !== null && e.rttMs !== undefined) p.hostsUp.push(e.address);
        return '';
      }
      case 'summary':
        return this.#summary(e);
      case 'error': {
        let out = '';
        if (e.agent !== undefined && e.target !== undefined) out += this.#flushHops(e.agent, e.target, this.#part(e.agent, e.target), true);
        return out + this.#lines(e.agent, e.target, [`meshprobe: ${e.message}`]);
      }
      case 'done':
        return this.#done();
      default:
        return '';
    }
  }

  #start(e: StartEvent): string {
    const p = this.#part(e.agent, e.target);
    p.start = e;
    const note = e.note ? [`note: ${e.note}`] : [];
    if (e.measurement === 'ping') {
      this.#sawPing = true;
      const size = numParam(e.params['size']) ?? Defaults.size;
      let head: string;
      if (e.protocol !== 'icmp') {
        const port = e.params['port'];
        head = `PING ${e.target} (${e.address}) ${e.protocol.toUpperCase()}${port !== undefined ? ` port ${port}` : ''}.`;
      } else if (e.family === 6) {
        // iputils prints no space before the parenthesis for IPv6 (ping6_common.c), unlike IPv4.
        head = `PING ${e.target}(${e.address}) ${size} data bytes`;
      } else {
        head = `PING ${e.target} (${e.address}) ${size}(${size + 28}) bytes of data.`;
      }
      return this.#lines(e.agent, e.target, [head, ...note]);
    }
    if (e.measurement === 'traceroute') {
      const hops = numParam(e.params['maxHops']) ?? Defaults.maxHops;
      const first = numParam(e.params['firstTtl']);
      if (first !== undefined) p.nextTtl = Math.min(255, Math.max(1, Math.round(first)));
      const bytes = numParam(e.params['packetBytes']);
      const head = `traceroute to ${e.target} (${e.address}), ${hops} hops max${bytes !== undefined ? `, ${bytes} byte packets` : ''}`;
      return this.#lines(e.agent, e.target, [head, ...note]);
    }
    // probe
    const c = parseCidr(e.address.includes('/') ? e.address : e.target);
    const n = c.ok ? String(prefixSize(c.prefix)) : '?';
    const rate = numParam(e.params['rate']) ?? Defaults.rate;
    const rateText = rate === 0 ? 'no rate limit' : `${rate} packets/s`;
    return this.#lines(e.agent, e.target, [`PROBE ${c.ok ? c.prefix.text : e.target}: ${n} addresses, ${rateText}`, ...note]);
  }

  #hop(e: HopEvent): string {
    const p = this.#part(e.agent, e.target);
    if (e.ttl < p.nextTtl) return this.#lines(e.agent, e.target, [hopLine(e)]);
    p.pendingHops.set(e.ttl, e);
    return this.#flushHops(e.agent, e.target, p, false);
  }

  /**
   * The pending hops that are next in TTL order (`all`: every pending hop, skipping gaps).
   * Bounded by construction: each round prints a pending hop or jumps to the lowest pending
   * TTL above the current one, so it ends within twice the number of pending hops (≤ 255).
   */
  #flushHops(agent: string, target: string, p: Part, all: boolean): string {
    const lines: string[] = [];
    for (let rounds = 2 * p.pendingHops.size + 1; rounds > 0; rounds--) {
      const h = p.pendingHops.get(p.nextTtl);
      if (h) {
        p.pendingHops.delete(p.nextTtl);
        lines.push(hopLine(h));
        p.nextTtl++;
        continue;
      }
      if (!all || p.pendingHops.size === 0) break;
      const next = Math.min(...p.pendingHops.keys());
      if (!(next > p.nextTtl)) break; // not an integer TTL above the current one: cannot happen after saneEvent
      p.nextTtl = next;
    }
    return this.#lines(agent, target, lines);
  }

  #summary(e: SummaryEvent): string {
    const p = this.#part(e.agent, e.target);
    p.finished = true;
    if (e.measurement === 'traceroute') return this.#flushHops(e.agent, e.target, p, true);
    if (e.measurement === 'probe') {
      const name = e.address ?? p.start?.address ?? e.target;
      const up = e.hostsUp ?? p.hostsUp.length;
      const total = e.hostsTotal ?? p.hostsSeen;
      const lines = this.#probeCounts ? [`${name}: ${up} of ${total} hosts up`] : [];
      if (p.hostsUp.length) lines.push(...compactAddresses(p.hostsUp).map((l) => `  ${l}`));
      if (e.kernelDrops) lines.push(`${name}: ${e.kernelDrops} replies dropped by the kernel (receive buffer full)`);
      return this.#lines(e.agent, e.target, lines);
    }
    const name = e.target;
    const errors = p.icmpErrors ? `, +${p.icmpErrors} errors` : '';
    const lines = [
      '',
      `--- ${name} ping statistics ---`,
      `${e.sent} packets transmitted, ${e.received} received${errors}, ${formatLossPct(e.lossPct)}% packet loss, time ${formatDurationMs(e.durationMs)}`,
    ];
    if (e.received > 0 && e.minMs !== null && e.avgMs !== null && e.maxMs !== null && e.mdevMs !== null) {
      lines.push(`rtt min/avg/max/mdev = ${formatMs3(e.minMs)}/${formatMs3(e.avgMs)}/${formatMs3(e.maxMs)}/${formatMs3(e.mdevMs)} ms`);
      if (e.p50Ms !== null && e.p90Ms !== null && e.p99Ms !== null) {
        lines.push(`rtt p50/p90/p99 = ${formatMs3(e.p50Ms)}/${formatMs3(e.p90Ms)}/${formatMs3(e.p99Ms)} ms`);
      }
    }
    return this.#lines(e.agent, e.target, lines);
  }

  #done(): string {
    let out = '';
    for (const [k, p] of this.#parts) {
      const [agent, target] = k.split('\u0000') as [string, string];
      if (p.pendingHops.size) out += this.#flushHops(agent, target, p, true);
    }
    if (this.#sawPing && this.#matrix.interesting) {
      out += ['', '--- matrix: avg rtt, loss ---', ...this.#matrix.toLines()].map((l) => `${l}\n`).join('');
    }
    return out;
  }
}

function numParam(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * One traceroute line as `traceroute -n` prints it: the TTL right-aligned in two columns, each
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

/**
 * Live hosts, compactly: consecutive addresses become ranges written by {@link formatIpRange}
 * (`127.1.0.1-254`, `2001:db8:3::1-2`, `a-b` when more than the last octet / group differs),
 * joined by commas and wrapped at about 72 characters. Anything not an address is left out.
 */
export function compactAddresses(addresses: readonly string[], width = 72): string[] {
  const parsed = addresses
    .map((a) => ({ a, ip: typeof a === 'string' ? parseIp(a) : undefined }))
    .filter((x) => x.ip !== undefined)
    .sort((x, y) => x.ip!.family - y.ip!.family || (x.ip!.value < y.ip!.value ? -1 : x.ip!.value > y.ip!.value ? 1 : 0))
    // Duplicates (a host answering twice) collapse into one entry.
    .filter((x, i, all) => i === 0 || x.ip!.family !== all[i - 1]!.ip!.family || x.ip!.value !== all[i - 1]!.ip!.value);
  const ranges: string[] = [];
  for (let i = 0; i < parsed.length; ) {
    let j = i;
    while (j + 1 < parsed.length && parsed[j + 1]!.ip!.family === parsed[i]!.ip!.family && parsed[j + 1]!.ip!.value === parsed[j]!.ip!.value + 1n) j++;
    ranges.push(formatIpRange(parsed[i]!.ip!, parsed[j]!.ip!));
    i = j + 1;
  }
  const lines: string[] = [];
  let cur = '';
  for (const r of ranges) {
    const next = cur ? `${cur}, ${r}` : r;
    if (cur && next.length > width) {
      lines.push(`${cur},`);
      cur = r;
    } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines;
}

/** Renders a whole stream at once (several agents detected up front). */
export function renderText(events: readonly MeasurementEvent[], o: TextRendererOptions = {}): string {
  const agents = new Set<string>();
  const targets = new Set<string>();
  for (const raw of events) {
    const e = saneEvent(raw);
    if (!e || e.type === 'error' || e.type === 'done') continue;
    agents.add(e.agent);
    targets.add(e.target);
  }
  const r = new TextRenderer({ ...o, multiAgent: o.multiAgent ?? agents.size > 1, multiTarget: o.multiTarget ?? targets.size > 1 });
  return events.map((e) => r.push(e)).join('');
}
