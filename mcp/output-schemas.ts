/**
 * The tools' `outputSchema`s (zod; the SDK publishes them as JSON Schema in tools/list and
 * checks every `structuredContent` against them before it leaves the server).
 * Numbers are milliseconds unless the name says otherwise; null means "nothing received".
 */
import { z } from 'zod';

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
  address: z.string().nullable().describe('Resolved address (for probe: the normalised prefix)'),
  family: z.union([z.literal(4), z.literal(6)]).nullable(),
  protocol: z.string().nullable(),
  error: ErrorItem.nullable().describe('Why this agent×target failed, when it did'),
};

/** structuredContent of the `ping` tool. */
export const PingOutput = z.object({
  measurement: z.literal('ping'),
  parts: z.array(
    z.object({
      ...PartBase,
      replies: z.array(
        z.object({
          seq: z.number().int(),
          rttMs: z.number(),
          ttl: z.number().int().nullable(),
          bytes: z.number().int(),
          from: z.string(),
        }),
      ),
      repliesOmitted: z.number().int().describe('Replies left out of the list to keep it short (all are counted in summary)'),
      timeouts: z.array(z.number().int()).describe('Sequence numbers that got no answer'),
      icmpErrors: z.array(
        z.object({ seq: z.number().int(), kind: z.string(), from: z.string(), message: z.string() }),
      ),
      summary: Stats.nullable(),
    }),
  ),
  errors: z.array(ErrorItem),
  totals: Totals,
});

/** structuredContent of the `traceroute` tool. */
export const TracerouteOutput = z.object({
  measurement: z.literal('traceroute'),
  parts: z.array(
    z.object({
      ...PartBase,
      hops: z.array(
        z.object({
          ttl: z.number().int(),
          responders: z.array(
            z.object({
              address: z.string(),
              name: z.string().optional(),
              rttsMs: z.array(z.number()),
              annotation: z.string().optional(),
            }),
          ),
          sent: z.number().int(),
          received: z.number().int(),
          lossPct: z.number(),
        }),
      ),
      reached: z.boolean().nullable().describe('Whether the destination answered'),
      summary: Stats.nullable(),
    }),
  ),
  errors: z.array(ErrorItem),
  totals: Totals,
});

/** structuredContent of the `probe` tool. */
export const ProbeOutput = z.object({
  measurement: z.literal('probe'),
  parts: z.array(
    z.object({
      ...PartBase,
      hostsUp: z.number().int(),
      hostsTotal: z.number().int(),
      up: z.array(z.object({ address: z.string(), rttMs: z.number() })).describe('Hosts that answered, in address order'),
      upOmitted: z.number().int().describe('Answering hosts left out of `up` to keep it short'),
      summary: Stats.nullable(),
    }),
  ),
  errors: z.array(ErrorItem),
  totals: Totals,
});

/** structuredContent of the `list_agents` tool. */
export const ListAgentsOutput = z.object({
  agents: z.array(
    z.object({
      name: z.string(),
      country: z.string().optional(),
      city: z.string().optional(),
      asn: z.number().optional(),
      isp: z.string().optional(),
      latitude: z.number().optional(),
      longitude: z.number().optional(),
      capabilities: z.array(z.string()),
      version: z.string(),
    }),
  ),
  hub: z.object({ name: z.string(), version: z.string(), api: z.number() }).nullable(),
});

export type PingOutput = z.infer<typeof PingOutput>;
export type TracerouteOutput = z.infer<typeof TracerouteOutput>;
export type ProbeOutput = z.infer<typeof ProbeOutput>;
export type ListAgentsOutput = z.infer<typeof ListAgentsOutput>;
