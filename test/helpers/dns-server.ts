/**
 * A real DNS server for tests (dns-packet): names resolve to the addresses given, never to
 * anything on the real DNS. A and AAAA from `records`, PTR derived from them, any other record
 * from `o.extra`; a known name asked for a type it lacks gets an empty NOERROR answer, any other
 * name NXDOMAIN. Optionally: TCP on the same port, truncation of large UDP answers (TC), DoT and
 * DoH listeners (with a test CA's certificate), and delegations (referrals with glue) for traces.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, isIP, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import dnsPacket from 'dns-packet';
import { afterAtLeast } from './http-server.ts';

export interface TestDnsServer {
  port: number;
  /** For Resolver({ servers }) and MESHPROBE_DNS_SERVERS. */
  servers: string[];
  /** Every question received, in order (name lower-cased, type, transport, the DO bit). */
  queries: { name: string; type: string; transport?: 'udp' | 'tcp' | 'dot' | 'doh'; dnssec?: boolean; rd?: boolean }[];
  /** Connections accepted by the TCP, DoT and DoH listeners. */
  connections: number;
  /** DoT port, with `o.tls`. */
  dotPort?: number;
  /** DoH port, with `o.tls` (path /dns-query, GET and POST). */
  dohPort?: number;
  close(): Promise<void>;
}

/** A delegation: names under `zone` are referred to `ns` (name and glue address). */
export interface TestDelegation {
  zone: string;
  ns: { name: string; address: string }[];
}

/** Options of {@link startDnsServer}; every one off by default. */
export interface TestDnsOptions {
  /** Address to bind (default 127.0.0.1). */
  address?: string;
  /** Port to bind (default any free one). */
  port?: number;
  /** Also listen on TCP on the same port. */
  tcp?: boolean;
  /** UDP answers with more than this many records come back empty with TC set. */
  truncateOver?: number;
  /** More records, answered for their name and type. */
  extra?: dnsPacket.Answer[];
  /** Referrals (no AA, NS in authority, glue in additional). */
  delegations?: TestDelegation[];
  /** Answers carry AA (an authoritative server). */
  authoritative?: boolean;
  /** DoT and DoH listeners with this key and certificate. */
  tls?: { key: string; cert: string };
  /** Milliseconds to wait before each answer. */
  delayMs?: number;
  /** Names whose A answer changes: the n-th A query gets the n-th address (the last one repeats). */
  sequence?: Record<string, string[]>;
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

const norm = (n: string): string => n.toLowerCase().replace(/\.$/, '');
const under = (name: string, zone: string): boolean => zone === '' || name === zone || name.endsWith(`.${zone}`);

export async function startDnsServer(records: Record<string, string[]>, o: TestDnsOptions = {}): Promise<TestDnsServer> {
  const byName = new Map<string, string[]>();
  const ptr = new Map<string, string>();
  for (const [name, addrs] of Object.entries(records)) {
    const n = norm(name);
    byName.set(n, addrs);
    for (const a of addrs) if (!ptr.has(ptrName(a))) ptr.set(ptrName(a), n);
  }
  const extraNames = new Set((o.extra ?? []).map((a) => norm(a.name)));
  const queries: TestDnsServer['queries'] = [];
  let connections = 0;

  /** The response to one query message, or undefined for what a server would drop. */
  const respond = (msg: Buffer, transport: 'udp' | 'tcp' | 'dot' | 'doh'): Buffer | undefined => {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return undefined; // not DNS: a real server would drop it too
    }
    const question = q.questions?.[0];
    if (!question) return undefined;
    const name = norm(question.name);
    const opt = (q.additionals ?? []).find((a) => a.type === 'OPT') as { flags?: number } | undefined;
    queries.push({ name, type: question.type, transport, dnssec: ((opt?.flags ?? 0) & dnsPacket.DNSSEC_OK) !== 0, rd: q.flag_rd === true });
    const answers: dnsPacket.Answer[] = [];
    const authorities: dnsPacket.Answer[] = [];
    const additionals: dnsPacket.Answer[] = [];
    let nx = false;
    const referral = [...(o.delegations ?? [])].sort((a, b) => b.zone.length - a.zone.length).find((d) => under(name, norm(d.zone)));
    if (referral && !byName.has(name) && !extraNames.has(name)) {
      for (const ns of referral.ns) {
        authorities.push({ type: 'NS', name: norm(referral.zone) || '.', ttl: 3600, class: 'IN', data: ns.name });
        additionals.push({ type: isIP(ns.address) === 6 ? 'AAAA' : 'A', name: ns.name, ttl: 3600, class: 'IN', data: ns.address } as dnsPacket.Answer);
      }
    } else if (o.sequence?.[name] && question.type === 'A') {
      const list = o.sequence[name]!;
      const n = queries.filter((x) => x.name === name && x.type === 'A').length - 1;
      answers.push({ type: 'A', name: question.name, ttl: 0, class: 'IN', data: list[Math.min(n, list.length - 1)]! });
    } else if (question.type === 'PTR' && ptr.has(name)) {
      answers.push({ type: 'PTR', name: question.name, ttl: 60, class: 'IN', data: ptr.get(name)! });
    } else {
      const addrs = byName.get(name);
      const extra = (o.extra ?? []).filter((a) => norm(a.name) === name && a.type === question.type);
      if (!addrs && !extraNames.has(name)) nx = true;
      else if (question.type === 'A') for (const a of (addrs ?? []).filter((x) => isIP(x) === 4)) answers.push({ type: 'A', name: question.name, ttl: 60, class: 'IN', data: a });
      else if (question.type === 'AAAA') for (const a of (addrs ?? []).filter((x) => isIP(x) === 6)) answers.push({ type: 'AAAA', name: question.name, ttl: 60, class: 'IN', data: a });
      answers.push(...extra);
    }
    const truncated = transport === 'udp' && o.truncateOver !== undefined && answers.length > o.truncateOver;
    return dnsPacket.encode({
      id: q.id,
      type: 'response',
      // QR, RD copied, RA set; RCODE 3 = NXDOMAIN; TC when the UDP answer would be too large.
      flags: (q.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | dnsPacket.RECURSION_AVAILABLE | (o.authoritative && !referral ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
        (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) | (nx ? 3 : 0),
      questions: q.questions,
      answers: truncated ? [] : answers,
      authorities,
      additionals,
    });
  };
  const later = (f: () => void): void => {
    if (o.delayMs) afterAtLeast(o.delayMs, f);
    else f();
  };

  const address = o.address ?? '127.0.0.1';
  const sock = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  sock.on('message', (msg, rinfo) => {
    const reply = respond(msg, 'udp');
    if (reply) later(() => sock.send(reply, rinfo.port, rinfo.address));
  });
  sock.bind(o.port ?? 0, address);
  await once(sock, 'listening');
  const port = sock.address().port;

  /** RFC 1035 §4.2.2 framing on a stream (TCP, DoT). */
  const framed = (transport: 'tcp' | 'dot') => (s: Socket) => {
    connections++;
    let buf = Buffer.alloc(0);
    s.on('error', () => {});
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const reply = respond(buf.subarray(2, 2 + len), transport);
        buf = buf.subarray(2 + len);
        if (!reply) continue;
        const head = Buffer.alloc(2);
        head.writeUInt16BE(reply.length);
        later(() => s.write(Buffer.concat([head, reply])));
      }
    });
  };
  const listeners: Server[] = [];
  const listen = async (srv: Server, p: number): Promise<number> => {
    srv.listen(p, address);
    await once(srv, 'listening');
    listeners.push(srv);
    return (srv.address() as { port: number }).port;
  };
  if (o.tcp) await listen(createTcpServer(framed('tcp')), port);
  let dotPort: number | undefined;
  let dohPort: number | undefined;
  if (o.tls) {
    dotPort = await listen(createTlsServer({ key: o.tls.key, cert: o.tls.cert, ALPNProtocols: ['dot'] }, framed('dot')), 0);
    const doh = createHttpsServer({ key: o.tls.key, cert: o.tls.cert }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const msg = req.method === 'GET' ? Buffer.from(url.searchParams.get('dns') ?? '', 'base64url') : Buffer.concat(chunks);
        const reply = url.pathname === '/dns-query' ? respond(msg, 'doh') : undefined;
        if (!reply) {
          res.writeHead(400).end();
          return;
        }
        later(() => res.writeHead(200, { 'content-type': 'application/dns-message' }).end(reply));
      });
    });
    doh.on('connection', () => connections++);
    dohPort = await listen(doh, 0);
  }
  return {
    port,
    servers: [isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`],
    queries,
    get connections() {
      return connections;
    },
    ...(dotPort !== undefined ? { dotPort } : {}),
    ...(dohPort !== undefined ? { dohPort } : {}),
    close: async () => {
      await new Promise<void>((resolve) => sock.close(() => resolve()));
      await Promise.all(listeners.map((l) => new Promise<void>((resolve) => {
        l.close(() => resolve());
        (l as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      })));
    },
  };
}
