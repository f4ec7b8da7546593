/**
 * A sweep's text: the `PROBE prefix: N addresses, rate` header, then at the end the count of
 * hosts up and every live host as compact ranges, the hosts an ICMP destination unreachable was
 * about (by who said it and why), and the kernel's receive drops, if any.
 */
import type { StartEvent, SummaryEvent } from '../../model/events.ts';
import { Defaults } from '../../registry.ts';
import { parseCidr, prefixSize } from '../../net/cidr.ts';
import { compactAddresses } from '../../render/compact-addresses.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { PartTextRenderer, TypeTextOptions } from '../../render/measurement-renderers.ts';
import { numParam } from '../../render/num-param.ts';

/** The text of one sweep part. */
export function probeText(): PartTextRenderer {
  return { start, summary };
}

function start(e: StartEvent): string[] {
  const c = parseCidr(e.address.includes('/') ? e.address : e.target);
  const n = c.ok ? String(prefixSize(c.prefix)) : '?';
  const rate = numParam(e.params['rate']) ?? Defaults.rate;
  const rateText = rate === 0 ? 'no rate limit' : `${rate} packets/s`;
  return [`PROBE ${c.ok ? c.prefix.text : e.target}: ${n} addresses, ${rateText}`];
}

function summary(e: SummaryEvent, p: FoldPart, o: TypeTextOptions): string[] {
  const name = e.address ?? p.start?.address ?? e.target;
  const up = e.hostsUp ?? p.upCount;
  const total = e.hostsTotal ?? p.hostsSeen;
  const lines = o.probeCounts ? [`${name}: ${up} of ${total} hosts up`] : [];
  if (p.up.length) lines.push(...compactAddresses(p.up.map((h) => h.address)).map((l) => `  ${l}`));
  if (p.unreachableCount) {
    lines.push(`${name}: ${p.unreachableCount} unreachable`);
    for (const [why, addresses] of unreachableGroups(p)) lines.push(`  ${why}:`, ...compactAddresses(addresses).map((l) => `    ${l}`));
  }
  if (e.kernelDrops) lines.push(`${name}: ${e.kernelDrops} replies dropped by the kernel (receive buffer full)`);
  return lines;
}

/**
 * The unreachable hosts of a part grouped by what was said and by whom (`Destination Host
 * Unreachable from 198.18.0.2`), groups in order of first appearance. At most 16 groups: a
 * sweep's errors come from a few routers.
 */
export function unreachableGroups(p: FoldPart): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const u of p.unreachable) {
    const key = `${u.message} from ${u.from}`;
    const list = groups.get(key) ?? (groups.size < 16 ? groups.set(key, []).get(key) : undefined);
    list?.push(u.address);
  }
  return [...groups];
}
