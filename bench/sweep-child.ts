/**
 * The meshprobe side of the sweep bench, as its own process like fping: sweeps a prefix with the
 * agent's sweep engine and prints the live hosts, one per line (fping -a -q).
 *
 *   node bench/sweep-child.ts CIDR [RATE]
 */
import { runSweep } from '../agent/probes/sweep.ts';
import { parseSpec } from '../shared/spec.ts';

const r = parseSpec({ type: 'probe', targets: [process.argv[2] ?? '127.1.0.0/16'], rate: Number(process.argv[3] ?? 0), timeoutMs: 1000 });
if (!r.ok) {
  console.error(r.message);
  process.exit(2);
}
const live: string[] = [];
await runSweep(r.spec, {
  agent: 'bench',
  signal: new AbortController().signal,
  emit: (e) => {
    if (e.type === 'host' && e.rttMs !== null) live.push(e.address);
    if (e.type === 'error') {
      console.error(e.message);
      process.exit(1);
    }
  },
});
process.stdout.write(live.join('\n') + '\n');
