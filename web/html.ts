/**
 * Preact with htm: tagged templates instead of JSX, so the page needs no JSX step and every
 * interpolated value is a text node or a property, never parsed as HTML (agent names, DNS
 * answers and hop names are attacker-controlled).
 */
export { html } from 'htm/preact';

/** The latency band (0 near … 4 far) of shared/render/html-style.ts's bands; -1 for no answer. */
export function bandOf(ms: number | null | undefined, bands: readonly { belowMs: number }[]): number {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return -1;
  const i = bands.findIndex((b) => ms < b.belowMs);
  return i < 0 ? bands.length - 1 : i;
}

/** The loss class: none, some, much, all. */
export function lossClass(pct: number | null | undefined): string {
  if (pct === null || pct === undefined) return 'loss-none';
  if (pct <= 0) return 'loss-0';
  if (pct < 5) return 'loss-low';
  if (pct < 100) return 'loss-high';
  return 'loss-all';
}

/** A number of ms as the text renderers print it (3 significant places). */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}
