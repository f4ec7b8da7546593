/**
 * Counts ICMP echo requests leaving this host with nftables counters, independently of the
 * agent under test: tests use it to prove that a cancelled measurement stops sending, or that a
 * refused one sent nothing. Each counter lives in its own inet table, removed by close().
 *
 * Every command goes to nft as an argument list (nft joins its arguments with spaces), never as
 * a script on stdin: promisified execFile does not feed stdin.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface EchoCounter {
  /** Echo requests counted so far (all counter rules of the table summed). */
  read(): Promise<number>;
  close(): Promise<void>;
}

/** Why counting is impossible here (not root, no nft), or undefined when it works. */
export async function echoCounterUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'counting packets needs root (nftables)';
  try {
    await run('nft', ['--version']);
    return undefined;
  } catch {
    return 'counting packets needs the nft tool (nftables)';
  }
}

/**
 * Counts echo requests to `address` (IPv4), so that other tests' pings are not counted. With
 * `drop`, they are also dropped on the way in (a silent target): a drop on output would make
 * sendmsg() fail with EPERM, which is a different (louder) failure than a host that does not answer.
 */
export function countEchoRequests(address: string, options: { drop?: boolean } = {}): Promise<EchoCounter> {
  return nftCounter('mp_echo', [
    ['out', 'ip', 'daddr', address, 'icmp', 'type', 'echo-request', 'counter'],
    ...(options.drop ? [['in', 'ip', 'daddr', address, 'icmp', 'type', 'echo-request', 'drop']] : []),
  ]);
}

/**
 * Counts echo requests with `payloadBytes` of ICMP payload leaving through lo, IPv4 and IPv6.
 * For targets that are not one address of the test's own; the unusual size keeps other tests'
 * pings (running at the same time) out of the count.
 */
export function countEchoRequestsOfSize(payloadBytes: number): Promise<EchoCounter> {
  return nftCounter('mp_size', [
    ['out', 'oifname', 'lo', 'ip', 'length', String(20 + 8 + payloadBytes), 'icmp', 'type', 'echo-request', 'counter'],
    ['out', 'oifname', 'lo', 'ip6', 'length', String(8 + payloadBytes), 'icmpv6', 'type', 'echo-request', 'counter'],
  ]);
}

/** A table with an output chain (`out`) and an input chain (`in`), and `rules` (chain name first). */
async function nftCounter(prefix: string, rules: string[][]): Promise<EchoCounter> {
  const table = `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await run('nft', ['add', 'table', 'inet', table]);
  try {
    for (const [chain, hook] of [['out', 'output'], ['in', 'input']] as const) {
      await run('nft', ['add', 'chain', 'inet', table, chain, `{ type filter hook ${hook} priority 0 ; policy accept ; }`]);
    }
    for (const r of rules) await run('nft', ['add', 'rule', 'inet', table, ...r]);
  } catch (err) {
    await run('nft', ['delete', 'table', 'inet', table]).catch(() => {});
    throw err;
  }
  return {
    async read() {
      const { stdout } = await run('nft', ['list', 'table', 'inet', table]);
      const counts = [...stdout.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
      if (counts.length === 0) throw new Error(`no counter in nft table ${table}: ${stdout}`);
      return counts.reduce((a, b) => a + b, 0);
    },
    async close() {
      await run('nft', ['delete', 'table', 'inet', table]).catch(() => {});
    },
  };
}
