/**
 * Counts the packets a measurement actually sends, at the one place they leave: RawSocket's
 * send/sendBatch call notePacketsSent(). The count reaches whoever opened the scope the send
 * happens in (an AsyncLocalStorage context, which follows the run through timers and awaits),
 * so packets are attributed to their run even on the process-wide shared ICMP socket, and a
 * cancelled run's packets count as much as a finished one's — unlike per-target summaries,
 * which a run cut short may never emit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<(n: number) => void>();

/**
 * Runs `fn` with `onSent` told of every packet sent within it (nested scopes: every enclosing
 * scope is told too). Returns what `fn` returns.
 */
export function countPacketsSent<T>(onSent: (n: number) => void, fn: () => T): T {
  const outer = scope.getStore();
  const tell = outer
    ? (n: number) => {
        onSent(n);
        outer(n);
      }
    : onSent;
  return scope.run(tell, fn);
}

/** Called by the socket layer after the kernel took `n` packets. */
export function notePacketsSent(n: number): void {
  if (n <= 0) return;
  const tell = scope.getStore();
  if (!tell) return;
  try {
    tell(n);
  } catch {
    // Accounting must never break a send.
  }
}
