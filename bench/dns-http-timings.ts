/**
 * dns and http phase timings next to their anchors on the same local servers (design §10: within
 * 2 ms or 10 %): the http runner against `curl -w` (time_namelookup, time_connect,
 * time_appconnect, time_starttransfer, time_total), alternately, over HTTP/1.1 and HTTPS with
 * injected delays; the dns runner's time against dig's "Query time". Run by hand, as root or not:
 *
 *   node bench/dns-http-timings.ts [--rounds N]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';

// Asynchronous: the servers run in this process and must answer while curl and dig wait.
const run = promisify(execFile);
import { LocalAgent } from '../agent/runtime/local-agent.ts';
import type { AnswerEvent, MeasurementEvent } from '../shared/model/events.ts';
import type { HttpAnswer } from '../shared/measurements/http/http-answer.ts';
import type { DnsAnswer } from '../shared/measurements/dns/dns-answer.ts';
import { validateSpec } from '../shared/model/validate-spec.ts';
import { startDnsServer } from '../test/helpers/dns-server.ts';
import { startHttpServer } from '../test/helpers/http-server.ts';
import { makeTestCa } from '../test/helpers/test-ca.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
const rounds = Number(values.rounds);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function measure(agent: LocalAgent, input: Record<string, unknown>): Promise<AnswerEvent['data']> {
  const v = validateSpec(input);
  if (!v.ok) throw new Error(v.message);
  const events: MeasurementEvent[] = [];
  await agent.run(v.spec, { signal: new AbortController().signal, emit: (e) => events.push(e) });
  const a = events.find((e): e is AnswerEvent => e.type === 'answer');
  if (!a) throw new Error(JSON.stringify(events));
  return a.data;
}

async function curl(url: string, resolve: string, ca: string): Promise<Record<string, number>> {
  const { stdout: out } = await run('curl', ['-s', '-o', '/dev/null', '--cacert', ca, '--resolve', resolve, '-w',
    '%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}', url], { encoding: 'utf8' });
  const [n, c, a, s, t] = out.trim().split(' ').map((x) => Number(x) * 1000) as [number, number, number, number, number];
  return { namelookup: n, connect: c, appconnect: a, starttransfer: s, total: t };
}

const ca = makeTestCa(['web.test'], ['127.0.0.1']);
ca.trust();
const dns = await startDnsServer({ 'www.example.test': ['127.0.0.7'] });
const plain = await startHttpServer();
const tls = await startHttpServer({ tls: { key: ca.key, cert: ca.cert, delayTlsMs: 20 } });
const agent = new LocalAgent({ name: 'bench', dnsServers: dns.servers });
const rows: string[][] = [['what', 'meshprobe ms', 'anchor ms', 'diff', 'within 2 ms or 10 %']];
const verdict = (m: number, a: number) => (Math.abs(m - a) <= Math.max(2, 0.1 * a) ? 'yes' : 'NO');

try {
  for (const [label, url, resolve] of [
    ['http', `http://web.test:${plain.port}/slow?head=20&body=10`, `web.test:${plain.port}:127.0.0.1`],
    ['https', `https://web.test:${tls.port}/slow?head=20&body=10`, `web.test:${tls.port}:127.0.0.1`],
  ] as const) {
    // Warm both (undici's parser compiles on first use; curl's first run loads its libraries).
    await measure(agent, { type: 'http', targets: [url], resolve: [resolve] });
    await curl(url, resolve, ca.caFile);
    const m: Record<string, number[]> = { connect: [], appconnect: [], starttransfer: [], total: [] };
    const c: Record<string, number[]> = { connect: [], appconnect: [], starttransfer: [], total: [] };
    for (let i = 0; i < rounds; i++) {
      const a = (await measure(agent, { type: 'http', targets: [url], resolve: [resolve] })) as HttpAnswer;
      const t = a.timings;
      // curl's running sums from meshprobe's phases.
      m.connect!.push(t.dnsMs + t.connectMs);
      m.appconnect!.push(t.dnsMs + t.connectMs + (t.tlsMs ?? 0));
      m.starttransfer!.push(t.dnsMs + t.connectMs + (t.tlsMs ?? 0) + t.firstByteMs);
      m.total!.push(t.totalMs);
      const k = await curl(url, resolve, ca.caFile);
      for (const key of Object.keys(c)) c[key]!.push(k[key]!);
    }
    for (const key of Object.keys(m)) {
      if (label === 'http' && key === 'appconnect') continue;
      const mm = median(m[key]!);
      const cc = median(c[key]!);
      rows.push([`${label} time_${key}`, mm.toFixed(3), cc.toFixed(3), (mm - cc).toFixed(3), verdict(mm, cc)]);
    }
  }
  const q: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < rounds; i++) {
    q.push(((await measure(agent, { type: 'dns', targets: ['www.example.test'], server: dns.servers[0] })) as DnsAnswer).timeMs);
    const { stdout: out } = await run('dig', ['@127.0.0.1', '-p', String(dns.port), 'www.example.test', 'A', '+tries=1'], { encoding: 'utf8' });
    d.push(Number(/Query time: (\d+) msec/.exec(out)?.[1] ?? Number.NaN));
  }
  rows.push(['dns query time (dig: whole ms)', median(q).toFixed(3), median(d).toFixed(0), (median(q) - median(d)).toFixed(3), verdict(median(q), median(d))]);
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((x, i) => x.padEnd(w[i]!)).join('  '));
} finally {
  await Promise.all([dns.close(), plain.close(), tls.close()]);
  ca.untrust();
  ca.cleanup();
}
