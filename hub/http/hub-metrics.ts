/**
 * The hub's Prometheus metrics (issue 4): requests by route and status, open streams, agents
 * connected, events relayed, and the relay latency histogram (an agent's frame arriving at the
 * hub until its event has been written to the client's stream). Fed through the observer seam
 * and the agent gateway; served at GET /metrics.
 *
 * Every label value comes from a fixed set, so that no input can add series (issue 11 item 4):
 * route (the route table's names, or `unknown`), method (the methods node:http parses, a fixed
 * list), status (the codes the hub writes), change (connected, disconnected), event type (the
 * schema's types, anything else `invalid`). No label carries an agent name, subject or address.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EVENT_TYPES } from '../../shared/model/events.ts';
import type { HubObserver, HubRoute } from './route.ts';

export class HubMetrics {
  readonly registry = new Registry();
  readonly requests: Counter;
  readonly openStreams: Gauge;
  readonly agentsConnected: Gauge;
  readonly events: Counter;
  readonly relayLatency: Histogram;
  readonly agentChanges: Counter;
  /** Further registries served at /metrics after the hub's own (the embedded agent's). */
  readonly #included: Registry[] = [];
  /** Exposition text written by hand after the registries (the monitor families, hub/http/monitor-metrics.ts). */
  readonly #texts: (() => string)[] = [];

  constructor(o: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'meshprobe_hub_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers });
    this.openStreams = new Gauge({ name: 'meshprobe_hub_open_streams', help: 'Measurement streams open now', labelNames: ['route'], registers });
    this.agentsConnected = new Gauge({ name: 'meshprobe_hub_agents_connected', help: 'Remote agents connected over WebSocket', registers });
    this.events = new Counter({ name: 'meshprobe_hub_events_total', help: 'Events relayed to clients, by type', labelNames: ['type'], registers });
    this.agentChanges = new Counter({ name: 'meshprobe_hub_agent_connections_total', help: 'Agent connects and disconnects', labelNames: ['change'], registers });
    this.relayLatency = new Histogram({
      name: 'meshprobe_hub_relay_latency_seconds',
      help: 'Time from an agent frame arriving at the hub to its event being written to the client',
      buckets: [0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers,
    });
    if (o.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'meshprobe_hub_' });
  }

  /** Serves `registry` at /metrics too; its metric names must not clash with the hub's. */
  include(registry: Registry): void {
    this.#included.push(registry);
  }

  /** Serves the text `produce` returns at /metrics too, after the registries; its names must not clash. */
  includeText(produce: () => string): void {
    this.#texts.push(produce);
  }

  /** The observer seam's callbacks. */
  observer(): HubObserver {
    return {
      request: ({ route, method, status }) => this.requests.inc({ route, method, status: String(status) }),
      streamOpened: ({ route }) => this.openStreams.inc({ route }),
      streamClosed: ({ route }) => this.openStreams.dec({ route }),
      event: (e) => this.events.inc({ type: EVENT_TYPES.has(e.type) ? e.type : 'invalid' }),
    };
  }

  /** GET /metrics, public: scrapers rarely carry tokens; bind the hub to a private address if that matters. */
  route(): HubRoute {
    return {
      name: 'metrics',
      methods: ['GET'],
      path: '/metrics',
      public: true,
      handle: async ({ res }) => {
        const parts = await Promise.all([this.registry, ...this.#included].map((r) => r.metrics()));
        for (const produce of this.#texts) parts.push(produce());
        const text = parts.map((p) => (p.endsWith('\n') ? p : p + '\n')).join('');
        res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
        res.end(text);
      },
    };
  }
}
