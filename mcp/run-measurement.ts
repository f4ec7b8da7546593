/**
 * Runs one measurement through the hub for a tool call: streams the events into a
 * MeasurementResult, sends `notifications/progress` to a client that asked for them, and
 * cancels the hub stream (and so the agents) when the call is cancelled.
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { describeError, ErrorCode } from '../shared/model/errors.ts';
import type { MeasurementEvent } from '../shared/model/events.ts';
import type { MeasurementSpecInput } from '../shared/model/spec.ts';
import type { MeasurementType } from '../shared/registry.ts';
import type { HubLike } from '../shared/wire/hub-client.ts';
import { MeasurementResult } from './measurement-result.ts';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Options of {@link runMeasurement}. */
export interface RunMeasurementOptions {
  hub: HubLike;
  spec: MeasurementSpecInput & { type: MeasurementType };
  extra: ToolExtra;
  /** Also cancels (stateless mode: a cancel that reached another server instance). */
  signal?: AbortSignal | undefined;
  /** Units of work expected per agent×target (ping: count), for `total` in progress. */
  unitsPerPart?: number | undefined;
  /** Fewest milliseconds between two progress notifications. Default 100. */
  progressEveryMs?: number;
  /** Called with every event, after the result has taken it (the sweep bitmap listens here). */
  onEvent?: (e: MeasurementEvent) => void;
}

export type RunOutcome =
  | { ok: true; result: MeasurementResult }
  | { ok: false; code: string; message: string; cancelled: boolean };

/** Streams the measurement; never throws. */
export async function runMeasurement(o: RunMeasurementOptions): Promise<RunOutcome> {
  const signal = o.signal ? AbortSignal.any([o.extra.signal, o.signal]) : o.extra.signal;
  const result = new MeasurementResult(o.spec.type);
  const progress = new ProgressReporter(o.extra, o.unitsPerPart, o.progressEveryMs ?? 100);
  try {
    for await (const e of o.hub.measure(o.spec, { signal })) {
      result.add(e);
      o.onEvent?.(e);
      progress.event(e);
    }
  } catch (err) {
    const { code, message } = describeError(err);
    const cancelled = signal.aborted || code === ErrorCode.Cancelled;
    return { ok: false, code: cancelled ? ErrorCode.Cancelled : code, message: cancelled ? 'the measurement was cancelled' : message, cancelled };
  }
  await progress.flush();
  return { ok: true, result };
}

/**
 * Progress for one call. `progress` must only grow (MCP spec), so it counts units of work:
 * replies, timeouts, ICMP errors, hops and swept hosts. Throttled so a 65,536-host sweep
 * does not become 65,536 notifications; the first unit and the last state always go out.
 */
class ProgressReporter {
  readonly #extra: ToolExtra;
  readonly #token: string | number | undefined;
  readonly #unitsPerPart: number | undefined;
  readonly #everyMs: number;
  #units = 0;
  #parts = 0;
  #sentUnits = -1;
  #lastAt = 0;
  #lastLine = '';

  constructor(extra: ToolExtra, unitsPerPart: number | undefined, everyMs: number) {
    this.#extra = extra;
    this.#token = extra._meta?.progressToken;
    this.#unitsPerPart = unitsPerPart;
    this.#everyMs = everyMs;
  }

  event(e: MeasurementEvent): void {
    if (this.#token === undefined) return;
    if (e.type === 'start') this.#parts++;
    if (e.type === 'reply' || e.type === 'timeout' || e.type === 'icmp-error' || e.type === 'hop' || e.type === 'host') this.#units++;
    const line = MeasurementResult.progressLine(e);
    if (line) this.#lastLine = line;
    if (this.#units === this.#sentUnits) return;
    const now = Date.now();
    if (this.#sentUnits > 0 && now - this.#lastAt < this.#everyMs) return;
    if (this.#units === 0) return;
    this.#lastAt = now;
    void this.#send();
  }

  async flush(): Promise<void> {
    if (this.#token === undefined || this.#units === this.#sentUnits || this.#units === 0) return;
    await this.#send();
  }

  async #send(): Promise<void> {
    this.#sentUnits = this.#units;
    const total = this.#unitsPerPart !== undefined && this.#parts > 0 ? Math.max(this.#unitsPerPart * this.#parts, this.#units) : undefined;
    try {
      await this.#extra.sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken: this.#token!,
          progress: this.#units,
          ...(total !== undefined ? { total } : {}),
          ...(this.#lastLine ? { message: this.#lastLine } : {}),
        },
      });
    } catch {
      // The client went away; the measurement's own cancellation handles the rest.
    }
  }
}
