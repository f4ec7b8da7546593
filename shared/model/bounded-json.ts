/**
 * JSON values of a bounded size, for the parts of events whose shape belongs to one measurement
 * type (ToolReport, shared/model/events.ts): whoever relays or renders them need not know the
 * shape, only that it is small and plain.
 */

const MAX_DEPTH = 6;
const MAX_KEYS = 64;
const MAX_ITEMS = 256;
const MAX_STRING = 256;
const MAX_KEY = 64;

/** A copy of `v` with everything outside the bounds dropped; undefined for a non-object. */
export function boundedJsonObject(v: unknown): Record<string, unknown> | undefined {
  const out = copy(v, 0);
  return typeof out === 'object' && out !== null && !Array.isArray(out) ? (out as Record<string, unknown>) : undefined;
}

/** Whether `v` is a plain JSON object within the bounds (nothing would be dropped). */
export function isBoundedJsonObject(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  try {
    return JSON.stringify(boundedJsonObject(v)) === JSON.stringify(v);
  } catch {
    return false;
  }
}

function copy(v: unknown, depth: number): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') return v.length <= MAX_STRING ? v : v.slice(0, MAX_STRING);
  if (typeof v !== 'object' || depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(v)) {
    return v.slice(0, MAX_ITEMS).flatMap((x) => {
      const c = copy(x, depth + 1);
      return c === undefined ? [] : [c];
    });
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, x] of Object.entries(v)) {
    if (n >= MAX_KEYS) break;
    if (k.length > MAX_KEY || k === '__proto__') continue;
    const c = copy(x, depth + 1);
    if (c === undefined) continue;
    out[k] = c;
    n++;
  }
  return out;
}
