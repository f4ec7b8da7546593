/**
 * An agent's Prometheus metrics (design §8, issue 4): packets sent (counted at the socket as
 * they leave, per run: packet-count.ts; cancelled runs included), replies received (from the
 * per-target summaries), measurements running, and errors by kind. Its own registry, so an
 * embedded agent does not collide with the hub's (the hub serves both at /metrics).
 * Label values come from fixed sets only: the agent's name (one per registry), the measurement
 * types of the spec schema, and the ErrorCode values (any other code counts as `other`).
 */

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
const MEASUREMENTS: ReadonlySet<string> = new Set(MeasurementType.options);
import { Counter, Gauge, Registry } from 'prom-client';
import type { AgentLink } from '../../shared/wire/agent-link.ts';
import { ErrorCode } from '../../shared/model/errors.ts';
import { MeasurementType } from '../../shared/registry.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { countPacketsSent } from '../socket/packet-count.ts';

/** Options of {@link AgentMetrics.meter}. */
export interface MeterOptions {
  /**
   * Also count the runs (measurements running) and their events (received, errors). Default
   * false: a remote agent's runtime reports those itself, once per run from the hub, whereas
   * the metered agent may see one run per target (behind a TargetGuard).
   */
  runs?: boolean;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly #sent: Counter;
  readonly #received: Counter;
  readonly #running: Gauge;
  readonly #errors: Counter;
  #runs = 0;

  constructor(agent: string) {
    this.registry.setDefaultLabels({ agent });
    this.#sent = new Counter({ name: 'meshprobe_agent_packets_sent_total', help: 'Probe packets sent (as the kernel took them), by measurement type', labelNames: ['measurement'], registers: [this.registry] });
    this.#received = new Counter({ name: 'meshprobe_agent_packets_received_total', help: 'Probe replies received, by measurement type', labelNames: ['measurement'], registers: [this.registry] });
    this.#running = new Gauge({ name: 'meshprobe_agent_measurements_running', help: 'Measurements running on this agent', registers: [this.registry] });
    this.#errors = new Counter({ name: 'meshprobe_agent_errors_total', help: 'Error events by code', labelNames: ['code'], registers: [this.registry] });
  }

  /** Feeds one event this agent produced: replies received and errors. */
  event(e: MeasurementEvent): void {
    if (e.type === 'summary') {
      if (MEASUREMENTS.has(e.measurement)) this.#received.inc({ measurement: e.measurement }, e.received);
    } else if (e.type === 'error') {
      this.#errors.inc({ code: ERROR_CODES.has(e.code) ? e.code : 'other' });
    }
  }

  /** Sets the number of measurements running (a remote agent's runtime knows it). */
  running(n: number): void {
    this.#runs = n;
    this.#running.set(n);
  }

  /** Counts `n` packets sent for a measurement of type `measurement`. */
  sent(measurement: string, n: number): void {
    if (MEASUREMENTS.has(measurement)) this.#sent.inc({ measurement }, n);
  }

  /** `agent` with its packets counted as they are sent (and, with `runs`, its runs and events). */
  meter(agent: AgentLink, o: MeterOptions = {}): AgentLink {
    const link: AgentLink = {
      info: agent.info,
      run: async (spec, options) => {
        const onSent = (n: number) => this.sent(spec.type, n);
        if (!o.runs) return countPacketsSent(onSent, () => agent.run(spec, options));
        this.running(this.#runs + 1);
        const emit = (e: MeasurementEvent) => {
          this.event(e);
          options.emit(e);
        };
        try {
          await countPacketsSent(onSent, () => agent.run(spec, { ...options, emit }));
        } finally {
          this.running(this.#runs - 1);
        }
      },
    };
    // Read when the hub asks for them, not now: a LocalAgent makes its monitor service (in its
    // data dir) on first access, and the launcher checks that directory after wrapping it.
    if ('monitors' in agent) Object.defineProperty(link, 'monitors', { get: () => agent.monitors, enumerable: true });
    return link;
  }
}
