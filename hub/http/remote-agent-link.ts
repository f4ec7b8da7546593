/**
 * An AgentLink whose agent is at the far end of a WebSocket (design §2). Runs are multiplexed
 * over the one connection by id; when the connection is lost, every open agent×target of every
 * run gets an MP_ERR_AGENT_LOST `error` event and the run resolves, so the hub's stream still
 * ends with `done`.
 *
 * Every event is checked against the schema of its type (parseEvent, shared/model/events.ts) before it
 * is relayed: the agent is untrusted. A bad event ends its agent×target part with an
 * MP_ERR_AGENT_PROTOCOL `error` naming the field (the run's other parts go on; when none is
 * left the run is cancelled on the agent); an event that names no open part of the run ends
 * every open part of it. The link stays up: the gateway decides when bad events are too many.
 */
import type { AgentInfo, AgentLink, AgentRunOptions } from '../../shared/wire/agent-link.ts';
import type { PolicyMode } from '../../shared/net/address-policy.ts';
import type { EndMessage, EventMessage, EventsMessage, HubMessage } from '../../shared/wire/agent-protocol.ts';
import { ErrorCode } from '../../shared/model/errors.ts';
import { parseEvent } from '../../shared/model/events.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { RemoteAgentMonitors } from './remote-agent-monitors.ts';
import { MONITOR_CAPABILITY, MONITOR_CHANGES_CAPABILITY } from '../../shared/wire/agent-protocol-constants.ts';

export interface RemoteAgentLinkOptions {
  info: AgentInfo;
  /** The address the agent connected from, as the socket saw it (IPv4-mapped IPv6 is read as IPv4). */
  remoteAddress?: string;
  /** Sends one message to the agent; returns false when the socket is gone. */
  send: (message: HubMessage) => boolean;
  /** The hub's policy mode, sent with every run. */
  policy: PolicyMode;
  /** Target prefixes the agent announced it accepts; literals outside them are refused here. */
  allowedRanges?: readonly string[];
  /** Told about every event refused by the schema, with the one-line reason (logs, flood bound). */
  onBadEvent?: (reason: string) => void;
  /** A monitor report could not be stored: close the connection (the agent resends on its next one). */
  onStoreFailure?: (reason: string) => void;
}

/** How long a cancelled run may take to answer `end` before the hub forgets it. */
const CANCEL_GRACE_MS = 5000;

interface OpenRun {
  emit: (e: MeasurementEvent) => void;
  resolve: () => void;
  /** The run's targets, as sent to the agent. */
  targets: ReadonlySet<string>;
  /** Targets without a summary or error yet. */
  open: Set<string>;
  /** Targets whose part the hub ended for a bad event: their further events are dropped. */
  refused: Set<string>;
  cleanup: () => void;
}

export class RemoteAgentLink implements AgentLink {
  readonly info: AgentInfo;
  /** The address the agent connected from (for `list`'s enrichment; not published). */
  readonly remoteAddress: string | undefined;
  readonly allowedRanges: readonly string[];
  /** Present when the agent announced the `monitor` capability. */
  readonly monitors?: RemoteAgentMonitors;
  readonly #send: (message: HubMessage) => boolean;
  readonly #policy: PolicyMode;
  readonly #onBadEvent: (reason: string) => void;
  readonly #runs = new Map<number, OpenRun>();
  #nextId = 1;
  #lostReason: string | undefined;

  constructor(o: RemoteAgentLinkOptions) {
    this.info = o.info;
    this.remoteAddress = o.remoteAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    this.allowedRanges = o.allowedRanges ?? [];
    this.#send = o.send;
    this.#policy = o.policy;
    this.#onBadEvent = o.onBadEvent ?? (() => {});
    if (o.info.capabilities.includes(MONITOR_CAPABILITY)) {
      this.monitors = new RemoteAgentMonitors({ send: o.send, onStoreFailure: o.onStoreFailure ?? (() => {}), changes: o.info.capabilities.includes(MONITOR_CHANGES_CAPABILITY) });
    }
  }

  run(spec: MeasurementSpec, { signal, emit, allowedRanges: hubRanges }: AgentRunOptions): Promise<void> {
    const name = this.info.name;
    if (this.#lostReason !== undefined) {
      for (const target of spec.targets) emit({ type: 'error', agent: name, target, code: ErrorCode.AgentLost, message: `agent ${name} is not connected (${this.#lostReason})` });
      return Promise.resolve();
    }
    // The agent's own ranges (announced in its hello) are the agent's to enforce, after it has
    // resolved names (agent/runtime/target-guard.ts); the hub checks only its own policy
    // (core/policy-admit.ts) and the ranges it sets for this agent (core/agent-gate.ts).
    const targets = spec.targets;
    if (signal.aborted) return Promise.resolve();
    // The packet budget is reserved by the hub's AgentGate (core/agent-gate.ts) for every agent.
    const id = this.#nextId++;
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        this.#send({ t: 'cancel', id });
        // An agent that never answers `end` must not pin the run here forever.
        timer = setTimeout(() => this.#finish(id, 'no end after cancel', false), CANCEL_GRACE_MS);
        timer.unref?.();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#runs.set(id, {
        emit,
        resolve,
        targets: new Set(targets),
        open: new Set(targets),
        refused: new Set(),
        cleanup: () => {
          signal.removeEventListener('abort', onAbort);
          if (timer) clearTimeout(timer);
        },
      });
      const ranges = hubRanges?.length ? { allowedRanges: [...hubRanges] } : {};
      if (!this.#send({ t: 'run', id, spec, policy: this.#policy, ...ranges })) this.#finish(id, 'the connection closed before the run started');
    });
  }

  /** Feeds a frame from the agent. Unknown ids (runs already ended) are ignored. */
  handle(message: EventMessage | EventsMessage | EndMessage): void {
    const run = this.#runs.get(message.id);
    if (!run) return;
    if (message.t === 'end') {
      this.#runs.delete(message.id);
      run.cleanup();
      run.resolve();
      return;
    }
    if (message.t === 'events') {
      for (const e of message.es) {
        this.#relay(message.id, run, e);
        if (!this.#runs.has(message.id)) return; // a bad event ended the whole run
      }
      return;
    }
    this.#relay(message.id, run, message.e);
  }

  #relay(id: number, run: OpenRun, raw: unknown): void {
    const target = targetOf(raw);
    // A part the hub already ended: the agent may not have seen the cancel yet.
    if (target !== undefined && run.refused.has(target)) return;
    const parsed = parseEvent(raw);
    if (!parsed.ok) return this.#refuse(id, run, target, parsed.reason);
    const e = parsed.event;
    if (e.type === 'done') return;
    // Late enrichment is the hub's word about an address, never an agent's.
    if (e.type === 'info') return this.#refuse(id, run, e.target, 'info events come from the hub, not from agents');
    if (e.target !== undefined && !run.targets.has(e.target)) return this.#refuse(id, run, undefined, `${e.type} event for a target the run does not have`);
    if ((e.type === 'summary' || e.type === 'error') && e.target !== undefined) run.open.delete(e.target);
    run.emit(e);
  }

  /** Ends the part of `target` (or, when it names no open part, every open part) of a bad event. */
  #refuse(id: number, run: OpenRun, target: string | undefined, reason: string): void {
    const name = this.info.name;
    this.#onBadEvent(reason);
    const parts = target !== undefined && run.open.has(target) ? [target] : target !== undefined && run.targets.has(target) ? [] : [...run.open];
    for (const t of parts) {
      run.open.delete(t);
      run.refused.add(t);
      run.emit({ type: 'error', agent: name, target: t, code: ErrorCode.AgentProtocol, message: `agent ${name} broke the protocol, so this part was ended: ${reason}` });
    }
    if (run.open.size === 0) {
      // Nothing of this run is relayed any more: stop the agent's work and forget the run.
      this.#send({ t: 'cancel', id });
      this.#finish(id, reason, false);
    }
  }

  /** The connection is gone: every open part ends with MP_ERR_AGENT_LOST. */
  lost(reason: string): void {
    if (this.#lostReason !== undefined) return;
    this.#lostReason = reason;
    for (const id of [...this.#runs.keys()]) this.#finish(id, reason);
  }

  #finish(id: number, reason: string, report = true): void {
    const run = this.#runs.get(id);
    if (!run) return;
    this.#runs.delete(id);
    run.cleanup();
    const name = this.info.name;
    for (const target of report ? run.open : []) {
      run.emit({ type: 'error', agent: name, target, code: ErrorCode.AgentLost, message: `agent ${name} was lost mid-measurement (${reason})` });
    }
    run.resolve();
  }
}

/** The `target` of an untrusted event when it is a string, for routing a refusal to its part. */
function targetOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const t = (raw as { target?: unknown }).target;
  return typeof t === 'string' ? t : undefined;
}
