/**
 * The one fold over a measurement's event stream that every renderer and collector reads
 * (text, HTML, the email grouping, MCP results and sweep pictures, the CLI's stream tracker).
 * Events go in one at a time, each first made well-formed and bounded by
 * shared/model/event-guard.ts; what comes out is one {@link FoldPart} per agent×target, in
 * order of first appearance, with its start, its per-probe lines (replies, timeouts, ICMP
 * errors) in sequence order, its hops by TTL, its hosts, its summary and its errors, plus the
 * request-wide errors, the `done` totals and the ICMP error kinds. Incremental: {@link
 * MeasurementFold.add} returns the checked event and the part it changed, so a live renderer
 * prints just that. Memory is bounded by the caps in {@link MeasurementFoldOptions}.
 */
import type {
  AnswerEvent,
  DoneEvent,
  ErrorEvent,
  HopEvent,
  InfoEvent,
  IcmpErrorEvent,
  MeasurementEvent,
  ReplyEvent,
  StartEvent,
  SummaryEvent,
  TimeoutEvent,
} from '../model/events.ts';
import { saneEvent } from '../model/event-guard.ts';

/** A per-probe line of a part: a reply, a timeout or an ICMP error. */
export type SeqEvent = ReplyEvent | TimeoutEvent | IcmpErrorEvent;

/** Everything folded for one agent×target. Read-only to renderers. */
export interface FoldPart {
  readonly key: string;
  readonly agent: string;
  readonly target: string;
  start?: StartEvent;
  /**
   * Per-probe lines in arrival order, at most `maxLines` of each kind (the first ones); in
   * sequence order through {@link linesBySeq}.
   */
  lines: SeqEvent[];
  /** How many lines of each kind are kept in `lines`. */
  kept: Record<SeqEvent['type'], number>;
  /** Per-probe lines that arrived after `lines` was full. */
  linesOmitted: number;
  replies: number;
  timeouts: number;
  icmpErrors: number;
  /** Hops by TTL (a repeated TTL replaces the earlier one), at most 255. */
  hops: Map<number, HopEvent>;
  /** Every hop event in arrival order, repeats included; at most `maxLines`. */
  hopEvents: HopEvent[];
  /** Hosts that answered, in arrival order; at most `maxHosts`. */
  up: { address: string; rttMs: number }[];
  /** Hosts that answered, counted past the cap too. */
  upCount: number;
  /** Host events seen (answered or silent). */
  hostsSeen: number;
  /** Hosts that did not answer but drew an ICMP destination unreachable, in arrival order; at most `maxHosts`. */
  unreachable: { address: string; from: string; message: string }[];
  /** Such hosts, counted past the cap too. */
  unreachableCount: number;
  /** Answers (dns, http) in arrival order; at most {@link MAX_PART_ANSWERS}, whatever `maxLines` says. */
  answers: AnswerEvent[];
  summary?: SummaryEvent;
  /** Errors of this part; at most `maxErrors`. */
  errors: ErrorEvent[];
  /** Which of summary and error came last (a summary after an error supersedes it, and back). */
  settled?: 'summary' | 'error';
  /** This part's events in arrival order, when the fold keeps them (`keepEvents`). */
  events?: MeasurementEvent[];
}

/** Caps of {@link MeasurementFold}: the bound on its memory whatever the stream holds. */
export interface MeasurementFoldOptions {
  /** Most agent×target parts (later parts are dropped). Default 65,536. */
  maxParts?: number;
  /** Most per-probe lines kept per part and kind (later ones are only counted). Default 10,000. */
  maxLines?: number;
  /** Most answering hosts kept per part (later ones are only counted). Default 65,536 (a /16). */
  maxHosts?: number;
  /** Most errors kept per part and request-wide. Default 1,000. */
  maxErrors?: number;
  /**
   * Keep every event of a part in arrival order (for a reader that replays a part as a block,
   * such as an email answer). Default false. Bounded by the per-part caps above plus the start,
   * hops and summary.
   */
  keepEvents?: boolean;
}

/** What {@link MeasurementFold.add} changed. */
export interface FoldChange {
  /** The checked event. */
  event: MeasurementEvent;
  /** The part it belongs to; undefined for request-wide errors, `done`, `info`, and parts past the cap. */
  part?: FoldPart;
  /** `info`: the parts whose start or hops it changed (a redrawing renderer redraws them). */
  changed?: FoldPart[];
}

/**
 * Most answers kept per part: a DNS trace has a step per delegation, an HTTP run a hop per
 * redirect, so a handful; kept even by a live renderer's fold (which keeps no per-probe lines),
 * since a type's text and matrix read them.
 */
export const MAX_PART_ANSWERS = 64;

/** The place of the request-wide errors in the order of {@link MeasurementFold.grouped}. */
const GENERAL = Symbol('general');

/** Separates agent and target in a part key: neither can hold it after event-guard. */
const SEP = '\u0000';

/** The key of the part agent×target. */
export function partKey(agent: string, target: string): string {
  return `${agent}${SEP}${target}`;
}

/** Folds one measurement's events. Pure; never throws on odd input. */
export class MeasurementFold {
  readonly #parts = new Map<string, FoldPart>();
  readonly #general: ErrorEvent[] = [];
  readonly #allErrors: ErrorEvent[] = [];
  readonly #icmpKinds = new Map<string, number>();
  readonly #maxParts: number;
  readonly #maxLines: number;
  readonly #maxHosts: number;
  readonly #maxErrors: number;
  readonly #keepEvents: boolean;
  /** With `keepEvents`: parts and the request-wide errors in order of first appearance. */
  readonly #order: (FoldPart | typeof GENERAL)[] = [];
  #generalPlaced = false;
  #errorCount = 0;
  #done: DoneEvent | undefined;

  constructor(o: MeasurementFoldOptions = {}) {
    this.#maxParts = o.maxParts ?? 65_536;
    this.#maxLines = o.maxLines ?? 10_000;
    this.#maxHosts = o.maxHosts ?? 65_536;
    this.#maxErrors = o.maxErrors ?? 1000;
    this.#keepEvents = o.keepEvents ?? false;
  }

  /** The parts in order of first appearance. */
  get parts(): IterableIterator<FoldPart> {
    return this.#parts.values();
  }

  /** How many parts there are. */
  get size(): number {
    return this.#parts.size;
  }

  /**
   * Late enrichment: `e.info` replaces the info of its address in the start and the hops of the
   * parts it names (every part without agent/target). The events are replaced by copies, never
   * changed in place (a renderer may hold them). Returns the parts changed.
   */
  #info(e: InfoEvent): FoldPart[] {
    const changed: FoldPart[] = [];
    for (const part of this.#parts.values()) {
      if ((e.agent !== undefined && part.agent !== e.agent) || (e.target !== undefined && part.target !== e.target)) continue;
      let hit = false;
      if (part.start && part.start.address === e.address) {
        part.start = { ...part.start, info: e.info };
        hit = true;
      }
      for (const [ttl, h] of part.hops) {
        if (!h.responders.some((r) => r.address === e.address)) continue;
        part.hops.set(ttl, { ...h, responders: h.responders.map((r) => (r.address === e.address ? { ...r, info: e.info } : r)) });
        hit = true;
      }
      if (hit) {
        changed.push(part);
        const withInfo = (x: MeasurementEvent): MeasurementEvent => {
          if (x.type === 'start' && x.address === e.address) return { ...x, info: e.info };
          if (x.type === 'hop' && x.responders.some((r) => r.address === e.address)) return { ...x, responders: x.responders.map((r) => (r.address === e.address ? { ...r, info: e.info } : r)) };
          return x;
        };
        // Readers that replay a part (Details, an email) see the info too.
        if (part.events) part.events = part.events.map(withInfo);
        part.hopEvents = part.hopEvents.map((h) => withInfo(h) as HopEvent);
      }
    }
    return changed;
  }

  /** The part agent×target, if it was seen. */
  part(agent: string, target: string): FoldPart | undefined {
    return this.#parts.get(partKey(agent, target));
  }

  /** Errors of the whole request (no agent or no target), at most `maxErrors`. */
  get generalErrors(): readonly ErrorEvent[] {
    return this.#general;
  }

  /** Every error, of parts and of the whole request, in arrival order; at most `maxErrors`. */
  get errors(): readonly ErrorEvent[] {
    return this.#allErrors;
  }

  /** Error events seen, of parts and of the whole request. */
  get errorCount(): number {
    return this.#errorCount;
  }

  /** ICMP errors by kind over the whole stream, in order of first appearance. */
  get icmpKinds(): ReadonlyMap<string, number> {
    return this.#icmpKinds;
  }

  /** The stream's `done` event, once seen. */
  get done(): DoneEvent | undefined {
    return this.#done;
  }

  /** Folds one event; returns the checked event and the part it changed, or undefined when it is not an event. */
  add(raw: unknown): FoldChange | undefined {
    const e = saneEvent(raw);
    if (!e) return undefined;
    if (e.type === 'done') {
      this.#done = e;
      return { event: e };
    }
    if (e.type === 'info') return { event: e, changed: this.#info(e) };
    if (e.type === 'error') {
      this.#errorCount++;
      if (this.#allErrors.length < this.#maxErrors) this.#allErrors.push(e);
    }
    if (e.type === 'error' && (e.agent === undefined || e.target === undefined)) {
      if (this.#general.length < this.#maxErrors) {
        this.#general.push(e);
        if (this.#keepEvents && !this.#generalPlaced) {
          this.#order.push(GENERAL);
          this.#generalPlaced = true;
        }
      }
      return { event: e };
    }
    const part = this.#part(e.agent!, e.target!);
    if (!part) return { event: e };
    // Whether the event is kept (not only counted): only kept events are replayed by grouped().
    let kept = true;
    switch (e.type) {
      case 'start':
        part.start = e;
        break;
      case 'reply':
      case 'timeout':
      case 'icmp-error':
        if (e.type === 'reply') part.replies++;
        else if (e.type === 'timeout') part.timeouts++;
        else {
          part.icmpErrors++;
          this.#icmpKinds.set(e.kind, (this.#icmpKinds.get(e.kind) ?? 0) + 1);
        }
        if (part.kept[e.type] < this.#maxLines) {
          part.lines.push(e);
          part.kept[e.type]++;
        } else {
          part.linesOmitted++;
          kept = false;
        }
        break;
      case 'hop':
        part.hops.set(e.ttl, e);
        if (part.hopEvents.length < this.#maxLines) part.hopEvents.push(e);
        else kept = false;
        break;
      case 'host':
        part.hostsSeen++;
        if (e.rttMs !== null) {
          part.upCount++;
          if (part.up.length < this.#maxHosts) part.up.push({ address: e.address, rttMs: e.rttMs });
          else kept = false;
        } else {
          if (e.unreachable) {
            part.unreachableCount++;
            if (part.unreachable.length < this.#maxHosts) part.unreachable.push({ address: e.address, from: e.unreachable.from, message: e.unreachable.message });
          }
          if (part.hostsSeen > this.#maxHosts) kept = false;
        }
        break;
      case 'answer':
        if (part.answers.length < MAX_PART_ANSWERS) part.answers.push(e);
        else kept = false;
        break;
      case 'summary':
        part.summary = e;
        part.settled = 'summary';
        break;
      case 'error':
        if (part.errors.length < this.#maxErrors) part.errors.push(e);
        else kept = false;
        part.settled = 'error';
        break;
    }
    if (kept && part.events) part.events.push(e);
    return { event: e, part };
  }

  /**
   * The events regrouped so that each part reads as one block, parts in order of first
   * appearance, the per-probe lines of a part in sequence order in the slots they held,
   * request-wide errors where the parts are, `done` last. Needs `keepEvents`.
   */
  grouped(): MeasurementEvent[] {
    const out: MeasurementEvent[] = [];
    for (const p of this.#order) {
      if (p === GENERAL) {
        out.push(...this.#general);
        continue;
      }
      const list = p.events ?? [];
      const sorted = list.filter(hasSeq).sort((a, b) => a.seq - b.seq);
      let i = 0;
      for (const e of list) out.push(hasSeq(e) ? sorted[i++]! : e);
    }
    if (this.#done) out.push(this.#done);
    return out;
  }

  #part(agent: string, target: string): FoldPart | undefined {
    const key = partKey(agent, target);
    let p = this.#parts.get(key);
    if (p) return p;
    if (this.#parts.size >= this.#maxParts) return undefined;
    p = {
      key, agent, target, lines: [], kept: { reply: 0, timeout: 0, 'icmp-error': 0 }, linesOmitted: 0, replies: 0, timeouts: 0, icmpErrors: 0,
      hops: new Map(), hopEvents: [], up: [], upCount: 0, hostsSeen: 0, unreachable: [], unreachableCount: 0, answers: [], errors: [],
      ...(this.#keepEvents ? { events: [] } : {}),
    };
    this.#parts.set(key, p);
    if (this.#keepEvents) this.#order.push(p);
    return p;
  }
}

function hasSeq(e: MeasurementEvent): e is SeqEvent {
  return e.type === 'reply' || e.type === 'timeout' || e.type === 'icmp-error';
}

/**
 * The part's per-probe lines in sequence order, equal seqs in arrival order: a timeout for seq 1
 * is only known after the replies to 2 and 3 may have arrived.
 */
export function linesBySeq(p: FoldPart): SeqEvent[] {
  return [...p.lines].sort((a, b) => a.seq - b.seq);
}
