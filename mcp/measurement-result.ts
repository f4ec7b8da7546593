/**
 * Folds a hub event stream into what a tool returns: `structuredContent` in the shape of the
 * tool's outputSchema and the text a model reads. The stream is folded once
 * (shared/render/measurement-fold.ts); each part's own fields and text come from its type's
 * renderers (shared/measurements/<type>/mcp.ts, through renderers-by-type.ts). The text carries
 * the substance compactly, per agent×target. Pure: feed it every event, then ask for the result.
 * Malformed events are bounded or skipped (event-guard.ts).
 */
import type { MeasurementEvent } from '../shared/model/events.ts';
import { saneEvent } from '../shared/model/event-guard.ts';
import type { MeasurementType } from '../shared/registry.ts';
import { MeasurementFold } from '../shared/render/measurement-fold.ts';
import type { McpCaps } from '../shared/render/measurement-renderers.ts';
import { errorItem, outputStats, partError, type ErrorItem } from '../shared/render/mcp-output.ts';
import { renderersByType } from '../shared/render/renderers-by-type.ts';
import { fmtMs } from '../shared/render/fmt-ms.ts';

/** Options of {@link MeasurementResult}. */
export interface MeasurementResultOptions {
  /** Per-probe results listed per agent×target, of each kind; the rest are only counted. Default 1000. */
  maxReplies?: number;
  /** Answering hosts listed per agent×target. Default 1024. */
  maxHosts?: number;
}

/** The structured content of a measurement tool: the type's outputSchema's shape. */
export type MeasurementOutput = { measurement: MeasurementType; parts: Record<string, unknown>[]; errors: ErrorItem[]; totals: Totals };
type Totals = { parts: number; sent: number; received: number; errors: number; durationMs: number };

/** Accumulates one measurement's events. */
export class MeasurementResult {
  readonly measurement: MeasurementType;
  readonly #fold: MeasurementFold;
  readonly #caps: McpCaps;

  constructor(measurement: MeasurementType, options: MeasurementResultOptions = {}) {
    this.measurement = measurement;
    this.#caps = { maxReplies: options.maxReplies ?? 1000, maxHosts: options.maxHosts ?? 1024 };
    // Each kind of per-probe line is listed up to maxReplies, the first ones to arrive.
    this.#fold = new MeasurementFold({ maxLines: this.#caps.maxReplies, maxHosts: this.#caps.maxHosts });
  }

  /** Whether the stream's `done` event was seen. */
  get done(): boolean {
    return this.#fold.done !== undefined;
  }

  /** Whether at least one agent×target finished with a summary. */
  get anySucceeded(): boolean {
    for (const p of this.#fold.parts) if (p.summary) return true;
    return false;
  }

  /** The one-line reasons of every failure so far. */
  get errors(): readonly ErrorItem[] {
    return this.#fold.errors.map(errorItem);
  }

  add(raw: MeasurementEvent): void {
    this.#fold.add(raw);
  }

  /**
   * A short progress line for one event, or undefined when the event is not worth one. Every
   * line names its agent and target (`lax1 → 198.18.1.9: …`): parts interleave.
   */
  static progressLine(raw: MeasurementEvent): string | undefined {
    const e = saneEvent(raw);
    if (!e) return undefined;
    switch (e.type) {
      case 'start':
        return `${e.agent} → ${e.target}: ${e.measurement} ${e.address}`;
      case 'reply':
        return `${e.agent} → ${e.target}: ${e.bytes} bytes from ${e.from}: seq=${e.seq} ttl=${e.ttl ?? '?'} time=${fmtMs(e.rttMs)} ms`;
      case 'timeout':
        return `${e.agent} → ${e.target}: seq=${e.seq} timed out`;
      case 'icmp-error':
        return `${e.agent} → ${e.target}: from ${e.from} seq=${e.seq} ${e.message}`;
      case 'hop':
        return `${e.agent} → ${e.target}: hop ${e.ttl} ${e.responders.map((r) => r.address).join(' ') || '*'}`;
      case 'summary':
        return `${e.agent} → ${e.target}: ${e.received}/${e.sent} received`;
      case 'error':
        return `${e.agent !== undefined ? `${e.agent}${e.target !== undefined ? ` → ${e.target}` : ''}: ` : ''}${e.message}`;
      default:
        return undefined;
    }
  }

  /**
   * The structured content for this measurement's tool: each part's identity and summary around
   * its type's own fields, then errors and totals.
   */
  structured(): MeasurementOutput {
    const r = renderersByType[this.measurement];
    return {
      measurement: this.measurement,
      parts: [...this.#fold.parts].map((p) => ({
        agent: p.agent,
        target: p.target,
        address: p.start?.address ?? null,
        family: p.start?.family ?? null,
        protocol: p.start?.protocol ?? null,
        error: partError(p),
        ...r.mcpFields(p, this.#caps),
        summary: outputStats(p.summary),
      })),
      errors: this.#fold.errors.map(errorItem),
      totals: this.#totals(),
    };
  }

  /**
   * What a model reads: per agent×target a head line (`agent → target (address): …`) and the
   * substance under it, indented (its type's text: statistics, hops, live hosts); then the
   * failures not tied to a part, then the totals.
   */
  text(): string {
    const lines: string[] = [];
    const r = renderersByType[this.measurement];
    for (const p of this.#fold.parts) {
      const who = `${p.agent} → ${p.target}${p.start && p.start.address !== p.target ? ` (${p.start.address})` : ''}`;
      const error = partError(p);
      if (error && !p.summary) {
        lines.push(`${who}: ${error.message}`);
        continue;
      }
      lines.push(...r.mcpText(who, p, this.#caps));
      if (error) lines.push(`  error: ${error.message}`);
    }
    for (const e of this.#fold.errors) {
      if (e.agent !== undefined && e.target !== undefined && this.#fold.part(e.agent, e.target)) continue;
      lines.push(`error: ${e.message}`);
    }
    if (!lines.length) lines.push('no agent×target part ran');
    if (this.#fold.done && this.#fold.size > 0) {
      const t = this.#totals();
      let icmp = 0;
      for (const p of this.#fold.parts) icmp += p.icmpErrors;
      lines.push(`total: ${t.parts} part${t.parts === 1 ? '' : 's'}, ${t.sent} sent, ${t.received} received` +
        `${icmp ? `, ${icmp} ICMP error${icmp === 1 ? '' : 's'}` : ''}, ${t.errors} failed, ${Math.round(t.durationMs)} ms`);
    }
    return lines.join('\n');
  }

  #totals(): Totals {
    const d = this.#fold.done;
    return d ? { parts: d.parts, sent: d.sent, received: d.received, errors: d.errors, durationMs: d.durationMs } : { parts: 0, sent: 0, received: 0, errors: 0, durationMs: 0 };
  }
}

