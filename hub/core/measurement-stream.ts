/**
 * Fan-out of one measurement over the selected agents: every event tagged with its agent,
 * every agent×target ending in a `summary` or an `error`, and `done` always last.
 * Transport-free: the HTTP routes and the direct-mode CLI both drive it.
 */
import type { AgentLink } from '../../shared/wire/agent-link.ts';
import { describeError, ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { DoneTally } from '../../shared/model/events.ts';
import type { DoneEvent, MeasurementEvent } from '../../shared/model/events.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { roundMs } from '../../shared/model/stats.ts';
import type { Selection } from './agent-directory.ts';

/** Options of {@link runMeasurement}. */
export interface MeasurementRunOptions {
  /**
   * Aborting cancels every agent's part (client gone, Ctrl-C, hub closing). When the reason is a
   * MeshprobeError (client too slow, say), it also becomes an `error` event just before `done`.
   */
  signal: AbortSignal;
  /** Receives every event in stream order, `done` included (last). Must not throw. */
  emit: (event: MeasurementEvent) => void;
  /** Milliseconds clock for `done.durationMs`. Default: performance.now. */
  now?: () => number;
  /**
   * After an abort, how long to wait for agents to wind down before `done` is emitted anyway
   * (default 2000 ms). An agent that ignores the signal must not hold the stream open.
   */
  abortGraceMs?: number;
}

/**
 * Runs `spec` on the agents of `selection` and resolves with the `done` event it emitted last.
 * Never rejects: an agent that throws becomes an `error` event for that agent.
 */
export async function runMeasurement(spec: MeasurementSpec, selection: Selection, options: MeasurementRunOptions): Promise<DoneEvent> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const tally = new DoneTally();
  let closed = false;
  const emit = (e: MeasurementEvent): void => {
    // Late events from an agent that kept going after `done` would break the stream contract.
    if (closed) return;
    tally.add(e);
    options.emit(e);
  };

  for (const selector of selection.unmatched) {
    emit({ type: 'error', code: ErrorCode.NoAgent, message: `no agent matches "${selector}"` });
  }
  if (selection.incapable) emit({ type: 'error', code: ErrorCode.NoAgent, message: incapableText(selection.incapable, selection.agents.length) });
  if (selection.agents.length === 0 && selection.unmatched.length === 0 && !selection.incapable) {
    emit({ type: 'error', code: ErrorCode.NoAgent, message: 'no agent is available on this hub' });
  }

  const parts = selection.agents.map((agent) => runPart(agent, spec, options.signal, emit));
  const all = Promise.all(parts);
  await raceAbort(all, options.signal, options.abortGraceMs ?? 2000);
  const reason: unknown = options.signal.aborted ? options.signal.reason : undefined;
  if (reason instanceof MeshprobeError) emit({ type: 'error', code: reason.code, message: describeError(reason).message });

  const done = tally.done(roundMs(Math.max(0, now() - started)));
  emit(done);
  closed = true;
  return done;
}

/** The one line for agents left out because they cannot run the type (older agents). */
function incapableText(incapable: NonNullable<Selection['incapable']>, running: number): string {
  const names = incapable.agents.length > 5 ? `${incapable.agents.slice(0, 5).join(', ')} and ${incapable.agents.length - 5} more` : incapable.agents.join(', ');
  const one = incapable.agents.length === 1;
  return running === 0
    ? `no selected agent can run ${incapable.type}: ${names} ${one ? 'does' : 'do'} not announce it`
    : `${names} cannot run ${incapable.type} (not announced by ${one ? 'that agent' : 'those agents'}); measuring from the others`;
}

/** One agent's share: all targets of the spec. Resolves when the agent is finished. */
async function runPart(agent: AgentLink, spec: MeasurementSpec, signal: AbortSignal, emit: (e: MeasurementEvent) => void): Promise<void> {
  const name = agent.info.name;
  // Targets whose part has not ended yet; a well-behaved agent empties this set.
  const open = new Set(spec.targets);
  // Events are not schema-checked here: a remote agent's were checked where they crossed the
  // WebSocket (hub/http/remote-agent-link.ts, the trust boundary); an in-process agent's are built by
  // our own code against the same interfaces, which the schemas are pinned to at compile time.
  // The check would cost ~0.5 µs and a copy per reply (~1.3 µs per hop), 5 % of a core at the
  // embedded agent's 100,000 host events/s of a sweep, to catch a bug tsc already rules out.
  const relay = (e: MeasurementEvent): void => {
    if (e.type === 'done') return; // the hub owns `done`
    // The registry name is the truth about who measured, whatever the agent put there. Agents
    // normally put exactly that, so the event is copied only when it differs: this is the
    // per-event path of every relay.
    const tagged = e.agent === name ? e : ({ ...e, agent: name } as MeasurementEvent);
    if ((tagged.type === 'summary' || tagged.type === 'error') && tagged.target !== undefined) open.delete(tagged.target);
    emit(tagged);
  };
  try {
    await agent.run(spec, { signal, emit: relay });
  } catch (err) {
    const { code, message } = describeError(err);
    for (const target of open) emit({ type: 'error', agent: name, target, code, message });
    return;
  }
  if (signal.aborted) return; // cancelled parts end without a result; the caller knows why
  for (const target of open) {
    emit({ type: 'error', agent: name, target, code: ErrorCode.Internal, message: `agent ${name} ended without a result for ${target}` });
  }
}

/** Waits for `work`, or, once `signal` aborts, for at most `graceMs` more. */
async function raceAbort(work: Promise<unknown>, signal: AbortSignal, graceMs: number): Promise<void> {
  let onAbort: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => {
    onAbort = () => {
      timer = setTimeout(resolve, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work, grace]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
  }
}
