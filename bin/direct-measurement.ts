/**
 * The CLI's direct mode: one spec run by the in-process agent, from this machine, with the `done`
 * a hub would add. No hub is involved (front-ends import shared/ only, design §3); what the hub's
 * fan-out does for several agents (hub/core/measurement-stream.ts) reduces here to one part.
 */
import { DoneTally } from '../shared/model/events.ts';
import type { DoneEvent, MeasurementEvent } from '../shared/model/events.ts';
import { describeError, ErrorCode } from '../shared/model/errors.ts';
import type { MeasurementSpec } from '../shared/model/spec.ts';
import { roundMs } from '../shared/model/stats.ts';
import type { AgentLink } from '../shared/wire/agent-link.ts';

/**
 * Runs `spec` on `agent`, passing every event to `emit` and a `done` last (also resolved).
 * Never rejects: a part that throws or ends without a target's result becomes an `error` event.
 */
export async function runDirect(agent: AgentLink, spec: MeasurementSpec, signal: AbortSignal, emit: (e: MeasurementEvent) => void): Promise<DoneEvent> {
  const started = performance.now();
  const tally = new DoneTally();
  const name = agent.info.name;
  const open = new Set(spec.targets);
  const relay = (e: MeasurementEvent): void => {
    if (e.type === 'done') return;
    if ((e.type === 'summary' || e.type === 'error') && e.target !== undefined) open.delete(e.target);
    tally.add(e);
    emit(e);
  };
  try {
    await agent.run(spec, { signal, emit: relay });
    if (!signal.aborted) {
      for (const target of open) relay({ type: 'error', agent: name, target, code: ErrorCode.Internal, message: `agent ${name} ended without a result for ${target}` });
    }
  } catch (err) {
    const { code, message } = describeError(err);
    for (const target of open) relay({ type: 'error', agent: name, target, code, message });
  }
  const done = tally.done(roundMs(Math.max(0, performance.now() - started)));
  emit(done);
  return done;
}
