/**
 * What the kernel holds for this process's raw sockets, read synchronously from /proc (so a test
 * can keep the event loop blocked until packets are really queued, instead of sleeping for a
 * time that a loaded machine may not honour).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Inodes of this process's sockets. */
export function socketInodes(): Set<number> {
  const out = new Set<number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let link = '';
    try {
      link = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) out.add(Number(m[1]));
  }
  return out;
}

/** Bytes queued for reading (rx_queue) on raw sockets of this process, by inode. */
export function rawReceiveQueues(family: 4 | 6): Map<number, number> {
  const mine = socketInodes();
  const out = new Map<number, number>();
  for (const line of readFileSync(family === 4 ? '/proc/net/raw' : '/proc/net/raw6', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const inode = Number(f[9]);
    const rx = parseInt(f[4]!.split(':')[1]!, 16);
    if (mine.has(inode)) out.set(inode, rx);
  }
  return out;
}

/**
 * Blocks the event loop until `ready(queues)` says so; throws after `limitMs` (a bound for a
 * broken kernel, not a timing expectation).
 */
export function blockUntilQueued(family: 4 | 6, ready: (queues: Map<number, number>) => boolean, limitMs = 30_000): void {
  const until = performance.now() + limitMs;
  while (!ready(rawReceiveQueues(family))) {
    if (performance.now() > until) throw new Error(`nothing queued on this process's raw IPv${family} sockets within ${limitMs} ms`);
  }
}
