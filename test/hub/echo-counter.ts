/**
 * Counts ICMP echo requests leaving this host for one loopback address, independently of the
 * agent: an nftables counter on the output hook. Tests use it to prove that a cancelled
 * measurement stops sending. Each counter lives in its own table, removed by close().
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface EchoCounter {
  /** Echo requests counted so far. */
  read(): Promise<number>;
  close(): Promise<void>;
}

/** Why counting is impossible here (not root, no nft), or undefined when it works. */
export async function echoCounterUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root for nftables counters';
  try {
    await run('nft', ['--version']);
    return undefined;
  } catch {
    return 'needs the nft tool (nftables)';
  }
}

/** Starts counting echo requests to `address` (IPv4). With `drop`, they are also dropped (a silent target). */
export async function countEchoRequests(address: string, options: { drop?: boolean } = {}): Promise<EchoCounter> {
  const table = `mp_echo_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const script = [
    `add table ip ${table}`,
    `add chain ip ${table} out { type filter hook output priority 0; policy accept; }`,
    `add rule ip ${table} out ip daddr ${address} icmp type echo-request counter`,
    // Dropped on the way in, not out: a drop on output makes sendmsg() fail with EPERM,
    // which is a different (louder) failure than a host that does not answer.
    ...(options.drop
      ? [`add chain ip ${table} in { type filter hook input priority 0; policy accept; }`, `add rule ip ${table} in ip daddr ${address} icmp type echo-request drop`]
      : []),
  ].join('\n');
  // nft joins its arguments with spaces, so each line can go word by word.
  for (const line of script.split('\n')) await run('nft', line.split(' '));
  return {
    async read() {
      const { stdout } = await run('nft', ['list', 'table', 'ip', table]);
      const m = /counter packets (\d+)/.exec(stdout);
      if (!m) throw new Error(`no counter in nft table ${table}: ${stdout}`);
      return Number(m[1]);
    },
    async close() {
      await run('nft', ['delete', 'table', 'ip', table]).catch(() => {});
    },
  };
}
