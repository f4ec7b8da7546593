/**
 * Runs one measurement with the real LocalAgent and prints its events as NDJSON. The lab starts
 * it inside the client namespace (`ip netns exec NS node run-agent.ts SPEC_JSON [DNS,SERVERS]`),
 * since a process cannot measure from a namespace it is not in.
 */
import { LocalAgent } from '../../agent/local-agent.ts';
import { parseSpec } from '../../shared/spec.ts';

const parsed = parseSpec(JSON.parse(process.argv[2] ?? '{}'));
if (!parsed.ok) {
  console.error(parsed.message);
  process.exit(2);
}
const dnsServers = process.argv[3]?.split(',').filter(Boolean);
const agent = new LocalAgent({ name: 'lab', ...(dnsServers ? { dnsServers } : {}) });
const ac = new AbortController();
process.once('SIGTERM', () => ac.abort());
const out: string[] = [];
await agent.run(parsed.spec, { signal: ac.signal, emit: (e) => out.push(JSON.stringify(e)) });
process.stdout.write(out.join('\n') + '\n');
