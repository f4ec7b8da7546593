/**
 * What every MCP measurement tool's output shares (zod; the SDK publishes it as JSON Schema and
 * checks every `structuredContent` against it): per agent×target part its identity, error and
 * summary around the type's own fields, then the errors and the totals. A type's schema is
 * {@link measurementOutput} with its literal and its part fields.
 * Numbers are milliseconds unless the name says otherwise; null means "nothing received".
 */
import { z } from 'zod';
import type { ErrorEvent, SummaryEvent } from '../model/events.ts';
import type { FoldPart } from './measurement-fold.ts';

const ms = z.number().nullable();

const ErrorItem = z.object({
  agent: z.string().optional(),
  target: z.string().optional(),
  code: z.string().describe('Stable MP_ERR_* code'),
  message: z.string().describe('One-line reason'),
});

const Stats = z.object({
  sent: z.number().int(),
  received: z.number().int(),
  lossPct: z.number(),
  minMs: ms,
  avgMs: ms,
  maxMs: ms,
  mdevMs: ms,
  p50Ms: ms,
  p90Ms: ms,
  p99Ms: ms,
  durationMs: z.number(),
});

const Totals = z.object({
  parts: z.number().int().describe('agent×target pairs that finished'),
  sent: z.number().int(),
  received: z.number().int(),
  errors: z.number().int(),
  durationMs: z.number(),
});

const PartBase = {
  agent: z.string(),
  target: z.string().describe('The target as given'),
  address: z.string().nullable().describe('Resolved address (for a prefix: the normalised prefix)'),
  family: z.union([z.literal(4), z.literal(6)]).nullable(),
  protocol: z.string().nullable(),
  error: ErrorItem.nullable().describe('Why this agent×target failed, when it did'),
};

/** The outputSchema of a measurement tool: `measurement` is `type`, each part has `fields`. */
export function measurementOutput<T extends string, F extends z.ZodRawShape>(type: T, fields: F) {
  return z.object({
    measurement: z.literal(type),
    parts: z.array(z.object({ ...PartBase, ...fields, summary: Stats.nullable() })),
    errors: z.array(ErrorItem),
    totals: Totals,
  });
}

/** One failure as the output lists it. */
export type ErrorItem = z.infer<typeof ErrorItem>;
/** A part's statistics as the output gives them. */
export type OutputStats = z.infer<typeof Stats>;

/** An error event as an output item (absent agent/target left out). */
export function errorItem(e: ErrorEvent): ErrorItem {
  return {
    ...(e.agent !== undefined ? { agent: e.agent } : {}),
    ...(e.target !== undefined ? { target: e.target } : {}),
    code: e.code,
    message: e.message,
  };
}

/** The part's latest error as an output item, or null. */
export function partError(p: FoldPart): ErrorItem | null {
  const e = p.errors[p.errors.length - 1];
  return e ? errorItem(e) : null;
}

/** A summary's statistics as the output gives them, or null. */
export function outputStats(s: SummaryEvent | undefined): OutputStats | null {
  if (!s) return null;
  return {
    sent: s.sent, received: s.received, lossPct: s.lossPct,
    minMs: s.minMs, avgMs: s.avgMs, maxMs: s.maxMs, mdevMs: s.mdevMs,
    p50Ms: s.p50Ms, p90Ms: s.p90Ms, p99Ms: s.p99Ms, durationMs: s.durationMs,
  };
}
