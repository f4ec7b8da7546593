/**
 * Whether this process may open raw ICMP sockets (root or CAP_NET_RAW, addon built), so tests
 * can skip with a reason instead of failing on machines without them.
 */
import { RawSocket, rawSocketsAvailable } from '../../agent/socket/raw-socket.ts';

let cached: string | null | undefined;

/** null when raw ICMP sockets work here, else why not (for t.skip). */
export function rawSkipReason(): string | null {
  if (cached !== undefined) return cached;
  if (!rawSocketsAvailable()) return (cached = 'the raw-socket addon is not built (npm install)');
  try {
    RawSocket.open({ family: 4, protocol: 'icmp', mode: 'raw', onPackets: () => {} }).close();
    cached = null;
  } catch (err) {
    cached = `raw ICMP sockets are not available here: ${(err as Error).message}`;
  }
  return cached;
}
