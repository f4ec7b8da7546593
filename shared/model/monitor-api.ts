/**
 * The zod schemas of the monitor REST bodies (docs/api.md "Monitors"): POST /v1/monitors
 * (MonitorCreateRequest, shared/model/monitor-types.ts) and PATCH /v1/monitors/{id}. Shape only:
 * bounds that need the hub's settings (interval floor, caps, policy) are checked by the hub's
 * monitor service, which every transport (REST, /v1/cli) goes through.
 */
import { z } from 'zod';
import { Limits } from './limits.ts';
import { MonitorLimits, type MonitorCreateRequest } from './monitor-types.ts';
import { MonitorTypeName } from '../registry.ts';

/** Seconds as a number, or a duration string (`1s`, `500ms`, `10m`); parsed by shared/model/duration.ts. */
const duration = z.union([z.number().positive().finite(), z.string().min(1).max(32)]);

const notify = z.strictObject({
  telegram: z.string().min(1).max(64).optional(),
  email: z.string().min(3).max(254).optional(),
});

const fields = {
  from: z.array(z.string().min(1).max(100)).max(Limits.maxFrom, { error: `from: at most ${Limits.maxFrom} agent selectors` }).optional(),
  interval: duration.optional(),
  name: z.string().min(1).max(63).optional(),
  trace: duration.optional(),
  alert: z.array(z.string().min(1).max(100)).max(MonitorLimits.maxAlerts, { error: `alert: at most ${MonitorLimits.maxAlerts} rules` }).optional(),
  notify: notify.optional(),
  webhook: z.string().url().max(2048).optional(),
  paused: z.boolean().optional(),
};

/** POST /v1/monitors. */
export const MonitorCreateBody = z.strictObject({
  target: z.string().min(1).max(300),
  type: MonitorTypeName.optional(),
  ...fields,
  // Probe options, fixed at creation (a PATCH cannot change them).
  legacy: z.boolean().optional(),
  fixedTimeout: z.boolean().optional(),
});

/** PATCH /v1/monitors/{id}: the create fields but `target` and `type`, all optional; `trace: 0` (or `null`, `"off"`) turns route watch off. */
export const MonitorPatchBody = z.strictObject({
  ...fields,
  trace: z.union([duration, z.literal(0), z.null()]).transform((v) => v ?? 0).optional(),
});
export type MonitorPatchBody = z.infer<typeof MonitorPatchBody>;

/** The body as a MonitorCreateRequest, or the first problem as one line naming the field. */
export function parseMonitorCreate(input: unknown): { ok: true; request: MonitorCreateRequest } | { ok: false; message: string } {
  const r = MonitorCreateBody.safeParse(input);
  return r.success ? { ok: true, request: stripUndefined(r.data) } : { ok: false, message: firstIssue(r.error) };
}

/** The body of a PATCH, or the first problem as one line naming the field. */
export function parseMonitorPatch(input: unknown): { ok: true; patch: MonitorPatchBody } | { ok: false; message: string } {
  const r = MonitorPatchBody.safeParse(input);
  return r.success ? { ok: true, patch: stripUndefined(r.data) } : { ok: false, message: firstIssue(r.error) };
}

/** `o` without its undefined fields (the contracts' optional fields are absent, never undefined). */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  if (!i) return 'invalid monitor request';
  const path = i.path.join('.');
  if (i.code === 'unrecognized_keys') return `unknown field ${i.keys.join(', ')}`;
  return path && !i.message.startsWith(`${path}:`) ? `${path}: ${i.message}` : i.message;
}
