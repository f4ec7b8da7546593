/**
 * Live hosts, compactly: consecutive addresses become ranges written by formatIpRange
 * (`127.1.0.1-254`, `2001:db8:3::1-2`, `a-b` when more than the last octet / group differs),
 * joined by commas and wrapped at about 72 characters. Anything not an address is left out.
 */
import { formatIpRange, parseIp } from '../net/ip-address.ts';

/** `addresses` as sorted, merged, wrapped ranges (one string per line). */
export function compactAddresses(addresses: readonly string[], width = 72): string[] {
  const parsed = addresses
    .map((a) => ({ a, ip: typeof a === 'string' ? parseIp(a) : undefined }))
    .filter((x) => x.ip !== undefined)
    .sort((x, y) => x.ip!.family - y.ip!.family || (x.ip!.value < y.ip!.value ? -1 : x.ip!.value > y.ip!.value ? 1 : 0))
    // Duplicates (a host answering twice) collapse into one entry.
    .filter((x, i, all) => i === 0 || x.ip!.family !== all[i - 1]!.ip!.family || x.ip!.value !== all[i - 1]!.ip!.value);
  const ranges: string[] = [];
  for (let i = 0; i < parsed.length; ) {
    let j = i;
    while (j + 1 < parsed.length && parsed[j + 1]!.ip!.family === parsed[i]!.ip!.family && parsed[j + 1]!.ip!.value === parsed[j]!.ip!.value + 1n) j++;
    ranges.push(formatIpRange(parsed[i]!.ip!, parsed[j]!.ip!));
    i = j + 1;
  }
  const lines: string[] = [];
  let cur = '';
  for (const r of ranges) {
    const next = cur ? `${cur}, ${r}` : r;
    if (cur && next.length > width) {
      lines.push(`${cur},`);
      cur = r;
    } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines;
}
