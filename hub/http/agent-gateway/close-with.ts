/** Closing an agent's WebSocket with a code and a reason, whatever state it is in. */
import type { WebSocket } from 'ws';

/** Closes with a reason cut to what a close frame can carry (123 bytes), never throwing. */
export function closeWith(ws: WebSocket, code: number, reason: string): void {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -2) + '…';
  try {
    ws.close(code, r);
  } catch {
    ws.terminate();
  }
}
