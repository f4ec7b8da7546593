/**
 * `POST /v1/measurements`: a JSON spec in, the NDJSON event stream out, one line per event,
 * written as it happens. Also the streaming core that `POST /v1/cli` renders as text.
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { DoneEvent, MeasurementEvent } from '../../shared/events.ts';
import { ndjsonLine } from '../../shared/ndjson.ts';
import type { MeasurementSpec } from '../../shared/spec.ts';
import { validateSpec } from '../../shared/validate-spec.ts';
import { HttpError, readJson, sendError } from '../http-io.ts';
import { runMeasurement } from '../measurement-stream.ts';
import { isRefusal } from '../route.ts';
import type { HubRoute, RouteContext } from '../route.ts';

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
    await streamMeasurement(ctx, spec, {
      contentType: 'application/x-ndjson; charset=utf-8',
      render: (e) => ndjsonLine(e),
    });
  },
};

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
  render: (event: MeasurementEvent) => string;
}

/**
 * Answers 200 and streams the measurement of `spec` in `format`, one write per event-loop turn, until
 * `done`. The client closing the connection aborts the agents. Resolves when the stream ended.
 */
export async function streamMeasurement(ctx: RouteContext, spec: MeasurementSpec, format: StreamFormat): Promise<DoneEvent> {
  const { req, res, hub } = ctx;
  const controller = new AbortController();
  const untrack = hub.track(controller);
  // 'close' on the response before it finished means the client is gone (or the socket broke).
  const onClose = () => {
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
  });
  res.flushHeaders();
  notify(() => hub.observer.streamOpened?.({ route: ctx.route.name, spec, principal: ctx.principal }));

  const selection = hub.registry.select(spec.from, spec.limit);
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
    if (!res.destroyed && !res.writableEnded) res.write(text);
  };
  const emit = (e: MeasurementEvent) => {
    if (res.destroyed || res.writableEnded) return;
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
    if (e.type !== 'done' && res.writableLength + pending.length > hub.maxBufferedBytes && !controller.signal.aborted) {
      controller.abort(new Error('client too slow'));
    }
  };
  try {
    const done = await runMeasurement(spec, selection, { signal: controller.signal, emit });
    notify(() => hub.observer.streamClosed?.({ route: ctx.route.name, done, aborted: controller.signal.aborted }));
    return done;
  } finally {
    res.off('close', onClose);
    untrack();
    flush();
    if (!res.writableEnded) res.end();
  }
}

function notify(f: () => void): void {
  try {
    f();
  } catch {
    // Observers are for metrics; they never get to break a stream.
  }
}
