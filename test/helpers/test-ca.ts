/**
 * A certificate authority for tests, made with openssl in a temporary directory: a CA and one
 * server certificate for the names and addresses given. `trust()` adds the CA to this process's
 * default trust store (tls.setDefaultCACertificates), so in-process clients verify against it
 * as they would against a public CA; a child process gets it through NODE_EXTRA_CA_CERTS=`caFile`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';

export interface TestCa {
  ca: string;
  caFile: string;
  key: string;
  cert: string;
  /** Trusts the CA in this process (until `untrust`). */
  trust(): void;
  untrust(): void;
  cleanup(): void;
}

/** A CA and a server certificate for `names` (DNS names) and `ips` (IP SANs), valid for `days`. */
export function makeTestCa(names: string[], ips: string[] = [], days = 3650): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'mp-test-ca-'));
  const f = (n: string) => join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', String(days), '-subj', '/CN=meshprobe test CA']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', `/CN=${names[0] ?? ips[0] ?? 'localhost'}`]);
  const san = [...names.map((n) => `DNS:${n}`), ...ips.map((i) => `IP:${i}`)].join(',');
  writeFileSync(f('ext.cnf'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('srv.pem'), '-days', String(days), '-extfile', f('ext.cnf')]);
  const ca = readFileSync(f('ca.pem'), 'utf8');
  const before = getCACertificates('default');
  return {
    ca,
    caFile: f('ca.pem'),
    key: readFileSync(f('srv.key'), 'utf8'),
    cert: readFileSync(f('srv.pem'), 'utf8'),
    trust: () => setDefaultCACertificates([...before, ca]),
    untrust: () => setDefaultCACertificates(before),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
