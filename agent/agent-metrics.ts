/**
 * A remote agent's Prometheus metrics (design §8, issue 4): packets sent and received (from
 * the per-target summaries, which count exactly what was sent), measurements running, and
 * errors by kind. Its own registry, so an embedded agent does not collide with the hub's.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { MeasurementEvent } from '../shared/events.ts';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly #sent: Counter;
  readonly #received: Counter;
  readonly #running: Gauge;
  readonly #errors: Counter;

  constructor(agent: string) {
    this.registry.setDefaultLabels({ agent });
    this.#sent = new Counter({ name: 'meshprobe_agent_packets_sent_total', help: 'Probe packets sent, by measurement type', labelNames: ['measurement'], registers: [this.registry] });
    this.#received = new Counter({ name: 'meshprobe_agent_packets_received_total', help: 'Probe replies received, by measurement type', labelNames: ['measurement'], registers: [this.registry] });
    this.#running = new Gauge({ name: 'meshprobe_agent_measurements_running', help: 'Measurements running on this agent', registers: [this.registry] });
    this.#errors = new Counter({ name: 'meshprobe_agent_errors_total', help: 'Error events by code', labelNames: ['code'], registers: [this.registry] });
  }

  event(e: MeasurementEvent): void {
    if (e.type === 'summary') {
      this.#sent.inc({ measurement: e.measurement }, e.sent);
      this.#received.inc({ measurement: e.measurement }, e.received);
    } else if (e.type === 'error') {
      this.#errors.inc({ code: e.code });
    }
  }

  running(n: number): void {
    this.#running.set(n);
  }
}
