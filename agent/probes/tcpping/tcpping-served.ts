/**
 * The TCP echo responder as a served protocol (`--serve tcpping[:PORT]`, echo-server
 * `--tcpping [ADDR:]PORT`): tcp_ping_prometheus' server, both framings on one port.
 */
import { Counter, Gauge } from 'prom-client';
import type { ServedProtocol } from '../../servers/served-protocol.ts';
import { TcpEchoResponder } from '../../servers/tcp-echo-responder.ts';
import { TCPPING_PORT } from '../../../shared/measurements/tcpping/tcpping-params.ts';

export const tcppingServed: ServedProtocol = {
  name: 'tcpping',
  listeners: [{ flag: 'tcpping', transport: 'tcp', defaultPort: TCPPING_PORT, help: `TCP echo for tcp_ping_prometheus and tcp-echo-metrics clients (default port ${TCPPING_PORT})` }],
  async start(addresses, o) {
    const r = new TcpEchoResponder();
    const a = addresses[0]!;
    const bound = await r.listen(a.host, a.port);
    if (o.registry) {
      const c = r.counters;
      const registers = [o.registry];
      new Counter({ name: 'meshprobe_echo_connections_total', help: 'TCP echo connections accepted', registers, collect() { this.reset(); this.inc(c.connections); } });
      new Counter({ name: 'meshprobe_echo_refused_total', help: 'TCP echo connections refused by a bound (in all, per source)', registers, collect() { this.reset(); this.inc(c.refused); } });
      new Counter({
        name: 'meshprobe_echo_frames_total', help: 'TCP echo frames echoed, by framing (magic: 24-byte TCPPING, legacy: 16-byte)', labelNames: ['framing'], registers,
        collect() { this.reset(); this.inc({ framing: 'magic' }, c.frames); this.inc({ framing: 'legacy' }, c.legacyFrames); },
      });
      new Counter({ name: 'meshprobe_echo_bad_frames_total', help: 'TCP echo connections closed for a wrong magic', registers, collect() { this.reset(); this.inc(c.badFrames); } });
      new Gauge({ name: 'meshprobe_echo_connections_open', help: 'TCP echo connections open', registers, collect() { this.set(r.open); } });
    }
    return { addresses: [bound], close: () => r.close() };
  },
};
