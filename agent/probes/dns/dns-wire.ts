/**
 * DNS messages on the wire (dns-packet): one query over UDP (retried once, TCP when the answer is
 * truncated), TCP (RFC 1035 length framing), DoT (RFC 7858: the same framing over TLS) or DoH
 * (RFC 8484: application/dns-message, POST, or GET for a `{?dns}` URL template, through undici
 * on a pinned connection). Every socket goes to the address given, already checked.
 */
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import { Client } from 'undici';
import { MeshprobeError, ErrorCode } from '../../../shared/model/errors.ts';
import { NAME, VERSION } from '../../../shared/model/version.ts';
import type { DnsAnswer, DnsRecord } from '../../../shared/measurements/dns/dns-answer.ts';
import { MAX_DNS_RECORDS } from '../../../shared/measurements/dns/dns-answer.ts';
import { pinnedConnect } from '../../runtime/pinned-connect.ts';

/** The record types dns-packet has no codec for, by number (encoded and shown per RFC 3597). */
const NUMBERED: Record<string, string> = { HTTPS: 'UNKNOWN_65' };

/** One query to send. */
export interface DnsQuery {
  name: string;
  type: string;
  /** Recursion desired (off for the steps of a trace). */
  rd: boolean;
  dnssec: boolean;
}

/** Where to send it. */
export interface DnsEndpoint {
  address: string;
  port: number;
  transport: 'udp' | 'tcp' | 'dot' | 'doh';
  /** DoT: the name the certificate must carry (the address when none was given). DoH: the URL. */
  serverName?: string;
  dohUrl?: string;
  insecure: boolean;
  timeoutMs: number;
  signal: AbortSignal;
}

/** A response as received: the message, its size, the time, what happened on the way. */
export interface DnsExchange {
  packet: dnsPacket.DecodedPacket;
  bytes: number;
  timeMs: number;
  transport: DnsEndpoint['transport'];
  note?: string;
}

/** Encodes `q` with id `id` (an EDNS0 OPT record, DO when asked, 1232-byte UDP payload). */
export function encodeQuery(q: DnsQuery, id: number): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: (q.rd ? dnsPacket.RECURSION_DESIRED : 0) | (q.dnssec ? dnsPacket.AUTHENTIC_DATA : 0),
    questions: [{ type: (NUMBERED[q.type] ?? q.type) as dnsPacket.RecordType, name: q.name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: q.dnssec ? dnsPacket.DNSSEC_OK : 0 } as dnsPacket.Answer],
  });
}

function timeoutError(ep: DnsEndpoint): MeshprobeError {
  return new MeshprobeError(ErrorCode.ResolveFailed, `no answer from ${ep.address}#${ep.port} (${ep.transport}) within ${ep.timeoutMs / 1000} s`);
}

function decode(buf: Buffer, id: number | undefined): dnsPacket.DecodedPacket | undefined {
  try {
    const p = dnsPacket.decode(buf);
    return id === undefined || p.id === id ? p : undefined;
  } catch {
    return undefined;
  }
}

/** One UDP exchange (a second try after a timeout); undefined when the answer was truncated. */
function viaUdp(q: DnsQuery, ep: DnsEndpoint): Promise<{ packet: dnsPacket.DecodedPacket; bytes: number }> {
  return new Promise((resolve, reject) => {
    const id = randomInt(65_536);
    const msg = encodeQuery(q, id);
    const sock = createSocket(ep.address.includes(':') ? 'udp6' : 'udp4');
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = (err: Error | undefined, v?: { packet: dnsPacket.DecodedPacket; bytes: number }): void => {
      clearTimeout(timer);
      ep.signal.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolve(v!);
    };
    const onAbort = (): void => done(new MeshprobeError(ErrorCode.Cancelled, 'cancelled'));
    const send = (): void => {
      if (tries++ >= 2) return done(timeoutError(ep));
      sock.send(msg, ep.port, ep.address, (err) => err && done(err));
      timer = setTimeout(send, ep.timeoutMs);
    };
    sock.on('message', (buf, from) => {
      // Only the server asked, with our id: anything else is not the answer (or a spoof).
      if (from.port !== ep.port || from.address.replace(/^::ffff:/, '') !== ep.address.replace(/^::ffff:/, '')) return;
      const packet = decode(buf, id);
      if (packet) done(undefined, { packet, bytes: buf.length });
    });
    sock.on('error', (err) => done(err));
    ep.signal.addEventListener('abort', onAbort, { once: true });
    sock.bind(0, () => send());
  });
}

/** Writes a framed query on a connected stream and reads one framed answer (RFC 1035 §4.2.2). */
function framed(sock: Socket, msg: Buffer, id: number, ep: DnsEndpoint): Promise<{ packet: dnsPacket.DecodedPacket; bytes: number }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(timeoutError(ep)), ep.timeoutMs);
    const done = (err: Error | undefined, v?: { packet: dnsPacket.DecodedPacket; bytes: number }): void => {
      clearTimeout(timer);
      ep.signal.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(v!);
    };
    const onAbort = (): void => done(new MeshprobeError(ErrorCode.Cancelled, 'cancelled'));
    ep.signal.addEventListener('abort', onAbort, { once: true });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 2 + 65_535) return done(new Error('answer larger than a DNS message'));
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) return;
      const packet = decode(buf.subarray(2, 2 + len), id);
      if (!packet) return done(new Error('the answer is not a DNS message for our query'));
      done(undefined, { packet, bytes: len });
    });
    sock.on('error', (err) => done(err));
    sock.on('end', () => done(new Error('the server closed the connection without an answer')));
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    sock.write(Buffer.concat([len, msg]));
  });
}

async function viaStream(q: DnsQuery, ep: DnsEndpoint, tls: boolean): Promise<{ packet: dnsPacket.DecodedPacket; bytes: number }> {
  const id = randomInt(65_536);
  const signal = AbortSignal.any([ep.signal, AbortSignal.timeout(ep.timeoutMs)]);
  let sock: Socket;
  try {
    ({ socket: sock } = await pinnedConnect({
      address: ep.address, port: ep.port, signal,
      ...(tls ? { tls: { serverName: ep.serverName ?? ep.address, alpn: ['dot'], insecure: ep.insecure } } : {}),
    }));
  } catch (err) {
    if (ep.signal.aborted) throw new MeshprobeError(ErrorCode.Cancelled, 'cancelled');
    if (signal.aborted) throw timeoutError(ep);
    throw err;
  }
  return framed(sock, encodeQuery(q, id), id, ep);
}

async function viaDoh(q: DnsQuery, ep: DnsEndpoint): Promise<{ packet: dnsPacket.DecodedPacket; bytes: number }> {
  const url = new URL((ep.dohUrl ?? '').replace(/\{\?dns\}$/, ''));
  const get = /\{\?dns\}$/.test(ep.dohUrl ?? '');
  // RFC 8484 §4.1: id 0, so that GET answers can be cached.
  const msg = encodeQuery(q, 0);
  const client = new Client(url.origin, {
    connect: (_opts, cb) => {
      pinnedConnect({ address: ep.address, port: ep.port, signal: ep.signal, tls: { serverName: url.hostname.replace(/^\[|\]$/g, ''), alpn: ['http/1.1'], insecure: ep.insecure } })
        .then((c) => cb(null, c.socket), (err: Error) => cb(err, null));
    },
    headersTimeout: ep.timeoutMs,
    bodyTimeout: ep.timeoutMs,
  });
  try {
    const headers = { accept: 'application/dns-message', 'user-agent': `${NAME}/${VERSION}` };
    const path = get ? `${url.pathname}${url.search ? `${url.search}&` : '?'}dns=${msg.toString('base64url')}` : `${url.pathname}${url.search}`;
    const res = await client.request({
      path, method: get ? 'GET' : 'POST', signal: AbortSignal.any([ep.signal, AbortSignal.timeout(ep.timeoutMs)]),
      headers: get ? headers : { ...headers, 'content-type': 'application/dns-message' },
      ...(get ? {} : { body: msg }),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) throw new MeshprobeError(ErrorCode.ResolveFailed, `the DoH server answered HTTP ${res.statusCode}`);
    if (body.length > 65_535) throw new MeshprobeError(ErrorCode.ResolveFailed, 'the DoH answer is larger than a DNS message');
    const packet = decode(body, undefined);
    if (!packet) throw new MeshprobeError(ErrorCode.ResolveFailed, 'the DoH answer is not a DNS message');
    return { packet, bytes: body.length };
  } catch (err) {
    if (ep.signal.aborted) throw new MeshprobeError(ErrorCode.Cancelled, 'cancelled');
    if ((err as { name?: string }).name === 'TimeoutError' || (err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT') throw timeoutError(ep);
    throw err;
  } finally {
    client.destroy().catch(() => {});
  }
}

/** Sends `q` to `ep` and returns the response; UDP answers that are truncated are asked again over TCP. */
export async function exchange(q: DnsQuery, ep: DnsEndpoint): Promise<DnsExchange> {
  const t0 = performance.now();
  const took = (): number => performance.now() - t0;
  if (ep.transport === 'udp') {
    const r = await viaUdp(q, ep);
    if (!r.packet.flag_tc) return { ...r, timeMs: took(), transport: 'udp' };
    const t = await viaStream(q, { ...ep, transport: 'tcp' }, false);
    return { ...t, timeMs: took(), transport: 'tcp', note: 'truncated over UDP (tc), asked again over TCP' };
  }
  const r = ep.transport === 'doh' ? await viaDoh(q, ep) : await viaStream(q, ep, ep.transport === 'dot');
  return { ...r, timeMs: took(), transport: ep.transport };
}

// ---------------------------------------------------------------------------------------------
// Presentation: a response as the answer event carries it (dig's text of each record).

const fq = (n: string): string => (n === '' || n === '.' ? '.' : n.endsWith('.') ? n : `${n}.`);
const hex = (b: Buffer): string => b.toString('hex').toUpperCase();
const txt = (b: Buffer | string): string => JSON.stringify(Buffer.isBuffer(b) ? b.toString('utf8') : b);

/** A record's data in presentation form (RFC 1035 §5.1; RFC 3597 `\# len hex` for the rest). */
export function rdataText(a: dnsPacket.Answer): string {
  const d = (a as { data?: unknown }).data;
  switch (a.type) {
    case 'A':
    case 'AAAA':
      return String(d);
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return fq(String(d));
    case 'MX': {
      const m = d as { preference?: number; exchange: string };
      return `${m.preference ?? 0} ${fq(m.exchange)}`;
    }
    case 'TXT':
      return (Array.isArray(d) ? d : [d as Buffer]).map(txt).join(' ');
    case 'SOA': {
      const s = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
      return `${fq(s.mname)} ${fq(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case 'SRV': {
      const s = d as { priority?: number; weight?: number; port: number; target: string };
      return `${s.priority ?? 0} ${s.weight ?? 0} ${s.port} ${fq(s.target)}`;
    }
    case 'CAA': {
      const c = d as { flags?: number; tag: string; value: string };
      return `${c.flags ?? 0} ${c.tag} ${txt(c.value)}`;
    }
    case 'DS': {
      const s = d as { keyTag: number; algorithm: number; digestType: number; digest: Buffer };
      return `${s.keyTag} ${s.algorithm} ${s.digestType} ${hex(s.digest)}`;
    }
    case 'DNSKEY': {
      const k = d as { flags: number; algorithm: number; key: Buffer };
      return `${k.flags} 3 ${k.algorithm} ${k.key.toString('base64')}`;
    }
    case 'RRSIG': {
      const r = d as { typeCovered: string; algorithm: number; labels: number; originalTTL: number; expiration: number; inception: number; keyTag: number; signersName: string; signature: Buffer };
      return `${r.typeCovered} ${r.algorithm} ${r.labels} ${r.originalTTL} ${r.expiration} ${r.inception} ${r.keyTag} ${fq(r.signersName)} ${r.signature.toString('base64')}`;
    }
    default:
      return Buffer.isBuffer(d) ? `\\# ${d.length} ${hex(d)}` : JSON.stringify(d ?? null).slice(0, 4096);
  }
}

function typeName(t: string): string {
  return t === 'UNKNOWN_65' ? 'HTTPS' : t.startsWith('UNKNOWN_') ? `TYPE${t.slice(8)}` : t;
}

function records(list: readonly dnsPacket.Answer[] | undefined, cut: { omitted: number }): DnsRecord[] {
  const all = (list ?? []).filter((a) => a.type !== 'OPT');
  cut.omitted += Math.max(0, all.length - MAX_DNS_RECORDS);
  return all.slice(0, MAX_DNS_RECORDS).map((a) => ({
    name: fq(a.name).slice(0, 256),
    type: typeName(a.type),
    class: String((a as { class?: string }).class ?? 'IN'),
    ttl: Math.max(0, Math.min(4_294_967_295, (a as { ttl?: number }).ttl ?? 0)),
    data: rdataText(a).slice(0, 4096),
  }));
}

/** The answer event's data of an exchange with `server` (`ADDR#PORT` or the DoH URL). */
export function answerData(x: DnsExchange, server: string, extra: { serverName?: string; zone?: string } = {}): DnsAnswer {
  const p = x.packet;
  const flags = (['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const).filter((f) => (p as unknown as Record<string, boolean>)[`flag_${f}`]);
  const cut = { omitted: 0 };
  const q = p.questions?.[0];
  return {
    server: server.slice(0, 600),
    ...(extra.serverName ? { serverName: extra.serverName.slice(0, 256) } : {}),
    transport: x.transport,
    timeMs: x.timeMs,
    rcode: String((p as { rcode?: string }).rcode ?? 'NOERROR').slice(0, 16),
    flags: [...flags],
    question: { name: fq(q?.name ?? '').slice(0, 256), type: typeName(String(q?.type ?? '')), class: String(q?.class ?? 'IN') },
    answer: records(p.answers, cut),
    authority: records(p.authorities, cut),
    additional: records(p.additionals, cut),
    bytes: Math.min(65_535, x.bytes),
    ...(cut.omitted ? { omitted: Math.min(65_535, cut.omitted) } : {}),
    ...(x.note ? { note: x.note } : {}),
    ...(extra.zone !== undefined ? { zone: extra.zone } : {}),
  };
}
