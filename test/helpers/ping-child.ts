/**
 * Runs one measurement with a real LocalAgent in this process and prints its events as NDJSON.
 * Tests start it in another process when they need other privileges or another network
 * namespace: `node ping-child.ts '<spec json>'` (MESHPROBE_DNS_SERVERS is honoured).
 */
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { parseSpec } from '../../shared/model/spec.ts';

const r = parseSpec(JSON.parse(process.argv[2] ?? '{}'));
if (!r.ok) {
  process.stderr.write(`bad spec: ${r.message}\n`);
  process.exit(2);
}
const dnsServers = (process.env.MESHPROBE_DNS_SERVERS ?? '').split(',').filter(Boolean);
const agent = new LocalAgent({ name: 'child', ...(dnsServers.length ? { dnsServers } : {}) });
await agent.run(r.spec, { signal: new AbortController().signal, emit: (e) => process.stdout.write(JSON.stringify(e) + '\n') });
