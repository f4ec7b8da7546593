/**
 * Preact with htm: tagged templates instead of JSX, so the page needs no JSX step and every
 * interpolated value is a text node or a property, never parsed as HTML (agent names, DNS
 * answers and hop names are attacker-controlled).
 */
export { html } from 'htm/preact';

import { GRADES, GRADE_STYLE, lossGrade } from '../shared/render/quality.ts';

/** The class of a loss figure: its grade (shared/render/quality.ts), as every medium grades it. */
export function lossClass(pct: number | null | undefined): string {
  return pct === null || pct === undefined ? 'loss' : `loss loss-${lossGrade(pct)}`;
}

/**
 * The grades' colours as CSS variables (`--grade-good` …), set through the CSSOM (the CSP allows
 * no inline style), so the page shows exactly the colours of the email and the pictures.
 */
export function applyGradeColours(root: HTMLElement): void {
  for (const g of GRADES) {
    root.style.setProperty(`--grade-${g}`, GRADE_STYLE[g].background);
    root.style.setProperty(`--grade-${g}-fill`, `rgb(${GRADE_STYLE[g].fill.join(',')})`);
  }
}

/** A number of ms as the text renderers print it (3 significant places). */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}
