/**
 * Runs one measurement with the real LocalAgent and prints its events as NDJSON. The lab starts
 * it inside the client namespace (`ip netns exec NS node run-agent.ts SPEC_JSON [OPTIONS_JSON]`),
 * since a process cannot measure from a namespace it is not in.
 *
 * OPTIONS_JSON: { "dnsRecords": { name: [addresses] } } starts the test DNS server on the
 * namespace's own loopback, so names and reverse names of lab hosts resolve there and nowhere else.
 */
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { parseSpec } from '../../shared/model/spec.ts';
import { startDnsServer } from '../helpers/dns-server.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';

const parsed = parseSpec(JSON.parse(process.argv[2] ?? '{}'));
if (!parsed.ok) {
  console.error(parsed.message);
  process.exit(2);
}
const opts = JSON.parse(process.argv[3] ?? '{}') as { dnsRecords?: Record<string, string[]> };
const dns = opts.dnsRecords ? await startDnsServer(opts.dnsRecords) : undefined;
const agent = new LocalAgent({ name: 'lab', ...(dns ? { dnsServers: dns.servers } : {}) });
const ac = new AbortController();
process.once('SIGTERM', () => ac.abort());
const out: string[] = [];
await agent.run(parsed.spec, { signal: ac.signal, emit: (e: MeasurementEvent) => out.push(JSON.stringify(e)) });
await dns?.close();
process.stdout.write(out.join('\n') + '\n');
process.exit(0);
