/**
 * The local address the kernel would use to reach a destination: raw IPv4/IPv6 UDP and TCP
 * sockets leave the transport checksum to us, and it covers the source address.
 */
import { createSocket } from 'node:dgram';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';

/** Asks the routing table (connect() on a UDP socket sends nothing) which source address reaches `address`. */
export async function sourceAddressFor(address: string, family: 4 | 6): Promise<string> {
  const s = createSocket(family === 4 ? 'udp4' : 'udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(9, address, () => resolve());
    });
    return s.address().address;
  } catch (err) {
    throw new MeshprobeError(ErrorCode.Internal, `no route to ${address}: ${(err as Error).message}`, { cause: err });
  } finally {
    s.close();
  }
}
