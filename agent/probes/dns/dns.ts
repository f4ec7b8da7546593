/**
 * The dns runner: per name, one query to the server asked (or the agent's own), or a trace from
 * the root servers, one answer event per response. The server of every query is resolved once,
 * checked (agent/runtime/connect-check.ts) and asked at that address only; the agent's own
 * configured resolver is the operator's choice and is not checked.
 */
import { eachTarget } from '../per-target.ts';
import { getServers } from 'node:dns';
import { ErrorCode, MeshprobeError } from '../../../shared/model/errors.ts';
import { computeStats, roundMs } from '../../../shared/model/stats.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import { splitHostPort } from '../../../shared/net/host-port.ts';
import { isIp, TARGET_ADDRESS } from '../../../shared/net/ip-address.ts';
import { DNS_PORTS, dnsParams, MAX_TRACE_STEPS, reverseName, ROOT_HINTS, type DnsParams } from '../../../shared/measurements/dns/dns-params.ts';
import { connectRefusal } from '../../runtime/connect-check.ts';
import type { ProbeRunner, RunnerOptions } from '../probe-runner.ts';
import { answerData, exchange, type DnsEndpoint } from './dns-wire.ts';

/** A server to ask: the checked address, its port, and its name when it has one. */
interface Server {
  address: string;
  port: number;
  name?: string;
}

const family = (a: string): 4 | 6 => (a.includes(':') ? 6 : 4);
const label = (s: Server): string => `${s.address}#${s.port}`;

/** The system's first resolver (resolv.conf), as node:dns reads it. */
function systemServer(): string {
  const s = getServers()[0];
  if (!s) throw new MeshprobeError(ErrorCode.ResolveFailed, 'this agent has no DNS server configured (resolv.conf is empty); give --server');
  return s;
}

class Refused extends MeshprobeError {
  constructor(message: string) {
    super(ErrorCode.PolicyRefused, message);
  }
}

/** Resolves `host` once (a literal stays itself) and checks the address; `own` servers are not checked. */
async function checkedServer(o: RunnerOptions, spec: MeasurementSpec, host: string, port: number, what: string, own: boolean): Promise<Server> {
  const bare = host.replace(/^\[|\]$/g, '');
  const address = isIp(bare, TARGET_ADDRESS) ? bare : (await o.resolver.resolve(bare, spec.ipVersion)).address;
  if (!own) {
    const r = connectRefusal(o.connectPolicy, address, port, what);
    if (r) throw new Refused(r);
  }
  return { address, port, ...(address !== bare ? { name: bare } : {}) };
}

/** Where a single query goes, checked. */
async function endpoint(spec: MeasurementSpec, p: DnsParams, o: RunnerOptions): Promise<{ server: Server; dohUrl?: string; shown: string }> {
  if (p.transport === 'doh') {
    const raw = spec.dohUrl ?? (spec.server !== undefined ? `https://${spec.server}/dns-query` : undefined);
    if (!raw) throw new MeshprobeError(ErrorCode.BadRequest, 'doh needs --doh-url URL or --server HOST');
    const url = new URL(raw.replace(/\{\?dns\}$/, ''));
    const host = url.hostname;
    const server = await checkedServer(o, spec, host, Number(url.port || 443), `the DoH server ${host.replace(/^\[|\]$/g, '')}`, false);
    return { server, dohUrl: raw, shown: url.href };
  }
  const own = spec.server === undefined;
  const given = spec.server ?? o.dnsServers?.[0] ?? systemServer();
  const { host, port } = splitHostPort(given);
  const server = await checkedServer(o, spec, host, port !== undefined ? Number(port) : DNS_PORTS[p.transport], `the DNS server ${host}`, own);
  return { server, shown: label(server) };
}

function ep(server: Server, p: DnsParams, o: RunnerOptions, transport: DnsEndpoint['transport'], dohUrl?: string): DnsEndpoint {
  return {
    address: server.address, port: server.port, transport, insecure: p.insecure, timeoutMs: p.timeoutMs, signal: o.signal,
    ...(server.name ? { serverName: server.name } : {}),
    ...(dohUrl ? { dohUrl } : {}),
  };
}

const norm = (n: string): string => n.toLowerCase().replace(/\.$/, '');
const within = (child: string, parent: string): boolean => parent === '' || child === parent || child.endsWith(`.${parent}`);

/** One name: start, its answer(s), summary. */
async function one(spec: MeasurementSpec, target: string, o: RunnerOptions): Promise<void> {
  const p = dnsParams(spec, target);
  const name = p.queryType === 'PTR' ? (reverseName(target) ?? target) : target;
  const scope = { agent: o.agent, target };
  const times: number[] = [];
  const started = performance.now();
  let sent = 0;
  const answer = (data: ReturnType<typeof answerData>): void => {
    times.push(data.timeMs);
    o.emit({ type: 'answer', ...scope, measurement: 'dns', seq: times.length, data });
  };
  const summary = (address: string): void => {
    o.emit({ type: 'summary', ...scope, measurement: 'dns', address, durationMs: roundMs(performance.now() - started), ...computeStats(sent, times) });
  };
  const params = { queryType: p.queryType, name, ...(p.dnssec ? { dnssec: true } : {}) };

  if (!p.trace) {
    const { server, dohUrl, shown } = await endpoint(spec, p, o);
    o.emit({
      type: 'start', ...scope, measurement: 'dns', address: server.address, family: family(server.address), protocol: p.transport === 'udp' ? 'udp' : 'tcp',
      params: { ...params, transport: p.transport, port: server.port, server: shown },
    });
    sent++;
    const x = await exchange({ name, type: p.queryType, rd: true, dnssec: p.dnssec }, ep(server, p, o, p.transport, dohUrl));
    answer(answerData(x, shown, server.name ? { serverName: server.name } : {}));
    summary(server.address);
    return;
  }

  // A trace: ask a server of each zone, without recursion, from the roots down (dig +trace).
  const roots = (spec.roots ?? (o.dnsRoots?.length ? o.dnsRoots : ROOT_HINTS)).map((r) => {
    const { host, port } = splitHostPort(r);
    return { address: host, port: port !== undefined ? Number(port) : DNS_PORTS.udp };
  });
  const transport = p.transport === 'tcp' ? 'tcp' : 'udp';
  o.emit({
    type: 'start', ...scope, measurement: 'dns', address: roots[0]?.address ?? '', family: family(roots[0]?.address ?? ''), protocol: transport,
    params: { ...params, transport, trace: true },
  });
  let servers: Server[] = roots;
  let zone = '';
  const want = norm(name);
  for (let step = 0; step < MAX_TRACE_STEPS; step++) {
    const usable = servers.filter((s) => !spec.ipVersion || family(s.address) === spec.ipVersion);
    let chosen: Server | undefined;
    let refusal: string | undefined;
    for (const s of usable) {
      const r = connectRefusal(o.connectPolicy, s.address, s.port, s.name ? `the name server ${s.name}` : `the name server ${s.address}`);
      if (!r) {
        chosen = s;
        break;
      }
      refusal ??= r;
    }
    if (!chosen) throw refusal ? new Refused(refusal) : new MeshprobeError(ErrorCode.ResolveFailed, `no IPv${spec.ipVersion ?? 4} address for the servers of ${zone || '.'}`);
    sent++;
    const x = await exchange({ name, type: p.queryType, rd: false, dnssec: p.dnssec }, ep(chosen, p, o, transport));
    answer(answerData(x, label(chosen), { ...(chosen.name ? { serverName: chosen.name } : {}), zone: zone ? `${zone}.` : '.' }));
    const pk = x.packet;
    if (String((pk as { rcode?: string }).rcode ?? 'NOERROR') !== 'NOERROR' || (pk.answers ?? []).length > 0) break;
    // A referral: NS records of a zone below the current one that holds the name.
    const ns = (pk.authorities ?? []).filter((a) => a.type === 'NS' && within(want, norm(a.name)) && norm(a.name).length > zone.length && within(norm(a.name), zone));
    if (ns.length === 0) break;
    const next = norm(ns[0]!.name);
    const names = ns.filter((a) => norm(a.name) === next).map((a) => norm(String((a as { data: unknown }).data)));
    const glue: Server[] = (pk.additionals ?? [])
      .filter((a) => (a.type === 'A' || a.type === 'AAAA') && names.includes(norm(a.name)))
      .map((a) => ({ address: String((a as { data: unknown }).data), port: DNS_PORTS.udp, name: norm(a.name) }));
    if (glue.length === 0) {
      // No glue: the agent's resolver finds the name servers' addresses (each still checked before use).
      for (const n of names.slice(0, 4)) {
        try {
          glue.push({ address: (await o.resolver.resolve(n, spec.ipVersion)).address, port: DNS_PORTS.udp, name: n });
        } catch {
          // the next name server may resolve
        }
      }
    }
    if (glue.length === 0) throw new MeshprobeError(ErrorCode.ResolveFailed, `no address for the name servers of ${next}. (${names.join(', ')})`);
    servers = glue;
    zone = next;
  }
  summary(roots[0]?.address ?? '');
}

/** dns's runner: every name concurrently; a failure of one is its error event. */
export const runDns: ProbeRunner['run'] = (spec, o) => eachTarget(spec, o, (target) => one(spec, target, o));
