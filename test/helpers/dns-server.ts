/**
 * A real DNS server on 127.0.0.1 for tests (UDP, dns-packet): names resolve to the addresses
 * given, never to anything on the real DNS. A and AAAA from `records`, PTR derived from them;
 * a known name asked for a type it lacks gets an empty NOERROR answer, any other name NXDOMAIN.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { isIP } from 'node:net';
import dnsPacket from 'dns-packet';

export interface TestDnsServer {
  port: number;
  /** For Resolver({ servers }) and MESHPROBE_DNS_SERVERS. */
  servers: string[];
  /** Every question received, in order (name lower-cased, type). */
  queries: { name: string; type: string }[];
  close(): Promise<void>;
}

/** The reverse-lookup name of an address (in-addr.arpa / ip6.arpa). */
export function ptrName(address: string): string {
  if (isIP(address) === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  const groups = expand6(address);
  return `${groups.join('').split('').reverse().join('.')}.ip6.arpa`;
}

function expand6(a: string): string[] {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const zeros = tail !== undefined ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...zeros, ...t].map((g) => g.padStart(4, '0'));
}

export async function startDnsServer(records: Record<string, string[]>): Promise<TestDnsServer> {
  const byName = new Map<string, string[]>();
  const ptr = new Map<string, string>();
  for (const [name, addrs] of Object.entries(records)) {
    const n = name.toLowerCase().replace(/\.$/, '');
    byName.set(n, addrs);
    for (const a of addrs) if (!ptr.has(ptrName(a))) ptr.set(ptrName(a), n);
  }
  const queries: { name: string; type: string }[] = [];
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: a real server would drop it too
    }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    queries.push({ name, type: question.type });
    const answers: dnsPacket.Answer[] = [];
    let nx = false;
    if (question.type === 'PTR') {
      const target = ptr.get(name);
      if (target) answers.push({ type: 'PTR', name: question.name, ttl: 60, class: 'IN', data: target });
      else nx = true;
    } else {
      const addrs = byName.get(name);
      if (!addrs) nx = true;
      else if (question.type === 'A') for (const a of addrs.filter((x) => isIP(x) === 4)) answers.push({ type: 'A', name: question.name, ttl: 60, class: 'IN', data: a });
      else if (question.type === 'AAAA') for (const a of addrs.filter((x) => isIP(x) === 6)) answers.push({ type: 'AAAA', name: question.name, ttl: 60, class: 'IN', data: a });
    }
    const reply = dnsPacket.encode({
      id: q.id,
      type: 'response',
      // QR, RD copied, RA set; RCODE 3 = NXDOMAIN.
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (nx ? 3 : 0),
      questions: q.questions,
      answers,
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  const port = sock.address().port;
  return {
    port,
    servers: [`127.0.0.1:${port}`],
    queries,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
