/**
 * `meshprobe probe CIDR` in the CLI: the bitmap of the prefix, redrawn live on a terminal and
 * printed once when piped, followed by the counts and the live hosts. Real sweeps on loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, type CliEnvironment } from '../../bin/cli.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';

async function cli(argv: string[], terminal?: CliEnvironment['terminal']): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run({
    argv, env: {}, stdout: (t) => (out += t), stderr: (t) => (err += t), interrupt: new AbortController().signal,
    ...(terminal ? { terminal } : {}),
  });
  return { code, out, err };
}

test('probe piped: header, one final bitmap with counts, then the live hosts', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const r = await cli(['probe', '--rate', '0', '127.5.0.0/26']);
  assert.equal(r.code, 0, r.err);
  assert.ok(!r.out.includes('\x1b'), 'no escape sequences when not a terminal');
  const lines = r.out.split('\n');
  assert.match(lines[0]!, /^PROBE 127\.5\.0\.0\/26: 64 addresses/);
  // /26 = 8 × 8 cells, two address rows per text line: 4 lines of 8 full blocks.
  assert.deepEqual(lines.slice(1, 5), ['████████', '████████', '████████', '████████']);
  assert.equal(lines[5], '127.5.0.0/26: 64 up, 0 silent, 0 pending (64 addresses)');
  assert.equal(lines[6], '  127.5.0.0-63', 'then the live hosts');
  assert.doesNotMatch(r.out, /hosts up/, 'the counts are printed once, in the caption');
  assert.equal(r.out.match(/████████\n/g)!.length, 4, 'the bitmap is printed once');
});

test('probe on a terminal: the bitmap is redrawn in place as replies arrive', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const r = await cli(['probe', '--rate', '200', '127.5.1.0/26'], { columns: 100, rows: 40 });
  assert.equal(r.code, 0, r.err);
  const moves = r.out.match(/\x1b\[5F/g) ?? [];
  assert.ok(moves.length >= 2, `redrawn ${moves.length} times over the 5-line frame`);
  const captions = [...r.out.matchAll(/(\d+) up, 0 silent, (\d+) pending/g)].map((m) => Number(m[1]));
  assert.ok(captions.length >= 3, 'an initial, some live and a final frame');
  assert.equal(captions[0], 0, 'the first frame is all pending');
  assert.equal(captions.at(-1), 64, 'the last frame is complete');
  assert.ok(captions.every((n, i) => i === 0 || n >= captions[i - 1]!), 'counts only grow');
});

test('probe --json prints host events, no bitmap', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const r = await cli(['probe', '--json', '--rate', '0', '127.5.2.0/30']);
  const ev = r.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(ev.filter((e) => e.type === 'host').length, 4);
  assert.ok(!r.out.includes('█'));
});
