// An echo server of tcp_ping_prometheus' wire format for monitor tests, written here from the
// format (24 bytes "TCPPING\0" | seq u64 LE | ns u64 LE; a wrong magic closes the connection), not
// from the project's responder: it can stop answering (`silent`), cut every connection, and count
// what it saw.
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export class TcpEchoPeer {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  /** Frames echoed, connections accepted. */
  echoed = 0;
  accepted = 0;
  /** While true, frames are read and not answered (the client's probes time out). */
  silent = false;

  private constructor() {
    this.server = createServer((s) => {
      this.accepted++;
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
      let held = Buffer.alloc(0);
      s.on('data', (chunk: Buffer) => {
        held = Buffer.concat([held, chunk]);
        while (held.length >= 24) {
          const frame = held.subarray(0, 24);
          held = held.subarray(24);
          if (frame.toString('latin1', 0, 8) !== 'TCPPING\0') {
            s.destroy();
            return;
          }
          if (this.silent) continue;
          this.echoed++;
          s.write(Buffer.from(frame));
        }
      });
    });
  }

  static async start(port = 0): Promise<TcpEchoPeer> {
    const p = new TcpEchoPeer();
    p.server.listen({ host: '127.0.0.1', port });
    await once(p.server, 'listening');
    return p;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Cuts every open connection (the server keeps listening). */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    this.server.close();
    await once(this.server, 'close');
  }
}
