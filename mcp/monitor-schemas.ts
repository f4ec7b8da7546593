/**
 * The monitor tools' input and output schemas (zod; the SDK publishes them as JSON Schema and
 * checks every structuredContent against the output ones). The outputs mirror the REST answers
 * (MonitorView, MonitorDetail in shared/model/monitor-types.ts), leniently: a field a newer hub
 * adds passes, a field it leaves out is optional.
 */
import { z } from 'zod';
import { MonitorLimits } from '../shared/model/monitor-types.ts';

const duration = z
  .union([z.string().trim().min(1).max(20), z.number().positive()])
  .describe('Seconds as a number, or a duration string: 500ms, 10s, 5m, 1h, 3d.');

const ref = z.union([z.string().trim().min(1).max(80), z.number().int().nonnegative()]).describe('The monitor: its id or its name (as monitor_list shows them).');

/** Input of monitor_add. */
export const MonitorAddInput = {
  target: z.string().trim().min(1).max(300).describe('What to watch: a host name, an IPv4 or IPv6 address, or name@address (the name is shown, the address probed).'),
  from: z.array(z.string().trim().min(1).max(200)).max(32).optional().describe('Agents to run it: names or filters such as country=DE. Omit for every capable agent (each reports from its own point of view).'),
  interval: duration.optional().describe('Time between probes (default 1s, at least 100ms, at most 1h): seconds as a number, or 500ms, 10s, 1m.'),
  name: z.string().trim().min(1).max(63).optional().describe('A name to refer to it by (default: from the target). Letters, digits and . _ : @ -.'),
  trace: duration.optional().describe('Route watch: trace the path this often (at least 1m) and record route changes.'),
  alert: z.array(z.string().trim().min(1).max(200)).max(MonitorLimits.maxAlerts).optional().describe("Alert rules such as 'loss>5% for 5m' or 'p95>50ms for 10m'."),
  paused: z.boolean().optional().describe('Create it paused.'),
};

/** Input of monitor_show. */
export const MonitorShowInput = {
  monitor: ref,
  range: duration.optional().describe('The time the statistics and heatmap cover (default 24h), e.g. 6h, 3d.'),
  agent: z.string().trim().min(1).max(200).optional().describe("Only this agent's statistics and heatmap."),
};

/** Input of monitor_remove. */
export const MonitorRemoveInput = { monitor: ref };

const ms = z.number().nullable().optional();

const AgentStats = z.looseObject({
  agent: z.string(),
  address: z.string().nullable().optional(),
  sent: z.number(),
  received: z.number(),
  successPct: ms,
  lossPct: ms,
  minMs: ms,
  avg15mMs: ms,
  avg6hMs: ms,
  avg24hMs: ms,
  maxMs: ms,
  lastMs: ms,
  p50Ms: ms,
  p95Ms: ms,
  p99Ms: ms,
  lastAt: z.string().nullable().optional(),
  error: z.string().optional(),
});

const View = z.looseObject({
  id: z.number(),
  name: z.string(),
  type: z.string().optional(),
  target: z.string(),
  probe: z.string().optional(),
  intervalMs: z.number().optional(),
  traceMs: z.number().nullable().optional(),
  from: z.array(z.string()).optional(),
  alerts: z.array(z.string()).optional(),
  paused: z.boolean().optional(),
  owner: z.string().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  agents: z.array(z.string()).optional(),
  stats: z.array(AgentStats).optional(),
});

const hops = z.array(z.string().nullable());

const Detail = View.extend({
  rangeMs: z.number().optional(),
  routeChanges: z.array(z.looseObject({ agent: z.string(), at: z.string(), from: hops, to: hops })).optional(),
  addressChanges: z.array(z.looseObject({ agent: z.string(), at: z.string(), from: z.string().nullable(), to: z.string() })).optional(),
  alerting: z.array(z.string()).optional(),
  heatmap: z.string().optional(),
});

/** structuredContent of monitor_add. */
export const MonitorAddOutput = z.object({ monitor: View });
/** structuredContent of monitor_list. */
export const MonitorListOutput = z.object({ monitors: z.array(View) });
/** structuredContent of monitor_show. */
export const MonitorShowOutput = z.object({ monitor: Detail });
/** structuredContent of monitor_remove. */
export const MonitorRemoveOutput = z.object({ removed: z.object({ id: z.number(), name: z.string() }) });
