/**
 * The monitors of an agent at the far end of a WebSocket (issue 13 item 3): AgentMonitors over
 * the `monitors`, `monitor-changes`, `report` and `ack` frames (shared/wire/agent-protocol.ts).
 *
 * The hub's service hands over the whole set on every change. The first set on a connection, and
 * one with another scope, goes whole; after that an agent that takes changes gets what differs
 * (set and drop by id), so adding the 10,000th monitor sends ~100 bytes, not ~1 MB the agent
 * must parse (its memory peaked ~45 MB higher under a burst of adds). The link is per connection:
 * a reconnecting agent gets a new one, and so the whole set first.
 *
 * Reports are stored one after another, in the order they came. `ack {seq}` tells the agent that
 * everything up to `seq` is stored, so a report is acked only once it and every report before it
 * on this connection were stored. When the hub cannot store one (the store's error: disk full, a
 * read-only file), nothing more is acked on this connection and it is closed, so that the agent
 * reconnects and sends every unacked report again; rows are keyed, so what was stored in between
 * counts once.
 */
import { describeError } from '../../shared/model/errors.ts';
import { assignmentChanges, type MonitorAssignment } from '../../shared/model/monitor-types.ts';
import type { AgentMonitors, MonitorReport } from '../../shared/wire/agent-link.ts';
import type { HubMessage, ReportMessage } from '../../shared/wire/agent-protocol.ts';

export interface RemoteAgentMonitorsOptions {
  /** Sends one frame to the agent; false when the socket is gone. */
  send: (message: HubMessage) => boolean;
  /** A report could not be stored: the connection should close (the agent resends on its next one). */
  onStoreFailure: (reason: string) => void;
  /** The agent announced MONITOR_CHANGES_CAPABILITY: after the first set, send changes only. */
  changes?: boolean;
}

export class RemoteAgentMonitors implements AgentMonitors {
  readonly #send: (message: HubMessage) => boolean;
  readonly #onStoreFailure: (reason: string) => void;
  #store: ((report: MonitorReport) => Promise<void>) | undefined;
  #queue: Promise<void> = Promise.resolve();
  #failed = false;
  /** The agent takes `monitor-changes` frames. */
  readonly #changes: boolean;
  /** The set and scope the agent was last sent on this connection (none yet: the whole set goes). */
  #sent: Map<number, MonitorAssignment> | undefined;
  #scopeKey = '';

  constructor(o: RemoteAgentMonitorsOptions) {
    this.#send = o.send;
    this.#onStoreFailure = o.onStoreFailure;
    this.#changes = o.changes ?? false;
  }

  assign(list: readonly MonitorAssignment[], scope: { policy: 'public' | 'lan'; allowedRanges?: readonly string[] }): void {
    const scopeKey = JSON.stringify([scope.policy, scope.allowedRanges ?? []]);
    if (this.#changes && this.#sent && scopeKey === this.#scopeKey) {
      // What differs from the set the agent has, as a `monitor-changes` frame.
      const { set, drop } = assignmentChanges(this.#sent, list);
      if (set.length + drop.length === 0) return;
      if (set.length + drop.length < list.length) {
        if (!this.#send({ t: 'monitor-changes', set, drop })) return;
        for (const id of drop) this.#sent.delete(id);
        for (const a of set) this.#sent.set(a.id, a);
        return;
      }
    }
    if (!this.#send({ t: 'monitors', list: [...list], policy: scope.policy, ...(scope.allowedRanges?.length ? { allowedRanges: [...scope.allowedRanges] } : {}) })) return;
    this.#sent = new Map(list.map((a) => [a.id, a]));
    this.#scopeKey = scopeKey;
  }

  onReport(store: (report: MonitorReport) => Promise<void>): void {
    this.#store = store;
  }

  /** A `report` frame from the agent (its shape checked by the frame schema). */
  handle(m: ReportMessage): void {
    this.#queue = this.#queue.then(() => this.#take(m));
  }

  /** Resolves once every report received so far is stored or refused (tests, orderly close). */
  settled(): Promise<void> {
    return this.#queue;
  }

  async #take(m: ReportMessage): Promise<void> {
    // Unacked, the agent keeps it and sends it again on its next connection.
    if (this.#failed || !this.#store) return;
    try {
      await this.#store({ seq: m.seq, rows: m.rows, ...(m.routes ? { routes: m.routes } : {}) });
    } catch (err) {
      this.#failed = true;
      this.#onStoreFailure(describeError(err).message);
      return;
    }
    this.#send({ t: 'ack', seq: m.seq });
  }
}
