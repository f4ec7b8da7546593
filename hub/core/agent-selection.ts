/**
 * Picking N agents "spread across ASNs and cities" (design §4, `limit`): greedy, each step takes
 * the candidate that adds a new ASN (worth most) and a new city, ties broken by the order the
 * candidates came in, so the result is deterministic and the first match still goes first.
 */
import type { AgentInfo } from '../../shared/wire/agent-link.ts';

/** Picks at most `n` of `candidates`, maximising distinct ASNs first, then distinct cities. */
export function pickDiverse<T extends { info: AgentInfo }>(candidates: readonly T[], n: number): T[] {
  if (n >= candidates.length) return [...candidates];
  const left = [...candidates];
  const picked: T[] = [];
  const asns = new Set<string>();
  const cities = new Set<string>();
  const countries = new Set<string>();
  const key = (v: unknown) => (v === undefined ? undefined : String(v).toLowerCase());
  while (picked.length < n && left.length > 0) {
    let best = 0;
    let bestScore = -1;
    for (let i = 0; i < left.length; i++) {
      const info = left[i]!.info;
      const asn = key(info.asn);
      const city = key(info.city);
      const country = key(info.country);
      const score = (asn !== undefined && !asns.has(asn) ? 4 : 0) + (city !== undefined && !cities.has(city) ? 2 : 0) + (country !== undefined && !countries.has(country) ? 1 : 0);
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    const [chosen] = left.splice(best, 1);
    const info = chosen!.info;
    if (info.asn !== undefined) asns.add(key(info.asn)!);
    if (info.city !== undefined) cities.add(key(info.city)!);
    if (info.country !== undefined) countries.add(key(info.country)!);
    picked.push(chosen!);
  }
  return picked;
}
