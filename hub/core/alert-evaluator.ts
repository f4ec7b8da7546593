/**
 * Alert rules of monitors at work (issue 13 item 10, docs/monitors.md "Alerts"). For each
 * monitor and rule, the last window of minute rows of each agent is merged (exact: merging is
 * adding) and the rule's metric compared with its threshold; the rule holds for the monitor when
 * it holds on at least one agent. The owner is told once when it starts holding and once when it
 * clears.
 *
 * What was last told is kept in the store (`alertState`: holding, since, notifiedAt), so a hub
 * restart does not tell it again. The state is written first and the message sent after: a crash
 * between the two loses one message, never repeats one. Messages are rate-limited per monitor
 * (at most one per `minMessageIntervalMs`, default 5 minutes, all its rules together): a change
 * that comes sooner waits, and is told only if it still stands when the limit has passed, so a
 * flapping link gives a bounded trickle of messages, never a loop.
 */
import { alertMetricValue, type AlertRule, formatAlertValue, parseAlertRule, ruleHolds } from '../../shared/model/alert-rule.ts';
import type { MonitorRecord, MonitorStore } from '../store/monitor-store.ts';

/** Where a monitor's alerts go: the chat or mail address that created it, and an optional webhook. */
export interface AlertTarget {
  /** Telegram chat id. */
  telegram?: string;
  email?: string;
  /** An http(s) URL; checked against the hub's target policy when sent. */
  webhook?: string;
}

/** One notification: a rule of a monitor started holding (`firing`) or stopped (`resolved`). */
export interface AlertMessage {
  monitor: { id: number; name: string; target: string; owner: string };
  /** The rule as the monitor has it (`loss>5% for 5m`). */
  rule: string;
  state: 'firing' | 'resolved';
  /** When it was decided (ISO). */
  at: string;
  /** Per agent with data in the window: the metric's value (null: none, e.g. no reply) and whether the rule holds there. */
  agents: { agent: string; value: number | null; holds: boolean }[];
  /** One line for people: what, where, how much. */
  text: string;
}

/** The notifier seam: Telegram, mail and webhooks plug in here (hub/http/alert-webhook.ts, bin/start.ts). */
export interface AlertSink {
  notify(target: AlertTarget, message: AlertMessage): Promise<void>;
}

/** The store methods the evaluator uses. */
export type AlertStore = Pick<MonitorStore, 'listMonitors' | 'samples' | 'alertState' | 'setAlertState'>;

export interface AlertEvaluatorOptions {
  store: AlertStore;
  sink: AlertSink;
  /** At most one message per monitor per this long (all its rules together). Default 5 minutes. */
  minMessageIntervalMs?: number;
  /** Clock, ms since the epoch. Default Date.now. */
  now?: () => number;
  log?: (line: string) => void;
}

export const ALERT_MIN_MESSAGE_INTERVAL_MS = 300_000;

export class AlertEvaluator {
  readonly #store: AlertStore;
  readonly #sink: AlertSink;
  readonly #minIntervalMs: number;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  /** When each monitor was last told something (seeded from the store's notifiedAt). */
  readonly #lastMessage = new Map<number, number>();
  /** Rules that did not parse, logged once each. */
  readonly #badRules = new Set<string>();
  #running: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(o: AlertEvaluatorOptions) {
    this.#store = o.store;
    this.#sink = o.sink;
    this.#minIntervalMs = o.minMessageIntervalMs ?? ALERT_MIN_MESSAGE_INTERVAL_MS;
    this.#now = o.now ?? Date.now;
    this.#log = o.log ?? (() => {});
  }

  /** Evaluates every monitor now and then every `everyMs` (default a minute) until stop(). */
  start(everyMs = 60_000): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.evaluateAll(), everyMs);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Evaluates every rule of every monitor and sends what has to be sent; resolves when the
   * messages have been handed to the sink. A call while one runs waits for it instead of
   * running twice.
   */
  evaluateAll(): Promise<void> {
    this.#running ??= this.#evaluateAll().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #evaluateAll(): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const m of this.#store.listMonitors()) {
      if (m.alerts.length === 0) continue;
      try {
        sends.push(...this.#evaluate(m));
      } catch (err) {
        this.#log(`alerts: monitor ${m.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await Promise.all(sends);
  }

  /** The rules of `m`: state changes written, messages started. */
  #evaluate(m: MonitorRecord): Promise<void>[] {
    const now = this.#now();
    const out: Promise<void>[] = [];
    if (!this.#lastMessage.has(m.id)) {
      let last = Number.NEGATIVE_INFINITY;
      for (const text of m.alerts) last = Math.max(last, this.#store.alertState(m.id, text)?.notifiedAt ?? Number.NEGATIVE_INFINITY);
      this.#lastMessage.set(m.id, last);
    }
    for (const text of m.alerts) {
      const parsed = parseAlertRule(text);
      if (!parsed.ok) {
        if (!this.#badRules.has(`${m.id}\t${text}`)) this.#log(`alerts: monitor ${m.id}: ${parsed.message}; skipped`);
        this.#badRules.add(`${m.id}\t${text}`);
        continue;
      }
      const agents = this.#agentValues(m.id, parsed.rule, now);
      // No agent measured anything in the window (all away, or paused): nothing to decide on.
      if (agents.length === 0) continue;
      const holds = agents.some((a) => a.holds);
      const state = this.#store.alertState(m.id, text) ?? { holding: false, since: now, notifiedAt: null };
      if (holds === state.holding) continue;
      if (now - this.#lastMessage.get(m.id)! < this.#minIntervalMs) continue;
      // Durable first: once written, a restart will not tell this again.
      this.#store.setAlertState(m.id, text, { holding: holds, since: now, notifiedAt: now });
      this.#lastMessage.set(m.id, now);
      const message = alertMessage(m, text, parsed.rule, holds, agents, now);
      out.push(
        this.#sink.notify({ ...m.notify }, message).catch((err: unknown) => {
          this.#log(`alerts: monitor ${m.id}: ${message.state} of ${text} not delivered: ${err instanceof Error ? err.message : String(err)}`);
        }),
      );
    }
    return out;
  }

  /** The rule's metric per agent over the window ending with the current minute. */
  #agentValues(monitor: number, rule: AlertRule, now: number): AlertMessage['agents'] {
    const to = Math.floor(now / 60_000) * 60_000 + 60_000;
    const from = to - rule.windowMs;
    const merged = new Map<string, { sent: number; received: number; min: number | null; max: number | null; sum: number; hist: [number, number][] }>();
    for (const s of this.#store.samples(monitor, { from, to, stepMs: rule.windowMs })) {
      const w = merged.get(s.agent) ?? { sent: 0, received: 0, min: null, max: null, sum: 0, hist: [] };
      w.sent += s.sent;
      w.received += s.recv;
      w.sum += s.sum;
      if (s.min !== null) w.min = w.min === null ? s.min : Math.min(w.min, s.min);
      if (s.max !== null) w.max = w.max === null ? s.max : Math.max(w.max, s.max);
      w.hist.push(...s.hist);
      merged.set(s.agent, w);
    }
    const out: AlertMessage['agents'] = [];
    for (const [agent, w] of [...merged].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (w.sent === 0) continue;
      const value = alertMetricValue(rule.metric, w);
      out.push({ agent, value, holds: ruleHolds(rule, value) });
    }
    return out;
  }
}

/** The message of a change, with its one line. */
export function alertMessage(m: MonitorRecord, text: string, rule: AlertRule, holds: boolean, agents: AlertMessage['agents'], now: number): AlertMessage {
  const shown = (a: AlertMessage['agents'][number]) => `${a.agent} ${rule.metric} ${a.value === null ? 'n/a' : formatAlertValue(rule.metric, a.value)}`;
  const where = holds ? agents.filter((a) => a.holds) : agents;
  const line = holds
    ? `ALERT ${m.name} (${m.probe}): ${text} holds on ${where.map(shown).join(', ')}`
    : `RESOLVED ${m.name} (${m.probe}): ${text} no longer holds (${where.map(shown).join(', ')})`;
  return {
    monitor: { id: m.id, name: m.name, target: m.target, owner: m.owner },
    rule: text,
    state: holds ? 'firing' : 'resolved',
    at: new Date(now).toISOString(),
    agents,
    text: line,
  };
}

/**
 * One sink of several: the message goes to each channel the target names and that has a sender,
 * all at once; a failing channel does not stop the others (the first failure is rethrown after).
 */
export function fanOutAlertSink(senders: {
  telegram?: (chatId: string, message: AlertMessage) => Promise<void>;
  email?: (address: string, message: AlertMessage) => Promise<void>;
  webhook?: (url: string, message: AlertMessage) => Promise<void>;
}): AlertSink {
  return {
    async notify(target, message) {
      const jobs: Promise<void>[] = [];
      if (target.telegram && senders.telegram) jobs.push(senders.telegram(target.telegram, message));
      if (target.email && senders.email) jobs.push(senders.email(target.email, message));
      if (target.webhook && senders.webhook) jobs.push(senders.webhook(target.webhook, message));
      const results = await Promise.allSettled(jobs);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
}
