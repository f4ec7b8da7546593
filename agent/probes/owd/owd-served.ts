/**
 * latency-monitor's TCP and UDP responders as a served protocol (`--serve owd[:TCP/UDP]`,
 * echo-server `--owd-tcp [ADDR:]PORT --owd-udp [ADDR:]PORT`), with the forward one-way delays it
 * sees as `meshprobe_owd_seconds{direction="forward"}`.
 */
import { Counter, Histogram } from 'prom-client';
import { LatencyResponder } from '../../servers/latency-responder.ts';
import type { ServedProtocol } from '../../servers/served-protocol.ts';
import { OWD_TCP_PORT, OWD_UDP_PORT } from '../../../shared/measurements/owd/owd-params.ts';
import { OWD_BUCKETS } from './owd-protocol.ts';

/** Distinct `source` label values kept; later senders share `other` (the label is untrusted input). */
const MAX_SOURCES = 100;

export const owdServed: ServedProtocol = {
  name: 'owd',
  listeners: [
    { flag: 'owd-tcp', transport: 'tcp', defaultPort: OWD_TCP_PORT, help: `latency-monitor TCP responder (default port ${OWD_TCP_PORT})` },
    { flag: 'owd-udp', transport: 'udp', defaultPort: OWD_UDP_PORT, help: `latency-monitor UDP responder (default port ${OWD_UDP_PORT})` },
  ],
  async start(addresses, o) {
    const registers = o.registry ? [o.registry] : [];
    const owd = new Histogram({
      name: 'meshprobe_owd_seconds', help: 'One-way delay (receive − send through both clocks), by direction, as this end saw it',
      labelNames: ['direction', 'protocol', 'source'], buckets: OWD_BUCKETS, registers,
    });
    const sources = new Set<string>();
    const r = new LatencyResponder({
      name: o.name,
      onDelay: (d) => {
        if (!o.registry) return;
        let source = d.source.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64);
        if (!sources.has(source)) {
          if (sources.size >= MAX_SOURCES) source = 'other';
          else sources.add(source);
        }
        owd.observe({ direction: 'forward', protocol: d.protocol, source }, Number(d.delayNs) / 1e9);
      },
    });
    const tcp = addresses[0] ? await r.listenTcp(addresses[0].host, addresses[0].port) : undefined;
    const udp = addresses[1] ? await r.listenUdp(addresses[1].host, addresses[1].port) : undefined;
    const bound = [tcp, udp];
    if (o.registry) {
      const c = r.counters;
      new Counter({
        name: 'meshprobe_owd_messages_total', help: 'latency-monitor messages answered, by transport', labelNames: ['protocol'], registers,
        collect() { this.reset(); this.inc({ protocol: 'tcp' }, c.tcpMessages); this.inc({ protocol: 'udp' }, c.udpMessages); },
      });
      new Counter({ name: 'meshprobe_owd_malformed_total', help: 'Malformed latency-monitor messages (UDP dropped, TCP connection closed)', registers, collect() { this.reset(); this.inc(c.malformed); } });
      new Counter({ name: 'meshprobe_owd_out_of_sequence_total', help: 'Messages whose SEQ was not the next of the sender', registers, collect() { this.reset(); this.inc(c.outOfSequence); } });
      new Counter({ name: 'meshprobe_owd_refused_total', help: 'TCP connections refused by a bound', registers, collect() { this.reset(); this.inc(c.refused); } });
    }
    return { addresses: bound, close: () => r.close() };
  },
};
