/**
 * Number formatting shared by every renderer, so a round trip reads the same in the CLI,
 * Telegram, email and MCP. The rules mirror iputils ping where it has one.
 */

/** Milliseconds → whole microseconds; iputils works in µs, so rounding happens once, here. */
function micros(ms: number): number {
  return Math.round(ms * 1000);
}

/**
 * A reply time the way iputils ping prints `time=…` (ping_common.c, 20221126): three decimals
 * below 1 ms, two below ~10 ms, one below ~100 ms, none above — each rounded at its last digit.
 * `0.031` → "0.031", `1.234` → "1.23", `12.34` → "12.3", `123.4` → "123".
 */
export function formatPingTime(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const t = Math.max(0, micros(ms));
  if (t >= 100_000 - 50) return String(Math.floor((t + 500) / 1000));
  if (t >= 10_000 - 5) {
    const r = t + 50;
    return `${Math.floor(r / 1000)}.${Math.floor((r % 1000) / 100)}`;
  }
  if (t >= 1000) {
    const r = t + 5;
    return `${Math.floor(r / 1000)}.${String(Math.floor((r % 1000) / 10)).padStart(2, '0')}`;
  }
  return `0.${String(t).padStart(3, '0')}`;
}

/** Milliseconds with three decimals (the statistics block and hop lines): `0.0314` → "0.031". */
export function formatMs3(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const t = micros(ms);
  const sign = t < 0 ? '-' : '';
  const a = Math.abs(t);
  return `${sign}${Math.floor(a / 1000)}.${String(a % 1000).padStart(3, '0')}`;
}

/**
 * A loss percentage as iputils prints it: C's `%g` of a float (6 significant digits, no
 * trailing zeros): 0 → "0", 33.33… → "33.3333", 12.5 → "12.5", 100 → "100".
 */
export function formatLossPct(pct: number): string {
  if (!Number.isFinite(pct)) return String(pct);
  const f = Math.fround(pct);
  if (f === 0) return '0';
  // C's %g: exponent notation when the exponent is below -4 or at least the precision (6).
  const [m, e] = f.toExponential(5).split('e') as [string, string];
  const exp = Number(e);
  const strip = (x: string) => (x.includes('.') ? x.replace(/0+$/, '').replace(/\.$/, '') : x);
  if (exp < -4 || exp >= 6) return `${strip(m)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(f.toFixed(5 - exp));
}

/** A short latency for tables and matrices: the iputils reply rule plus the unit, e.g. "0.031 ms". */
export function formatLatency(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : `${formatPingTime(ms)} ms`;
}

/** A loss figure for tables: whole percent unless it would hide a loss (`0.4` → "0.4%"). */
export function formatLossShort(pct: number): string {
  if (pct === 0) return '0%';
  if (pct < 1) return `${formatLossPct(Number(pct.toFixed(1)) || 0.1)}%`;
  return `${Math.round(pct)}%`;
}

/** A duration in whole milliseconds as iputils prints `time 2003ms`. */
export function formatDurationMs(ms: number): string {
  return `${Math.max(0, Math.round(ms))}ms`;
}

/** Pads `s` on the right to `width` code points (monospace tables; no wide characters expected). */
export function padRight(s: string, width: number): string {
  const n = [...s].length;
  return n >= width ? s : s + ' '.repeat(width - n);
}

/** Pads `s` on the left to `width` code points. */
export function padLeft(s: string, width: number): string {
  const n = [...s].length;
  return n >= width ? s : ' '.repeat(width - n) + s;
}

/** Lays out rows of cells as a monospace table; columns separated by two spaces, no trailing blanks. */
export function formatTable(rows: readonly (readonly string[])[], align?: readonly ('left' | 'right')[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (align?.[i] === 'right' ? padLeft(c, widths[i]!) : padRight(c, widths[i]!)))
      .join('  ')
      .replace(/\s+$/, ''),
  );
}
