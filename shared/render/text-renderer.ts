/**
 * The plain-text renderer: events in, iputils-style text out (design §7). Used by the CLI,
 * POST /v1/cli, Telegram and the text part of email, so every front-end prints the same lines.
 * The stream is folded once (measurement-fold.ts); the per-probe lines are written here, each
 * part's header, held-back lines and closing block by its type (shared/measurements/<type>/
 * text.ts, through renderers-by-type.ts).
 *
 * Choices where iputils has no answer:
 * - Timeouts print nothing, as iputils does by default; `timeouts: true` prints iputils' `-O`
 *   line `no answer yet for icmp_seq=N`.
 * - Reply lines show the responder's address only (like `ping -n`): reverse lookups are the
 *   agent's business, not the renderer's.
 * - After the iputils statistics block comes one meshprobe line: `rtt p50/p90/p99 = … ms`.
 * - Several agents: every line of an agent gets an `[agent] ` prefix, and a type may add lines
 *   after the stream (a matrix of agents × targets).
 * - Several targets: every line of a part names its target too, `[target] ` with one agent and
 *   `[agent → target] ` with several, so that `From 198.18.1.1 icmp_seq=1 Destination Host
 *   Unreachable` or a hop line says which of the interleaved measurements it belongs to.
 * - Whatever arrives is first made well-formed and bounded (shared/model/event-guard.ts): a hop TTL
 *   is an integer 1..255, counts and times are finite, unknown events are skipped. Every loop
 *   here is bounded by what it was fed.
 */
import { directions } from './reply-directions.ts';
import type { AnswerEvent, HopEvent, MeasurementEvent, StartEvent, SummaryEvent } from '../model/events.ts';
import type { MeasurementType } from '../registry.ts';
import { formatPingTime } from './format.ts';
import { saneEvent } from '../model/event-guard.ts';
import { MeasurementFold, type FoldPart } from './measurement-fold.ts';
import type { PartTextRenderer, TypeTextOptions } from './measurement-renderers.ts';
import { renderersByType, typeOfPart } from './renderers-by-type.ts';
export { compactAddresses } from './compact-addresses.ts';

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
   * when it draws the sweep bitmap, whose caption (shared/render/sweep-grid.ts) already gives the
   * counts right above; the live-host list is printed either way.
   */
  probeCounts?: boolean;
  /** iputils `-q`: no per-probe lines (replies, errors, timeouts); headers and summaries stay. */
  quiet?: boolean;
  /**
   * Phone layout (Telegram): lines of at most 36 monospace columns where the format allows. A
   * reply reads `seq=1 ttl=64 time=0.031 ms` (the responder only when it is not the target's
   * address), statistics come in short lines, hop RTTs lose their unit (said in the header).
   * Default false.
   */
  compact?: boolean;
  /**
   * With {@link compact}: keep addresses whole (a Details reply) instead of shortening long IPv6
   * hop addresses to their last groups. Default false.
   */
  fullAddresses?: boolean;
  /**
   * iputils `-D`: when event `e` happened, in ms since the Unix epoch (the clock, for a live
   * stream), stamped before each per-probe line as `[1700000000.123456] `.
   */
  timestamps?: (e: MeasurementEvent) => number;
  /** `-v` of dns and http: full answers (dig's sections, response headers and body). Default false. */
  verbose?: boolean;
}

/** Feeds events one at a time and returns the text each adds. Pure; never throws on odd input. */
export class TextRenderer {
  #multi: boolean;
  #multiTarget: boolean;
  #timeouts: boolean;
  #probeCounts: boolean;
  /** A live renderer keeps no per-probe lines: the text of each is written as it arrives. */
  #fold = new MeasurementFold({ maxLines: 0 });
  /** Each part's type renderer (it may hold lines back until their turn). */
  #text = new WeakMap<FoldPart, { type: MeasurementType; r: PartTextRenderer }>();
  #agents = new Set<string>();
  #targets = new Set<string>();
  /** Types that started, in order: their after-the-stream lines come at `done`. */
  #started = new Set<MeasurementType>();
  #quiet: boolean;
  #verbose: boolean;
  #compact: boolean;
  #fullAddresses: boolean;
  #clock: ((e: MeasurementEvent) => number) | undefined;

  constructor(o: TextRendererOptions = {}) {
    this.#multi = o.multiAgent ?? false;
    this.#multiTarget = o.multiTarget ?? false;
    this.#timeouts = o.timeouts ?? false;
    this.#probeCounts = o.probeCounts ?? true;
    this.#quiet = o.quiet ?? false;
    this.#verbose = o.verbose ?? false;
    this.#compact = o.compact ?? false;
    this.#fullAddresses = o.fullAddresses ?? false;
    this.#clock = o.timestamps;
  }

  /** One per-probe line (reply, ICMP error, `-O` timeout): dropped by `-q`, stamped by `-D`. */
  #probeLine(e: MeasurementEvent & { agent: string }, line: string): string {
    if (this.#quiet) return '';
    const t = this.#clock?.(e);
    return this.#lines(e.agent, 'target' in e ? e.target : undefined, [t !== undefined && Number.isFinite(t) ? `[${(t / 1000).toFixed(6)}] ${line}` : line]);
  }

  /** The type renderer of `p` for `type` (the part's own type by default), made on first use. */
  #textOf(p: FoldPart, type: MeasurementType = typeOfPart(p)): PartTextRenderer {
    const have = this.#text.get(p);
    if (have && have.type === type) return have.r;
    const r = renderersByType[type].text();
    this.#text.set(p, { type, r });
    return r;
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
    const change = this.#fold.add(e);
    const p = change?.part;
    switch (e.type) {
      case 'start':
        return p ? this.#start(e, p) : '';
      case 'reply': {
        const proto = p?.start?.protocol ?? 'icmp';
        const time = `time=${formatPingTime(e.rttMs)} ms`;
        if (this.#compact) {
          const from = e.from !== p?.start?.address ? `from ${e.from} ` : '';
          const ttl = e.ttl === null || e.ttl === undefined ? '' : ` ttl=${e.ttl}`;
          const kind = e.kind ? ` (${e.kind})` : '';
          return this.#probeLine(e, `${from}seq=${e.seq}${ttl} ${time}${kind}`);
        }
        if (proto === 'icmp' && e.kind === undefined) {
          const ttl = e.ttl === null || e.ttl === undefined ? '' : ` ttl=${e.ttl}`;
          return this.#probeLine(e, `${e.bytes} bytes from ${e.from}: icmp_seq=${e.seq}${ttl} ${time}`);
        }
        const port = p?.start?.params['port'];
        const where = port !== undefined ? `${e.from} port ${port}` : e.from;
        const kind = e.kind ? ` (${e.kind})` : '';
        return this.#probeLine(e, `reply from ${where}${kind}: ${proto}_seq=${e.seq} ${time}${directions(e)}`);
      }
      case 'timeout': {
        if (!this.#timeouts) return '';
        return this.#probeLine(e, `no answer yet for icmp_seq=${e.seq}`);
      }
      case 'icmp-error': {
        const mtu = e.mtu !== undefined && !/mtu/i.test(e.message) ? ` (mtu = ${e.mtu})` : '';
        if (this.#compact) return this.#probeLine(e, `seq=${e.seq} From ${e.from}: ${e.message}${mtu}`);
        return this.#probeLine(e, `From ${e.from} icmp_seq=${e.seq} ${e.message}${mtu}`);
      }
      case 'hop':
        return p ? this.#hop(e, p) : '';
      case 'answer':
        return p ? this.#answer(e, p) : '';
      case 'summary':
        return p ? this.#summary(e, p) : '';
      case 'error': {
        let out = '';
        if (p) out += this.#flush(p);
        return out + this.#lines(e.agent, e.target, [`meshprobe: ${e.message}`]);
      }
      case 'done':
        return this.#done();
      default:
        return '';
    }
  }

  #start(e: StartEvent, p: FoldPart): string {
    this.#started.add(e.measurement);
    const head = this.#textOf(p, e.measurement).start(e, p, this.#typeOptions());
    return this.#lines(e.agent, e.target, [...head, ...(e.note ? [`note: ${e.note}`] : [])]);
  }

  #hop(e: HopEvent, p: FoldPart): string {
    // `-q` / `--report`: the closing block only.
    if (this.#quiet) return '';
    return this.#lines(e.agent, e.target, this.#textOf(p).hop?.(e, p, this.#typeOptions()) ?? []);
  }

  #answer(e: AnswerEvent, p: FoldPart): string {
    return this.#lines(e.agent, e.target, this.#textOf(p, e.measurement).answer?.(e, p, this.#typeOptions()) ?? []);
  }

  #typeOptions(): TypeTextOptions {
    return { probeCounts: this.#probeCounts, verbose: this.#verbose, compact: this.#compact, ...(this.#fullAddresses ? { fullAddresses: true } : {}) };
  }

  /** The lines `p`'s renderer held back, if it has any. */
  #flush(p: FoldPart): string {
    const r = this.#text.get(p)?.r;
    return this.#lines(p.agent, p.target, r?.flush?.(p, this.#typeOptions()) ?? []);
  }

  #summary(e: SummaryEvent, p: FoldPart): string {
    return this.#lines(e.agent, e.target, this.#textOf(p, e.measurement).summary(e, p, this.#typeOptions()));
  }

  #done(): string {
    let out = '';
    for (const p of this.#fold.parts) out += this.#flush(p);
    for (const type of this.#started) {
      const lines = renderersByType[type].textDone?.(this.#fold) ?? [];
      out += lines.map((l) => `${l}\n`).join('');
    }
    return out;
  }
}

/** Renders a whole stream at once (several agents detected up front). */
export function renderText(events: readonly MeasurementEvent[], o: TextRendererOptions = {}): string {
  const agents = new Set<string>();
  const targets = new Set<string>();
  for (const raw of events) {
    const e = saneEvent(raw);
    if (!e || e.type === 'error' || e.type === 'info' || e.type === 'done') continue;
    agents.add(e.agent);
    targets.add(e.target);
  }
  const r = new TextRenderer({ ...o, multiAgent: o.multiAgent ?? agents.size > 1, multiTarget: o.multiTarget ?? targets.size > 1 });
  return events.map((e) => r.push(e)).join('');
}
