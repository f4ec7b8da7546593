/**
 * Durations as people type them on every front-end: a bare number of seconds (`-i 0.2`, as
 * iputils takes `-i`), or a number with a unit `ms`, `s`, `m`, `h`, `d` (`500ms`, `10m`, `3d`).
 * One parser for `--interval`, `--range`, `--trace` and alert windows.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `text`, or undefined when it is not a positive duration. Fractions are allowed (`1.5s`). */
export function parseDurationMs(text: string | number): number | undefined {
  let ms: number;
  if (typeof text === 'number') ms = text * 1000;
  else {
    const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
    if (!m) return undefined;
    ms = Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]!;
  }
  ms = Math.round(ms);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

/** `1s`, `10m`, `3d`, `1h30m`: the shortest exact spelling of `ms`, as help and listings show it. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  if (ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join('');
}
