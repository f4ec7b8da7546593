/** Token lifetimes written the way people write them: `90s`, `15m`, `12h`, `30d`, `1w`, or seconds. */

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** Parses a TTL into seconds; undefined when the text is not a positive duration. */
export function parseTtl(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text > 0 ? text : undefined;
  const m = /^\s*([0-9]+)\s*([smhdwy]?)\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]) * UNIT[(m[2] || 's').toLowerCase()]!;
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}
