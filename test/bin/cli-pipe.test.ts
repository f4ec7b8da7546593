/**
 * `meshprobe … | slow-reader`: every line reaches a reader that does not read yet. The CLI runs
 * as users run it (bin/meshprobe.js in its own process) with stdout on a real pipe(2) made by
 * sh, and the reader sleeps before reading: until the CLI has exited (a CLI that leaves with
 * output still queued has lost it by then), or for a few seconds when it does not exit (it is
 * waiting for the reader, as it should). The pipe is already full when the CLI starts (64 KiB,
 * Linux's default pipe size), so even a short answer has to wait for the reader.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';
import { node24, root } from '../helpers/launcher-process.ts';

const shim = join(root, 'bin', 'meshprobe.js');
const systemNode = '/usr/bin/node';
const FILLER = 65_535;

// $1 marker file, $2 longest wait (tenths of a second), then the command. The writer side: the
// filler line, the CLI, then the CLI's exit status into the marker. The reader side: sleep until
// the marker is there or the wait is over, then read everything.
const script = `
marker=$1; tenths=$2; shift 2
{ printf '%${FILLER}s\\n' ''; "$@"; echo $? > "$marker"; } | {
  i=0
  while [ ! -s "$marker" ] && [ $i -lt $tenths ]; do sleep 0.1; i=$((i + 1)); done
  exec cat
}`;

interface Piped {
  /** The CLI's exit status. */
  status: number;
  /** The lines the reader got after the filler. */
  lines: string[];
  stderr: string;
}

async function pipedToSleepyReader(args: string[], o: { waitS: number; node?: string }): Promise<Piped> {
  const dir = await mkdtemp(join(tmpdir(), 'mp-pipe-'));
  try {
    const marker = join(dir, 'status');
    const cmd = [o.node ?? node24, shim, ...args];
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.MESHPROBE_HUB;
    const child = spawn('sh', ['-c', script, 'sh', marker, String(o.waitS * 10), ...cmd], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise((ok) => child.on('close', ok));
    const status = Number((await readFile(marker, 'utf8').catch(() => 'NaN')).trim());
    assert.ok(out.startsWith(`${' '.repeat(FILLER)}\n`), 'the filler line comes first');
    const body = out.slice(FILLER + 1);
    assert.ok(body === '' || body.endsWith('\n'), `the output ends with a whole line: …${JSON.stringify(body.slice(-80))}`);
    return { status, lines: body === '' ? [] : body.slice(0, -1).split('\n'), stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function skipReason(): string | null {
  if (!existsSync(node24)) return `no ${node24} (npm install)`;
  return rawSkipReason();
}

const events = (lines: string[]) => lines.map((l) => JSON.parse(l) as MeasurementEvent);

const PINGS = 300;

test(`ping -c ${PINGS} text: every reply and the statistics reach a reader that sleeps first`, async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const r = await pipedToSleepyReader(['ping', '-c', String(PINGS), '-i', '0.001', '127.0.0.1'], { waitS: 3 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  // PING header, one line per reply, blank, "--- … statistics ---", counts, rtt, percentiles.
  assert.equal(r.lines.length, 1 + PINGS + 5, `${r.lines.length} lines, the last: ${r.lines.at(-1)}`);
  assert.match(r.lines[0]!, /^PING 127\.0\.0\.1 \(127\.0\.0\.1\) /);
  const seqs = r.lines.slice(1, 1 + PINGS).map((l) => Number(/^64 bytes from 127\.0\.0\.1: icmp_seq=(\d+) /.exec(l)?.[1]));
  assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: PINGS }, (_, i) => i + 1));
  assert.deepEqual(r.lines.slice(1 + PINGS, 1 + PINGS + 2), ['', '--- 127.0.0.1 ping statistics ---']);
  assert.match(r.lines.at(-3)!, new RegExp(`^${PINGS} packets transmitted, ${PINGS} received, 0% packet loss`));
  assert.match(r.lines.at(-1)!, /^rtt p50\/p90\/p99 = /);
});

test(`ping -c ${PINGS} --json: every event reaches a reader that sleeps first`, async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const r = await pipedToSleepyReader(['ping', '--json', '-c', String(PINGS), '-i', '0.001', '127.0.0.1'], { waitS: 3 });
  assert.equal(r.status, 0, r.stderr);
  const types = events(r.lines).map((e) => e.type);
  assert.deepEqual(types, ['start', ...Array<string>(PINGS).fill('reply'), 'summary', 'done']);
});

test('ping through the shim under the system node: nothing lost either', async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  if (!existsSync(systemNode)) return t.skip('no /usr/bin/node on this host');
  const v = spawnSync(systemNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const [major, minor] = v.split('.').map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 18)) return t.skip(`/usr/bin/node is ${v}: the shim does not re-execute`);
  const r = await pipedToSleepyReader(['ping', '--json', '-c', String(PINGS), '-i', '0.001', '127.0.0.1'], { waitS: 3, node: systemNode });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(events(r.lines).length, PINGS + 3);
  assert.equal(events(r.lines).at(-1)!.type, 'done');
});

test('traceroute 127.0.0.1 text and --json: every line reaches a reader that sleeps first', async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const text = await pipedToSleepyReader(['traceroute', '127.0.0.1'], { waitS: 3 });
  assert.equal(text.status, 0, text.stderr);
  assert.equal(text.lines.length, 2, text.lines.join('\n'));
  assert.match(text.lines[0]!, /^traceroute to 127\.0\.0\.1 \(127\.0\.0\.1\), 30 hops max/);
  assert.match(text.lines[1]!, /^ 1 {2}\S+ \(127\.0\.0\.1\)( {2}[\d.]+ ms){3}$/);
  const json = await pipedToSleepyReader(['traceroute', '--json', '127.0.0.1'], { waitS: 3 });
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(events(json.lines).map((e) => e.type), ['start', 'hop', 'summary', 'done']);
});

test('probe --rate 0 127.1.0.0/16 text: the whole bitmap and the live hosts reach a reader that sleeps first', async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const r = await pipedToSleepyReader(['probe', '--rate', '0', '127.1.0.0/16'], { waitS: 6 });
  assert.equal(r.status, 0, r.stderr);
  // Header, 256 × 256 cells at two address rows per line (128 lines of 256), caption, live range.
  assert.equal(r.lines.length, 1 + 128 + 2, `${r.lines.length} lines, the last: ${r.lines.at(-1)?.slice(0, 80)}`);
  assert.match(r.lines[0]!, /^PROBE 127\.1\.0\.0\/16: 65536 addresses/);
  assert.ok(r.lines.slice(1, 129).every((l) => l === '█'.repeat(256)), 'every bitmap line is whole and full');
  assert.equal(r.lines[129], '127.1.0.0/16: 65536 up, 0 silent, 0 pending (65536 addresses)');
  assert.equal(r.lines[130], '  127.1.0.0-127.1.255.255');
});

test('probe --json --rate 0 127.1.0.0/16: all 65,539 events reach a reader that sleeps first', async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const r = await pipedToSleepyReader(['probe', '--json', '--rate', '0', '127.1.0.0/16'], { waitS: 6 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.lines.length, 65_539);
  const ev = events(r.lines);
  assert.equal(ev[0]!.type, 'start');
  assert.deepEqual(ev.slice(-2).map((e) => e.type), ['summary', 'done']);
  const hosts = new Set(ev.flatMap((e) => (e.type === 'host' ? [e.address] : [])));
  assert.equal(hosts.size, 65_536, 'one host event per address');
});

test('| head: the CLI leaves quietly with 0 when the reader goes away', async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const dir = await mkdtemp(join(tmpdir(), 'mp-pipe-'));
  try {
    const marker = join(dir, 'status');
    const child = spawn('sh', ['-c', '{ "$@"; echo $? > "$0"; } | head -2', marker, node24, shim, 'ping', '-c', '3000', '-i', '0.001', '127.0.0.1'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise((ok) => child.on('close', ok));
    assert.equal((await readFile(marker, 'utf8')).trim(), '0', stderr);
    assert.equal(stderr, '');
    assert.equal(out.split('\n').length, 3, out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('while the output waits for a reader, the CLI stays; a second Ctrl-C still leaves with 130', async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const dir = await mkdtemp(join(tmpdir(), 'mp-pipe-'));
  // stdout is a FIFO (a real pipe) that this test holds both ends of, to see the CLI's first
  // output and then to fill the pipe so that everything after it stays queued in the CLI.
  const fifo = join(dir, 'out');
  spawnSync('mkfifo', [fifo]);
  const rfd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const wfd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    const child = spawn(node24, [shim, 'ping', '-c', '10000', '-i', '0.01', '127.0.0.1'], { cwd: root, stdio: ['ignore', wfd, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((ok) => child.on('exit', (code, signal) => ok({ code, signal })));
    let alive = true;
    void exited.then(() => (alive = false));
    // The PING line: the CLI is running and its Ctrl-C handler is in place.
    const buf = Buffer.alloc(65_536);
    const tryRead = () => {
      try {
        return readSync(rfd, buf);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
        throw err;
      }
    };
    while (tryRead() === 0) {
      assert.ok(alive, `the CLI exited early: ${stderr}`);
      await new Promise((ok) => setTimeout(ok, 20));
    }
    // Fill the pipe: from here on the CLI's lines wait for a reader that does not come.
    const filler = Buffer.alloc(4096, 0x20);
    for (;;) {
      try {
        writeSync(wfd, filler);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
    }
    child.kill('SIGINT');
    await new Promise((ok) => setTimeout(ok, 400));
    assert.ok(alive, 'after the first Ctrl-C the CLI waits for its statistics to be read');
    // Again (more than 300 ms after the first, as the CLI sees it: repeated until it leaves).
    for (let i = 0; i < 20 && alive; i++) {
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((ok) => setTimeout(ok, 500))]);
    }
    assert.deepEqual(await exited, { code: 130, signal: null }, stderr);
  } finally {
    closeSync(rfd);
    closeSync(wfd);
    await rm(dir, { recursive: true, force: true });
  }
});
