/**
 * How good a result is, in one grade that every medium shows the same way: email and web cells
 * (background colour), Telegram and the CLI (a text symbol), pictures (fill colour). A grade is
 * the worse of the latency class and the loss class, so a pair with 60 % loss is never shown
 * green because its few answers were fast; and every grade has a text symbol next to its colour,
 * so it survives plain text, grey-scale printing and colour blindness.
 *
 * Thresholds (documented in docs/telegram.md, "Grades"):
 *
 * | grade | symbol | average RTT | loss |
 * |---|---|---|---|
 * | good | ✓ | < 50 ms | 0 % |
 * | fair | ~ | 50–150 ms | > 0 and < 2 % |
 * | poor | ! | 150–300 ms | 2–20 % |
 * | bad  | ✗ | ≥ 300 ms | > 20 % (and below 100 %) |
 * | down | ✗ | nothing answered | 100 %, or the part failed |
 */
import type { Rgb } from './sweep-bitmap.ts';

/** The grades, best first. */
export const GRADES = ['good', 'fair', 'poor', 'bad', 'down'] as const;
export type Grade = (typeof GRADES)[number];

/** Upper bounds (exclusive) of the latency classes good, fair, poor, in ms; at or above the last: bad. */
export const LATENCY_LIMITS_MS = [50, 150, 300] as const;
/** Upper bounds of the loss classes, in percent: good is exactly 0, fair below 2, poor up to 20; above: bad; 100: down. */
export const LOSS_LIMITS_PCT = [0, 2, 20] as const;

/** What each grade looks like. */
export interface GradeStyle {
  /** One character that carries the grade in plain text. */
  symbol: string;
  /** A word for legends and screen readers. */
  word: string;
  /** Background of a cell in HTML (light, readable with black text). */
  background: string;
  /** Saturated fill for pictures and ANSI-less legends. */
  fill: Rgb;
  /** ANSI SGR foreground code for terminals. */
  ansi: string;
}

export const GRADE_STYLE: Readonly<Record<Grade, GradeStyle>> = {
  good: { symbol: '✓', word: 'good', background: '#c6efce', fill: [46, 160, 67], ansi: '32' },
  fair: { symbol: '~', word: 'fair', background: '#fff2b3', fill: [212, 180, 20], ansi: '33' },
  poor: { symbol: '!', word: 'poor', background: '#ffd8a8', fill: [235, 120, 30], ansi: '38;5;208' },
  bad: { symbol: '✗', word: 'bad', background: '#ffb3b3', fill: [210, 40, 40], ansi: '31' },
  down: { symbol: '✗', word: 'down', background: '#d9d9d9', fill: [90, 90, 96], ansi: '90' },
};

/** The latency class of an average RTT (null: nothing answered → down). */
export function latencyGrade(ms: number | null | undefined): Grade {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'down';
  if (ms < LATENCY_LIMITS_MS[0]) return 'good';
  if (ms < LATENCY_LIMITS_MS[1]) return 'fair';
  if (ms < LATENCY_LIMITS_MS[2]) return 'poor';
  return 'bad';
}

/** The loss class of a loss percentage. */
export function lossGrade(pct: number): Grade {
  if (!Number.isFinite(pct) || pct >= 100) return 'down';
  if (pct <= LOSS_LIMITS_PCT[0]) return 'good';
  if (pct < LOSS_LIMITS_PCT[1]) return 'fair';
  if (pct <= LOSS_LIMITS_PCT[2]) return 'poor';
  return 'bad';
}

/** The worse of two grades. */
export function worse(a: Grade, b: Grade): Grade {
  return GRADES.indexOf(a) >= GRADES.indexOf(b) ? a : b;
}

/** The grade of a result: the worse of its latency class and its loss class. */
export function gradeOf(avgMs: number | null | undefined, lossPct: number): Grade {
  return worse(latencyGrade(avgMs), lossGrade(lossPct));
}
