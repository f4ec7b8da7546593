/**
 * The meshprobe side of the sweep bench, as its own process like fping: sweeps a prefix with the
 * agent's sweep engine and prints the live hosts, one per line (fping -a -q), and on stderr
 * `kernelDrops N` from the summary.
 *
 *   node bench/sweep-child.ts CIDR [RATE]
 */
import { runSweep } from '../agent/probes/probe/sweep.ts';
import type { MeasurementSpec } from '../shared/model/spec.ts';

// A literal spec rather than parseSpec(): the engine is what is measured, not loading zod.
const spec: MeasurementSpec = { type: 'probe', targets: [process.argv[2] ?? '127.1.0.0/16'], from: [], rate: Number(process.argv[3] ?? 0), timeoutMs: 1000 };
const live: string[] = [];
let kernelDrops: number | undefined;
await runSweep(spec, {
  agent: 'bench',
  signal: new AbortController().signal,
  emit: (e) => {
    if (e.type === 'host' && e.rttMs !== null) live.push(e.address);
    if (e.type === 'summary') kernelDrops = e.kernelDrops;
    if (e.type === 'error') {
      console.error(e.message);
      process.exit(1);
    }
  },
});
// stderr, for sweep-fping.ts: what the kernel dropped (receive buffer full).
if (kernelDrops !== undefined) process.stderr.write(`kernelDrops ${kernelDrops}\n`);
process.stdout.write(live.join('\n') + '\n');
