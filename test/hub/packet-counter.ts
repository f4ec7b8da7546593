/**
 * Counts ICMP echo requests of one exact size leaving through loopback (IPv4 and IPv6), with
 * nftables counters, independently of the agent under test. The unusual size keeps other tests'
 * pings (running at the same time) out of the count.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PacketCounter {
  read(): Promise<number>;
  close(): Promise<void>;
}

/** Why nftables counting is impossible here, or undefined when it works. */
export async function packetCounterUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'counting packets needs root (nftables)';
  try {
    await run('nft', ['--version']);
    return undefined;
  } catch {
    return 'counting packets needs the nft tool (nftables)';
  }
}

/** Counts echo requests with `payloadBytes` of ICMP payload on lo, both families. */
export async function countEchoRequestsOfSize(payloadBytes: number): Promise<PacketCounter> {
  const table = `mp_size_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const v4Len = 20 + 8 + payloadBytes;
  const v6PayloadLen = 8 + payloadBytes;
  const cmds = [
    ['add', 'table', 'inet', table],
    ['add', 'chain', 'inet', table, 'out', '{ type filter hook output priority 0 ; policy accept ; }'],
    ['add', 'rule', 'inet', table, 'out', 'oifname', 'lo', 'ip', 'length', String(v4Len), 'icmp', 'type', 'echo-request', 'counter'],
    ['add', 'rule', 'inet', table, 'out', 'oifname', 'lo', 'ip6', 'length', String(v6PayloadLen), 'icmpv6', 'type', 'echo-request', 'counter'],
  ];
  for (const c of cmds) await run('nft', c);
  return {
    async read() {
      const { stdout } = await run('nft', ['list', 'table', 'inet', table]);
      let n = 0;
      for (const m of stdout.matchAll(/counter packets (\d+)/g)) n += Number(m[1]);
      return n;
    },
    async close() {
      await run('nft', ['delete', 'table', 'inet', table]).catch(() => {});
    },
  };
}
