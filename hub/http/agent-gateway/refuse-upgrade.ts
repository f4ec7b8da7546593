/**
 * Answers an agent's WebSocket upgrade with an HTTP refusal (401, 403 or 503) and a JSON error
 * body, before any WebSocket exists.
 */
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../../../shared/model/errors.ts';

/** What an upgrade is refused with: the status, the one-line reason, and whether to add a Bearer challenge. */
export interface UpgradeRefusal {
  status: 401 | 403 | 503;
  message: string;
  challenge?: boolean;
}

/** Writes the refusal to the raw socket and ends it. */
export function refuseUpgrade(socket: Duplex, r: UpgradeRefusal): void {
  const { status, message } = r;
  const body = JSON.stringify({ error: { code: status === 401 ? ErrorCode.Unauthorized : status === 403 ? ErrorCode.Forbidden : ErrorCode.HubUnreachable, message } }) + '\n';
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      (r.challenge ? 'WWW-Authenticate: Bearer realm="meshprobe"\r\n' : '') +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
