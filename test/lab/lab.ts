/**
 * The network lab (design §9): a chain of network namespaces joined by veth pairs,
 *
 *   client ── r1 ── r2 ── r3 ── target
 *
 * with forwarding on in the routers, IPv4 in 198.18.0.0/15 and IPv6 in 2001:db8::/32, and routes
 * both ways. Ground truth is known, so tests (and bench/) assert measured values against it.
 *
 * Link k (k = 0 … routers) joins node k and node k+1 (node 0 = client, node routers+1 = target):
 * 198.18.k.1/24 and 2001:db8:0:k::1/64 on the left, .2 / ::2 on the right. A router answers
 * traceroute from its left (client-facing) address.
 *
 * Namespaces are named `mp-<pid>-<n>-<role>` so parallel runs never collide, and every lab is torn
 * down: by destroy() (call it in `finally`/`after`), by a process 'exit' hook and by SIGINT/SIGTERM
 * handlers; a new lab also sweeps `mp-*` namespaces whose owning pid is dead.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { normalizeIp } from '../../shared/net/ip-address.ts';
import type { MeasurementSpecInput } from '../../shared/model/spec.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const node = process.execPath;

/** Addresses of one lab node. */
export interface LabNode {
  /** Namespace name. */
  ns: string;
  /** The address traffic from the client sees (routers: client-facing side). */
  v4: string;
  v6: string;
}

export interface LabOptions {
  /** Routers between client and target. Default 3. */
  routers?: number;
  /** 1-based indices of routers that drop the ICMP time-exceeded replies they originate. */
  silentRouters?: number[];
  /**
   * Equal-cost multipath: a second router r2b in parallel to r2 (r1 ── r2b ── r3), and r1
   * spreads flows over both by an L4 hash (so UDP probes to different ports take either path).
   * Needs at least 3 routers. r2b answers from 198.18.10.2 / 2001:db8:0:10::2.
   */
  ecmp?: boolean;
  /**
   * Percent of packets dropped at random on the client→target direction of the link after r1
   * (in r1's forward path when there is a router, else in the target's input). Default 0.
   */
  lossPct?: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

let seq = 0;
const live = new Set<Lab>();
let hooksInstalled = false;

/**
 * Why the lab cannot run here, or undefined when it can. Tests call this and `t.skip(reason)`.
 */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the network lab needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'the network lab needs root (ip netns); run as root to include these tests';
  for (const cmd of ['ip', 'nft', 'python3']) {
    if (!haveCommand(cmd)) return `the network lab needs ${cmd} (.ci/run installs iproute2 and nftables)`;
  }
  const probe = `mp-${process.pid}-probe`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
  } catch (err) {
    try { execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' }); } catch { /* not created */ }
    return `ip netns does not work here (${String((err as Error).message).split('\n')[0]})`;
  }
  return undefined;
}

/** Whether a command exists on PATH (for anchors such as traceroute, fping). */
export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Removes `mp-<pid>-…` namespaces left behind by processes that no longer exist. */
export function sweepStaleNamespaces(): string[] {
  let list = '';
  try {
    list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^mp-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    killNamespacePids(name);
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' });
      removed.push(name);
    } catch { /* raced with another sweeper */ }
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills what still runs inside a lab namespace (responders of a dead run), so it really goes away. */
function killNamespacePids(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    for (const p of pids.split(/\s+/).filter(Boolean)) {
      try { process.kill(Number(p), 'SIGKILL'); } catch { /* already gone */ }
    }
  } catch { /* namespace already gone */ }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const lab of live) lab.destroySync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const lab of live) lab.destroySync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/** A running lab topology. Create with `Lab.create()`, always `destroy()`. */
export class Lab {
  readonly id: string;
  readonly client: LabNode;
  readonly routers: LabNode[];
  readonly target: LabNode;
  /** The parallel router of an `ecmp` lab. */
  readonly ecmpRouter: LabNode | undefined;
  #children = new Set<ChildProcess>();
  #destroyed = false;

  private constructor(id: string, routers: number, ecmp: boolean) {
    this.id = id;
    const node = (role: string, k: number): LabNode => ({
      ns: `${id}-${role}`,
      // Node k's client-facing address is the right end of link k-1; the client has only link 0.
      v4: k === 0 ? '198.18.0.1' : `198.18.${k - 1}.2`,
      // Canonical (RFC 5952) text, as the kernel and every tool print it.
      v6: normalizeIp(k === 0 ? '2001:db8:0:0::1' : `2001:db8:0:${(k - 1).toString(16)}::2`)!,
    });
    this.client = node('client', 0);
    this.routers = Array.from({ length: routers }, (_, i) => node(`r${i + 1}`, i + 1));
    this.target = node('target', routers + 1);
    this.ecmpRouter = ecmp ? { ns: `${id}-r2b`, v4: '198.18.10.2', v6: '2001:db8:0:10::2' } : undefined;
  }

  /** All namespaces, client first, target last. */
  get nodes(): LabNode[] {
    return [this.client, ...this.routers, this.target, ...(this.ecmpRouter ? [this.ecmpRouter] : [])];
  }

  /** Builds the topology. Throws (after cleaning up) when any step fails. */
  static async create(o: LabOptions = {}): Promise<Lab> {
    const routers = o.routers ?? 3;
    if (!Number.isInteger(routers) || routers < 0 || routers > 200) throw new Error('routers must be 0..200');
    sweepStaleNamespaces();
    installHooks();
    if (o.ecmp && routers < 3) throw new Error('ecmp needs at least 3 routers');
    const lab = new Lab(`mp-${process.pid}-${++seq}`, routers, !!o.ecmp);
    live.add(lab);
    try {
      await lab.#sh(lab.#setupScript());
      if (lab.ecmpRouter) await lab.#sh(lab.#ecmpScript());
      for (const i of o.silentRouters ?? []) await lab.silenceRouter(i);
      if (o.lossPct) await lab.setLoss(o.lossPct);
    } catch (err) {
      lab.destroySync();
      throw err;
    }
    return lab;
  }

  #setupScript(): string {
    const nodes = [this.client, ...this.routers, this.target];
    const last = nodes.length - 1;
    const lines: string[] = ['set -e'];
    for (const n of nodes) {
      lines.push(`ip netns add ${n.ns}`);
      lines.push(`ip -n ${n.ns} link set lo up`);
      // No duplicate address detection: link-local addresses would stay tentative for ~2 s and
      // neighbour discovery (so the first IPv6 packets) would wait for them.
      lines.push(`ip netns exec ${n.ns} sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0`);
    }
    for (let k = 0; k < last; k++) {
      const a = nodes[k]!.ns;
      const b = nodes[k + 1]!.ns;
      // Created inside the namespaces, so interface names only need to be unique per namespace.
      // Fixed MACs and permanent neighbour entries: no ARP/ND on the lab's links. A fresh link
      // loses its first neighbour solicitation, which would delay the first IPv6 packets by 1 s.
      const macL = `02:00:00:00:${hex2(k)}:01`;
      const macR = `02:00:00:00:${hex2(k)}:02`;
      lines.push(`ip -n ${a} link add right address ${macL} type veth peer name left address ${macR} netns ${b}`);
      lines.push(`ip -n ${a} neigh add 198.18.${k}.2 lladdr ${macR} dev right nud permanent`);
      lines.push(`ip -n ${b} neigh add 198.18.${k}.1 lladdr ${macL} dev left nud permanent`);
      lines.push(`ip -n ${a} neigh add 2001:db8:0:${k.toString(16)}::2 lladdr ${macR} dev right nud permanent`);
      lines.push(`ip -n ${b} neigh add 2001:db8:0:${k.toString(16)}::1 lladdr ${macL} dev left nud permanent`);
      lines.push(`ip -n ${a} addr add 198.18.${k}.1/24 dev right`);
      lines.push(`ip -n ${b} addr add 198.18.${k}.2/24 dev left`);
      lines.push(`ip -n ${a} addr add 2001:db8:0:${k.toString(16)}::1/64 dev right nodad`);
      lines.push(`ip -n ${b} addr add 2001:db8:0:${k.toString(16)}::2/64 dev left nodad`);
      lines.push(`ip -n ${a} link set right up`);
      lines.push(`ip -n ${b} link set left up`);
    }
    for (let k = 0; k <= last; k++) {
      const ns = nodes[k]!.ns;
      const exec = `ip netns exec ${ns}`;
      if (k > 0 && k < last) {
        lines.push(`${exec} sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1`);
      }
      // Reverse-path filtering would drop nothing here, but keep it off so asymmetric tests stay possible.
      lines.push(`${exec} sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0`);
      // No ICMP rate limiting: the lab's ground truth is "every router answers every probe";
      // back-to-back traces (ours and the anchors') would otherwise run out of tokens.
      lines.push(`${exec} sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=100000`);
      // Subnets to the right go via the next node, subnets to the left via the previous one.
      for (let j = 0; j < last; j++) {
        if (j === k || j === k - 1) continue; // directly connected
        const right = j > k;
        const via4 = right ? `198.18.${k}.2` : `198.18.${k - 1}.1`;
        const via6 = right ? `2001:db8:0:${k.toString(16)}::2` : `2001:db8:0:${(k - 1).toString(16)}::1`;
        lines.push(`ip -n ${ns} route add 198.18.${j}.0/24 via ${via4}`);
        lines.push(`ip -n ${ns} -6 route add 2001:db8:0:${j.toString(16)}::/64 via ${via6}`);
      }
    }
    return lines.join('\n');
  }

  /** r2b between r1 and r3 (links 198.18.10/24 and 198.18.11/24), multipath routes on r1. */
  #ecmpScript(): string {
    const [r1, , r3] = this.routers.map((r) => r.ns);
    const b = this.ecmpRouter!.ns;
    const mac = (k: number, end: number) => `02:00:00:00:${hex2(k)}:0${end}`;
    const lines = ['set -e', `ip netns add ${b}`, `ip -n ${b} link set lo up`];
    lines.push(`ip netns exec ${b} sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0`);
    const link = (k: number, a: string, aIf: string, z: string, zIf: string) => {
      lines.push(`ip -n ${a} link add ${aIf} address ${mac(k, 1)} type veth peer name ${zIf} address ${mac(k, 2)} netns ${z}`);
      lines.push(`ip -n ${a} addr add 198.18.${k}.1/24 dev ${aIf}`, `ip -n ${z} addr add 198.18.${k}.2/24 dev ${zIf}`);
      lines.push(`ip -n ${a} addr add 2001:db8:0:${k}::1/64 dev ${aIf} nodad`, `ip -n ${z} addr add 2001:db8:0:${k}::2/64 dev ${zIf} nodad`);
      lines.push(`ip -n ${a} neigh add 198.18.${k}.2 lladdr ${mac(k, 2)} dev ${aIf} nud permanent`);
      lines.push(`ip -n ${z} neigh add 198.18.${k}.1 lladdr ${mac(k, 1)} dev ${zIf} nud permanent`);
      lines.push(`ip -n ${a} neigh add 2001:db8:0:${k}::2 lladdr ${mac(k, 2)} dev ${aIf} nud permanent`);
      lines.push(`ip -n ${z} neigh add 2001:db8:0:${k}::1 lladdr ${mac(k, 1)} dev ${zIf} nud permanent`);
      lines.push(`ip -n ${a} link set ${aIf} up`, `ip -n ${z} link set ${zIf} up`);
    };
    link(10, r1!, 'right2', b, 'left');
    link(11, b, 'right', r3!, 'left2');
    lines.push(`ip netns exec ${b} sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=100000`);
    // r2b: towards the client via r1, towards r3's side via r3.
    lines.push(`ip -n ${b} route add 198.18.0.0/16 via 198.18.10.1`, `ip -n ${b} route add 198.18.3.0/24 via 198.18.11.2`);
    lines.push(`ip -n ${b} -6 route add 2001:db8::/48 via 2001:db8:0:10::1`, `ip -n ${b} -6 route add 2001:db8:0:3::/64 via 2001:db8:0:11::2`);
    // r1: the target's subnet over both r2 and r2b, hashed on the 5-tuple.
    lines.push(`ip netns exec ${r1} sysctl -qw net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1`);
    lines.push(`ip -n ${r1} route replace 198.18.3.0/24 nexthop via 198.18.1.2 dev right nexthop via 198.18.10.2 dev right2`);
    lines.push(`ip -n ${r1} -6 route replace 2001:db8:0:3::/64 nexthop via 2001:db8:0:1::2 dev right nexthop via 2001:db8:0:10::2 dev right2`);
    return lines.join('\n');
  }

  /** Runs a shell script in the root namespace (setup steps), failing with its stderr. */
  async #sh(script: string): Promise<void> {
    const r = await run('bash', ['-c', script]);
    if (r.code !== 0) throw new Error(`lab setup failed: ${r.stderr.trim().split('\n').pop()}`);
  }

  /** Runs argv inside namespace `ns` and collects its output. */
  exec(ns: string, argv: string[], o: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', ns, ...argv], o, this.#children);
  }

  /** Spawns argv inside namespace `ns`; the lab kills it on destroy(). */
  spawn(ns: string, argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.add(child);
    child.on('exit', () => this.#children.delete(child));
    return child;
  }

  /** Makes router i (1-based) drop the ICMP time-exceeded messages it originates. */
  async silenceRouter(i: number): Promise<void> {
    const r = this.routers[i - 1];
    if (!r) throw new Error(`no router r${i}`);
    await this.#nft(r.ns, [
      'add table inet mp_silent',
      'add chain inet mp_silent out { type filter hook output priority 0 ; }',
      'add rule inet mp_silent out icmp type time-exceeded drop',
      'add rule inet mp_silent out icmpv6 type time-exceeded drop',
    ]);
  }

  /**
   * Drops `pct` percent of packets at random on the client→target direction, in r1's forward
   * path (or the target's input when there are no routers). Replaces an earlier setting.
   */
  async setLoss(pct: number): Promise<void> {
    const hop = this.routers[0] ?? this.target;
    const hook = this.routers[0] ? 'forward' : 'input';
    await run('ip', ['netns', 'exec', hop.ns, 'nft', 'delete table inet mp_loss']);
    if (pct <= 0) return;
    await this.#nft(hop.ns, [
      'add table inet mp_loss',
      `add chain inet mp_loss c { type filter hook ${hook} priority 0 ; }`,
      // Only packets arriving from the client side, so a ping loses pct % (not 1-(1-p)² %).
      `add rule inet mp_loss c iifname "left" numgen random mod 100 < ${Math.round(pct)} drop`,
    ]);
  }

  async #nft(ns: string, cmds: string[]): Promise<void> {
    const r = await run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: cmds.join('\n') + '\n' });
    if (r.code !== 0) throw new Error(`nft in ${ns} failed: ${r.stderr.trim().split('\n')[0]}`);
  }

  /**
   * Switches the target's kernel echo replies off and starts a responder that answers echo
   * requests (v4 and v6) after `delayMs`. Stopped by the returned function or by destroy().
   */
  async startDelayedResponder(delayMs: number): Promise<{ stop(): Promise<void> }> {
    const ns = this.target.ns;
    await this.#sh(`ip netns exec ${ns} sysctl -qw net.ipv4.icmp_echo_ignore_all=1 net.ipv6.icmp.echo_ignore_all=1`);
    const child = this.spawn(ns, ['python3', `${here}delayed-responder.py`, String(delayMs)]);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const rl = createInterface({ input: child.stdout! });
    const ready = new Promise<void>((resolve, reject) => {
      rl.once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`delayed responder exited (${code}): ${err.trim()}`)));
    });
    await ready;
    return {
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await once(child, 'exit');
        }
        await this.#sh(`ip netns exec ${ns} sysctl -qw net.ipv4.icmp_echo_ignore_all=0 net.ipv6.icmp.echo_ignore_all=0`);
      },
    };
  }

  /**
   * Runs one measurement with the real LocalAgent inside the client namespace (a separate node
   * process, test/lab/run-agent.ts) and returns its events in order.
   */
  async runAgent(spec: MeasurementSpecInput, o: { timeoutMs?: number; dnsRecords?: Record<string, string[]> } = {}): Promise<MeasurementEvent[]> {
    const argv = [node, '--disable-warning=ExperimentalWarning', `${here}run-agent.ts`, JSON.stringify(spec)];
    if (o.dnsRecords) argv.push(JSON.stringify({ dnsRecords: o.dnsRecords }));
    const r = await this.exec(this.client.ns, argv, { timeoutMs: o.timeoutMs ?? 60_000 });
    if (r.code !== 0) throw new Error(`agent run failed (${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as MeasurementEvent);
  }

  /** Tears the lab down: kills its processes, deletes its namespaces (and so its veths). */
  async destroy(): Promise<void> {
    this.destroySync();
  }

  /** Synchronous teardown, usable from 'exit' handlers. Idempotent. */
  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    live.delete(this);
    for (const c of this.#children) {
      try { c.kill('SIGKILL'); } catch { /* gone */ }
    }
    for (const n of this.nodes) {
      killNamespacePids(n.ns);
      try { execFileSync('ip', ['netns', 'del', n.ns], { stdio: 'pipe' }); } catch { /* never created */ }
    }
  }
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}

/** Runs `fn` with a fresh lab and always tears it down. */
export async function withLab<T>(o: LabOptions, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await Lab.create(o);
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}

/** Runs a command, collecting output; never rejects for a non-zero exit. */
export function run(
  cmd: string,
  argv: string[],
  o: { timeoutMs?: number; input?: string } = {},
  track?: Set<ChildProcess>,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: [o.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'], cwd: repoRoot });
    track?.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    child.once('error', (e) => {
      clearTimeout(timer);
      track?.delete(child);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      track?.delete(child);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    if (o.input !== undefined) child.stdin!.end(o.input);
  });
}
