/**
 * A small agent that speaks the real agent protocol over a real WebSocket, for the hub's monitor
 * tests: hello with the `monitor` capability, then it records the hub's `monitors`,
 * `monitor-changes` and `ack` frames and sends the `report` frames a test writes. It is the hub's counterpart here, not
 * the agent under test (agent/ has its own tests), so it does nothing on its own.
 */
import WebSocket from 'ws';
import type { MinuteRow, RouteRecord } from '../../shared/model/monitor-types.ts';
import { decodeHubMessage, type MonitorChangesMessage, type MonitorsMessage } from '../../shared/wire/agent-protocol.ts';
import { AGENT_CONNECT_PATH, AGENT_PROTOCOL_VERSION } from '../../shared/wire/agent-protocol-constants.ts';

export interface MonitorAgentOptions {
  capabilities?: string[];
  country?: string;
}

export class MonitorAgent {
  readonly name: string;
  readonly ws: WebSocket;
  /** Every `monitors` frame, in order. */
  readonly assignments: MonitorsMessage[] = [];
  /** Every `monitor-changes` frame, in order. */
  readonly changes: MonitorChangesMessage[] = [];
  /** The set now: the last `monitors` frame with the changes since applied (ids in order of arrival). */
  #set: Map<number, MonitorsMessage['list'][number]> | undefined;
  /** Every acked seq, in order. */
  readonly acks: number[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #waiters = new Set<() => void>();

  private constructor(name: string, ws: WebSocket) {
    this.name = name;
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const d = decodeHubMessage(data.toString());
      if (!d.ok) return;
      if (d.message.t === 'monitors') {
        this.assignments.push(d.message);
        this.#set = new Map(d.message.list.map((a) => [a.id, a]));
      } else if (d.message.t === 'monitor-changes') {
        this.changes.push(d.message);
        for (const id of d.message.drop) this.#set?.delete(id);
        for (const a of d.message.set) this.#set?.set(a.id, a);
      } else if (d.message.t === 'ack') this.acks.push(d.message.seq);
      for (const w of this.#waiters) w();
    });
    ws.on('close', () => {
      for (const w of this.#waiters) w();
    });
  }

  /** Connects and resolves once welcomed. */
  static async connect(hubUrl: string, token: string, name: string, o: MonitorAgentOptions = {}): Promise<MonitorAgent> {
    const ws = new WebSocket(hubUrl.replace(/^http/, 'ws') + AGENT_CONNECT_PATH, { headers: { authorization: `Bearer ${token}` } });
    const agent = new MonitorAgent(name, ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('close', (code, reason) => reject(new Error(`closed before welcome: ${code} ${reason.toString()}`)));
      ws.on('open', () => ws.send(JSON.stringify({ t: 'hello', v: AGENT_PROTOCOL_VERSION, info: { name, capabilities: o.capabilities ?? ['icmp', 'ping', 'traceroute', 'monitor'], version: 'test', ...(o.country ? { country: o.country } : {}) } })));
      ws.on('message', (data) => {
        if (decodeHubMessage(data.toString()).ok && JSON.parse(data.toString()).t === 'welcome') resolve();
      });
    });
    return agent;
  }

  /** The newest assignment set (monitor ids), or undefined before the first. */
  get current(): number[] | undefined {
    return this.#set ? [...this.#set.keys()] : undefined;
  }

  /** Waits until `check` holds (re-checked on every frame), failing after `timeoutMs`. */
  async until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        reject(new Error(`agent ${this.name}: timed out waiting for ${what}; monitors frames: ${JSON.stringify(this.assignments.map((a) => a.list.map((x) => x.id)))}, acks: ${JSON.stringify(this.acks)}`));
      }, timeoutMs);
      const w = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.#waiters.delete(w);
        resolve();
      };
      this.#waiters.add(w);
    });
  }

  /** Waits until the set (the last `monitors` frame and the changes since) is exactly `ids` (any order); returns the last full frame. */
  async assigned(ids: number[], timeoutMs = 5000): Promise<MonitorsMessage> {
    const want = [...ids].sort((a, b) => a - b).join(',');
    const same = () => [...(this.current ?? [])].sort((a, b) => a - b).join(',') === want && this.assignments.length > 0;
    await this.until(`monitors [${want}]`, same, timeoutMs);
    return this.assignments.at(-1)!;
  }

  report(seq: number, rows: MinuteRow[], routes?: RouteRecord[]): void {
    this.ws.send(JSON.stringify({ t: 'report', seq, rows, ...(routes ? { routes } : {}) }));
  }

  /** Sends a report and waits for its ack. */
  async reportAcked(seq: number, rows: MinuteRow[], routes?: RouteRecord[]): Promise<void> {
    this.report(seq, rows, routes);
    await this.until(`ack ${seq}`, () => this.acks.includes(seq));
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close(1000);
    await this.closed;
  }
}
