/**
 * `POST /v1/measurements`: a JSON spec in, the NDJSON event stream out, one line per event,
 * written as it happens. Also the streaming core that `POST /v1/cli` renders as text.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, HttpError, MeshprobeError } from '../../../shared/model/errors.ts';
import type { DoneEvent, MeasurementEvent } from '../../../shared/model/events.ts';
import { ndjsonLine } from '../../../shared/wire/ndjson.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import { validateSpec } from '../../../shared/model/validate-spec.ts';
import { readJson, sendError } from '../http-io.ts';
import { runMeasurement } from '../../core/measurement-stream.ts';
import { isRefusal } from '../../core/principal.ts';
import type { HubRoute, RouteContext } from '../route.ts';

/** Request header asking the hub to keep the finished stream for sharing (value `1`). */
export const KEEP_STREAM_HEADER = 'x-meshprobe-keep';
/** Response header naming a kept stream: `POST /v1/shares {"stream": ID}` shares it. */
export const STREAM_ID_HEADER = 'x-meshprobe-stream';

export const measurementsRoute: HubRoute = {
  name: 'measurements',
  methods: ['POST'],
  path: '/v1/measurements',
  async handle(ctx) {
    // The one validation path of every front-end: 400 and the same line the CLI and MCP give.
    const parsed = validateSpec(await readJson(ctx.req, ctx.hub.maxBodyBytes));
    if (!parsed.ok) throw new HttpError(400, ErrorCode.BadRequest, parsed.message);
    const spec = await admitted(ctx, parsed.spec);
    if (!spec) return;
    // Recorded only on request (the page asks; curl and the bots do not), bounded by the keeper.
    const keeper = ctx.req.headers[KEEP_STREAM_HEADER] === '1' ? ctx.hub.finished : undefined;
    const recording = keeper?.record(randomBytes(16).toString('base64url'), ctx.principal.subject, describeSpec(spec));
    let sawDone = false;
    await streamMeasurement(ctx, spec, {
      contentType: 'application/x-ndjson; charset=utf-8',
      ...(recording ? { headers: { [STREAM_ID_HEADER]: recording.id } } : {}),
      render: (e) => {
        const line = ndjsonLine(e);
        if (recording) {
          recording.add(line);
          if (e.type === 'done') sawDone = true;
        }
        return line;
      },
    });
    recording?.finish(sawDone);
  },
};

/** What the hub ran, in the grammar's words, e.g. `ping -s lax1,fra1 -c 5 a.example` (a share's label). */
export function describeSpec(spec: MeasurementSpec): string {
  const parts: string[] = [spec.type];
  if (spec.from?.length) parts.push('-s', spec.from.join(','));
  if (spec.count !== undefined) parts.push('-c', String(spec.count));
  return [...parts, ...spec.targets].join(' ');
}

/** Runs the spec through the admit seam; answers the refusal and returns undefined when refused. */
export async function admitted(ctx: RouteContext, spec: MeasurementSpec): Promise<MeasurementSpec | undefined> {
  const verdict = await ctx.hub.admit(spec, { principal: ctx.principal, req: ctx.req });
  if (isRefusal(verdict)) {
    sendError(ctx.res, verdict.status, verdict.code, verdict.message, verdict.headers);
    return undefined;
  }
  return verdict;
}

/** How a stream is written: its content type and the text for each event ('' writes nothing). */
export interface StreamFormat {
  contentType: string;
  /** More response headers (e.g. the id of a kept stream). */
  headers?: Record<string, string>;
  render: (event: MeasurementEvent) => string;
}

/**
 * Answers 200 and streams the measurement of `spec` in `format`, one write per event-loop turn, until
 * `done`. The client closing the connection aborts the agents. Resolves when the stream ended.
 *
 * What a stream may hold is bounded (issue 11 item 6). Backpressure from the client socket is not
 * passed on to the agent by pausing (an agent's WebSocket carries many runs; pausing it would
 * stall the others): a stream whose unsent text passes `maxBufferedBytes` is cancelled instead,
 * later events are dropped, and it ends with an MP_ERR_CANCELLED `error` naming the bound, then
 * `done`. A client that takes no bytes for `writeTimeoutMs` while some are waiting gets the same
 * and loses its connection. Streams open at once are capped per subject and per IP (429).
 */
export async function streamMeasurement(ctx: RouteContext, spec: MeasurementSpec, format: StreamFormat): Promise<DoneEvent> {
  const { req, res, hub } = ctx;
  const slot = hub.streamCaps.acquire(ctx.principal, req.socket.remoteAddress ?? 'unknown');
  if (typeof slot !== 'function') throw new HttpError(429, ErrorCode.RateLimited, slot.refusal, { 'retry-after': '1' });
  const controller = new AbortController();
  const untrack = hub.track(controller);
  // The write timeout: armed while the socket's buffer is over its high-water mark, cleared by
  // every drain. It outlives the measurement: `done` still has to leave.
  let stalled: ReturnType<typeof setTimeout> | undefined;
  const onStall = () => {
    stalled = undefined;
    if (res.writableFinished) return; // everything reached the socket: nothing is held here
    const s = Math.round(hub.writeTimeoutMs / 1000);
    if (!controller.signal.aborted) controller.abort(new MeshprobeError(ErrorCode.Cancelled, `client too slow: it read nothing for ${s} s (the write timeout)`));
    res.destroy();
  };
  const onDrain = () => {
    clearTimeout(stalled);
    stalled = undefined;
  };
  res.on('drain', onDrain);
  res.once('finish', onDrain);
  // 'close' on the response before it finished means the client is gone (or the socket broke).
  const onClose = () => {
    clearTimeout(stalled);
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  };
  res.on('close', onClose);
  req.socket.setNoDelay(true);
  res.writeHead(200, {
    'content-type': format.contentType,
    'cache-control': 'no-store',
    // Tells nginx-style proxies not to buffer: the first reply must reach the user at once.
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
    ...format.headers,
  });
  res.flushHeaders();
  notify(() => hub.observer.streamOpened?.({ route: ctx.route.name, spec, principal: ctx.principal }));

  const selection = hub.registry.select(spec.from, spec.limit, spec.type);
  // Events rendered in one turn of the event loop (a batch relayed from a remote agent, a burst
  // of replies) leave in one write at the end of that turn. Not res.cork(): a corked chunked
  // response still sends every buffered piece as a syscall of its own when uncorked.
  let pending = '';
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    if (!res.destroyed && !res.writableEnded && !res.write(text) && stalled === undefined) {
      stalled = setTimeout(onStall, hub.writeTimeoutMs);
      stalled.unref?.();
    }
  };
  let overflowed = false;
  // Late enrichment: `info` events go out as their answers arrive; `done` waits for the last.
  const late = hub.enrichStream?.((info) => send(info));
  let heldDone: MeasurementEvent | undefined;
  const emit = (raw: MeasurementEvent) => {
    if (res.destroyed || res.writableEnded) return;
    if (raw.type === 'done' && late?.pending && !controller.signal.aborted) {
      heldDone = raw;
      return;
    }
    send(late ? late.enrich(raw) : hub.enrich ? hub.enrich(raw) : raw);
  };
  const send = (e: MeasurementEvent) => {
    if (res.destroyed || res.writableEnded) return;
    // Over the bound only the stream's own ending gets through: the reason, then `done`.
    if (overflowed && e.type !== 'done' && !(e.type === 'error' && e.agent === undefined)) return;
    notify(() => hub.observer.event?.(e));
    const text = format.render(e);
    if (text) {
      pending += text;
      // `done` goes out at once, with whatever is pending before it: end() follows right after.
      if (e.type === 'done') flush();
      else if (!flushQueued) {
        flushQueued = true;
        process.nextTick(flush);
      }
    }
    // A client that reads slower than the agents produce would make us buffer without bound.
    if (!overflowed && e.type !== 'done' && res.writableLength + pending.length > hub.maxBufferedBytes) {
      overflowed = true;
      if (!controller.signal.aborted) controller.abort(new MeshprobeError(ErrorCode.Cancelled, `client too slow: ${formatBytes(hub.maxBufferedBytes)} buffered, the most a stream may hold`));
    }
  };
  try {
    const done = await runMeasurement(spec, selection, { signal: controller.signal, emit });
    if (heldDone) {
      await late?.drain(controller.signal);
      late?.close();
      send(heldDone);
    }
    notify(() => hub.observer.streamClosed?.({ route: ctx.route.name, done, aborted: controller.signal.aborted }));
    return done;
  } finally {
    late?.close();
    res.off('close', onClose);
    res.once('close', onDrain); // the write timeout ends with the connection
    slot();
    untrack();
    flush();
    if (!res.writableEnded) res.end();
  }
}

/** 1048576 → "1 MiB", 65536 → "64 KiB", 1000 → "1000 bytes". */
function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function notify(f: () => void): void {
  try {
    f();
  } catch {
    // Observers are for metrics; they never get to break a stream.
  }
}
