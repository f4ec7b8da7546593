/**
 * http: one request to a URL from each agent, with curl -w's per-phase timings and the TLS
 * details (issue 15). HTTP/1.1 and HTTP/2; HTTP/3 is refused with a reason.
 */
import { from, helpOpt, json, limit, v4, v6, verbose } from '../../command/common-options.ts';
import { Limits } from '../../model/limits.ts';
import type { MeasurementSpec } from '../../model/spec.ts';
import { isIp, TARGET_ADDRESS } from '../../net/ip-address.ts';
import { hostTargetProblem } from '../host-target.ts';
import type { MeasurementTypeDef, SpecProblem } from '../measurement-type-def.ts';
import { HttpAnswer } from './http-answer.ts';
import { HTTP_TIMEOUT_MS, HttpDefaults, MAX_REDIRECTS, splitHeader, splitResolve } from './http-params.ts';

/** Headers a probe may not set: they describe the connection, which is the agent's. */
const CONNECTION_HEADERS = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-connection', 'http2-settings']);

/** The URL of a target, or a problem. */
export function parseTargetUrl(t: string): URL | SpecProblem {
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    return { field: 'targets', message: `'${t}' is not a URL (http://HOST[:PORT]/PATH or https://…)` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { field: 'targets', message: `'${t}': only http:// and https:// URLs` };
  if (u.username || u.password) return { field: 'targets', message: `'${t}': a URL must not carry a user name or password` };
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) return { field: 'targets', message: `'${t}' has no host` };
  if (!isIp(host, TARGET_ADDRESS) && hostTargetProblem(host, undefined)) return { field: 'targets', message: `'${t}': '${host}' is not a host name or address` };
  return u;
}

function httpTargetProblem(t: string, spec: MeasurementSpec): SpecProblem | undefined {
  const u = parseTargetUrl(t);
  if (!(u instanceof URL)) return u;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const ip = isIp(host, TARGET_ADDRESS) ? (host.includes(':') ? 6 : 4) : undefined;
  if (ip && spec.ipVersion && ip !== spec.ipVersion) return { field: 'ipVersion', message: `ipVersion ${spec.ipVersion} given but ${host} is an IPv${ip} address` };
  for (const h of spec.headers ?? []) {
    const kv = splitHeader(h);
    if (!kv) return { field: 'headers', message: `headers: '${h.slice(0, 40)}' is not a header line (Name: value)` };
    if (CONNECTION_HEADERS.has(kv[0].toLowerCase())) return { field: 'headers', message: `headers: ${kv[0]} belongs to the connection, which the agent manages` };
  }
  for (const r of spec.resolve ?? []) {
    const x = splitResolve(r);
    if (!x || !isIp(x.address, TARGET_ADDRESS)) return { field: 'resolve', message: `resolve: '${r}' is not HOST:PORT:ADDR (ADDR an IP address)` };
  }
  if (spec.http2 && spec.http3) return { field: 'http3', message: 'http2 and http3 exclude each other' };
  return undefined;
}

/** The hosts an http run connects to: the URL's host and the --resolve addresses (redirects are checked by the agent). */
function httpConnectsTo(t: string, spec: MeasurementSpec): string[] {
  const u = parseTargetUrl(t);
  const hosts = u instanceof URL ? [u.hostname.replace(/^\[|\]$/g, '')] : [];
  for (const r of spec.resolve ?? []) {
    const x = splitResolve(r);
    if (x) hosts.push(x.address);
  }
  return hosts;
}

/** The http measurement type. */
export const httpType: MeasurementTypeDef<'http', typeof HttpDefaults> = {
  name: 'http',
  defaults: HttpDefaults,
  exclusiveFields: ['method', 'headers', 'http2', 'http3', 'resolve', 'maxBody', 'follow'],
  view: 'stream',
  eventKinds: ['answer'],
  answer: HttpAnswer,
  connectsTo: httpConnectsTo,
  targetProblem: httpTargetProblem,
  // A handshake and a request, and as many again per redirect followed.
  packetsPerSecond: (spec) => 20 * (spec.follow ? MAX_REDIRECTS + 1 : 1),
  command: {
    verb: 'fetch',
    missing: 'URL',
    aliases: ['curl'],
    usage: "http [-s NODE]… [--method GET|HEAD|OPTIONS] [--header 'K: V']… [--http2|--http3] [--resolve HOST:PORT:ADDR]… [--insecure] [--follow] [--max-body N] [-W SECONDS] [-4|-6] [-v] URL…",
    summary: 'fetch a URL: status, phase timings (dns, connect, tls, first byte) and TLS',
    options: [
      from,
      limit,
      { long: 'method', short: 'X', kind: 'text', arg: 'GET|HEAD|OPTIONS', field: 'method', noun: 'method', choices: ['GET', 'HEAD', 'OPTIONS'], help: 'request method (default GET)' },
      { long: 'header', short: 'H', kind: 'text', arg: "'K: V'", field: 'headers', noun: 'header', repeat: true, help: 'an extra request header; repeatable' },
      { long: 'http2', kind: 'flag', field: 'http2', noun: 'http2', help: 'offer HTTP/2 over TLS (ALPN h2), as curl --http2' },
      { long: 'http3', kind: 'flag', field: 'http3', noun: 'http3', help: 'ask for HTTP/3: agents without QUIC say so rather than fall back' },
      { long: 'resolve', kind: 'text', arg: 'HOST:PORT:ADDR', field: 'resolve', noun: 'resolve', repeat: true, help: 'use ADDR for HOST:PORT, as curl (checked like any address)' },
      { long: 'insecure', short: 'k', kind: 'flag', field: 'insecure', noun: 'insecure', help: 'accept an untrusted certificate or one for another host' },
      { long: 'follow', short: 'L', kind: 'flag', field: 'follow', noun: 'follow', help: `follow redirects, at most ${MAX_REDIRECTS}, each hop checked like the first` },
      { long: 'max-body', kind: 'int', arg: 'N', field: 'maxBody', noun: 'max body', help: `bytes of the body kept (default ${HttpDefaults.maxBody}, at most ${Limits.maxBody})` },
      { long: 'timeout', short: 'W', kind: 'seconds', arg: 'SECONDS', field: 'timeoutMs', noun: 'timeout', help: `seconds for the whole request (default ${HTTP_TIMEOUT_MS / 1000})` },
      v4,
      v6,
      verbose('response headers and the first bytes of the body'),
      json,
      helpOpt,
    ],
    examples: ['http https://example.com/', 'http -s lax1 --http2 https://example.com/', 'http --method HEAD --header "Accept: text/html" http://127.0.0.1:8080/', 'http --resolve example.com:443:127.0.0.1 -k https://example.com/'],
  },
  tool: {
    title: 'HTTP request',
    description:
      'What does a web server answer from where the agents are, and where does the time go? Fetches a URL (HTTP/1.1 or ' +
      'HTTP/2) from meshprobe agents and returns the status, headers, the first bytes of the body, the time of each phase ' +
      '(dns, tcp connect, tls handshake, first byte, download, total), the TLS details (protocol, cipher, ALPN, certificate ' +
      'subject, issuer, SANs, validity, valid for the host) and the address connected to.',
    instruction: 'for what a web server answers and how fast, phase by phase',
    referral: 'to fetch a URL use http',
    input: (f, c) => ({
      targets: f.targets.describe('The URLs (http:// or https://).'),
      from: c.from,
      limit: c.limit,
      method: f.method.describe('GET (default), HEAD or OPTIONS.'),
      headers: f.headers.describe("Extra request headers, 'Name: value' each."),
      http2: f.http2.describe('true: offer HTTP/2 over TLS.'),
      http3: f.http3.describe('true: ask for HTTP/3 (refused by agents without QUIC).'),
      resolve: f.resolve.describe('HOST:PORT:ADDR entries, as curl --resolve.'),
      insecure: f.insecure.describe('true: report but do not refuse an untrusted certificate.'),
      follow: f.follow.describe(`true: follow redirects (at most ${MAX_REDIRECTS}).`),
      maxBody: f.maxBody.describe(`Bytes of the body kept (default ${HttpDefaults.maxBody}).`),
      timeoutMs: c.timeoutMs,
      ipVersion: c.ipVersion,
    }),
  },
  chat: { menu: 'http [-s NODE] URL — fetch a URL with timings' },
};
