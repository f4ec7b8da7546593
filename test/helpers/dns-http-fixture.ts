/**
 * What the dns and http front-end tests share: a test CA trusted in this process, a DNS server
 * (UDP and TCP) with a small zone, an HTTP/1.1 server and an HTTP/2 (TLS) server, and two
 * in-process agents that resolve through that DNS server, for a hub with two agents (the matrix).
 */
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { startDnsServer, type TestDnsServer } from './dns-server.ts';
import { startHttpServer, type TestHttpServer } from './http-server.ts';
import { makeTestCa, type TestCa } from './test-ca.ts';

export interface DnsHttpFixture {
  ca: TestCa;
  dns: TestDnsServer;
  plain: TestHttpServer;
  tls: TestHttpServer;
  /** Two agents, `local` and `second`, resolving through `dns`. */
  agents: LocalAgent[];
  /** `https://web.test:PORT/` on the TLS server. */
  httpsUrl: string;
  /** `http://web.test:PORT/` on the plain server. */
  httpUrl: string;
  close(): Promise<void>;
}

export async function startDnsHttpFixture(): Promise<DnsHttpFixture> {
  const ca = makeTestCa(['web.test'], ['127.0.0.1']);
  ca.trust();
  const dns = await startDnsServer(
    { 'www.example.test': ['127.0.0.7', '::7'], 'web.test': ['127.0.0.1'] },
    { tcp: true, extra: [{ type: 'MX', name: 'example.test', ttl: 300, class: 'IN', data: { preference: 10, exchange: 'mx.example.test' } }] },
  );
  const plain = await startHttpServer();
  const tls = await startHttpServer({ tls: { key: ca.key, cert: ca.cert, h2: true } });
  const agents = ['local', 'second'].map((name) => new LocalAgent({ name, dnsServers: dns.servers }));
  return {
    ca,
    dns,
    plain,
    tls,
    agents,
    httpsUrl: `https://web.test:${tls.port}/`,
    httpUrl: `http://web.test:${plain.port}/`,
    async close() {
      await Promise.all([dns.close(), plain.close(), tls.close()]);
      ca.untrust();
      ca.cleanup();
    },
  };
}
