/**
 * probe: sweep every address of a CIDR prefix with echo requests.
 */
import { CommonDefaults, Limits } from '../../model/limits.ts';
import { checkSweepSize, parseCidr } from '../../net/cidr.ts';
import { from, json, helpOpt, limit, numeric } from '../../command/common-options.ts';
import type { MeasurementTypeDef } from '../measurement-type-def.ts';
import { ProbeDefaults, probeParams } from './probe-params.ts';

const D = { ...CommonDefaults, ...ProbeDefaults };

/** The probe (CIDR sweep) measurement type. */
export const probeType: MeasurementTypeDef<'probe', typeof ProbeDefaults> = {
  name: 'probe',
  defaults: ProbeDefaults,
  baseline: true,
  targets: 'prefix',
  view: 'sweep',
  pacedByRate: true,
  eventKinds: ['host'],
  targetProblem: (t, spec) => {
    const c = parseCidr(t);
    if (!c.ok) return { field: 'targets', message: c.message };
    const tooBig = checkSweepSize(c.prefix);
    if (tooBig) return { field: 'targets', message: tooBig };
    if (spec.ipVersion && c.prefix.family !== spec.ipVersion) {
      return { field: 'ipVersion', message: `ipVersion ${spec.ipVersion} given but ${c.prefix.text} is an IPv${c.prefix.family} prefix` };
    }
    return undefined;
  },
  packetsPerSecond: (spec) => {
    const { rate } = probeParams(spec);
    return rate === 0 ? Number.POSITIVE_INFINITY : rate;
  },
  command: {
    verb: 'sweep',
    missing: 'CIDR prefix',
    single: 'prefix',
    // A sweep's host bits are cleared here (127.1.0.9/24 sweeps 127.1.0.0/24); validateSpec judges the rest.
    normalizeTarget: (word) => {
      const net = parseCidr(word);
      return net.ok ? net.prefix.text : word;
    },
    aliases: [],
    usage: 'probe [-s NODE] [--rate PPS] [-W TIMEOUT] CIDR',
    summary: `sweep every address of a prefix with echo requests (at most a /${Limits.minSweepPrefixV4} or a /${Limits.minSweepPrefixV6})`,
    options: [
      from,
      limit,
      numeric('accepted for habit; a sweep prints addresses only'),
      { long: 'rate', kind: 'int', arg: 'PPS', field: 'rate', noun: 'rate', help: `packets per second (default ${D.rate}; 0 = as fast as the agent's budget allows)` },
      { long: 'timeout', short: 'W', kind: 'seconds', arg: 'TIMEOUT', field: 'timeoutMs', noun: 'timeout', help: `seconds to wait for the last replies (default ${D.timeoutMs / 1000})` },
      json,
      helpOpt,
    ],
    examples: ['probe 127.1.0.0/24', 'probe -s lax1 --rate 5000 198.18.0.0/16'],
  },
  tool: {
    title: 'Sweep a subnet',
    description:
      'Which addresses of a subnet answer? Sweeps a CIDR prefix (e.g. 10.1.2.0/24) with ICMP echo requests from one ' +
      'meshprobe agent and returns the hosts that answered with their RTTs, the count up/total, and a bitmap image of ' +
      'the prefix (one cell per address, dark = silent, coloured by RTT). For one host use ping.',
    instruction: 'to find which addresses of a subnet answer',
    referral: 'to find which addresses of a subnet are up use probe',
    input: (f, c) => ({
      targets: f.targets.describe(`The prefix to sweep, in CIDR notation, e.g. "192.0.2.0/24" (at most /${Limits.minSweepPrefixV4} for IPv4, /${Limits.minSweepPrefixV6} for IPv6).`),
      from: c.from,
      limit: c.limit,
      rate: f.rate.describe(`Echo requests per second across the sweep (default ${D.rate}).`),
      timeoutMs: c.timeoutMs,
    }),
  },
  chat: { menu: 'probe CIDR — sweep a prefix, as a bitmap' },
};
