/**
 * The agent's decoder of hub → agent frames (welcome, run, cancel, token, monitors, monitor-changes, ack), written by hand. The
 * frames' one definition is the zod schema `HubMessage` in shared/wire/agent-protocol.ts (the hub
 * encodes with its types); this decoder checks the same rules without loading zod, which alone is
 * ~18 MB of an idle agent's ~80. test/agent/runtime/decode-hub-frame.test.ts holds it to the
 * schema: on a seeded stream of valid and mutated frames both accept the same ones with the same
 * result, and refuse the same ones at the same field.
 */
import type { Decoded, HubMessage, MonitorChangesMessage, MonitorsMessage, RunMessage } from '../../shared/wire/agent-protocol.ts';
import { MonitorLimits, type MonitorAssignment } from '../../shared/model/monitor-types.ts';
import { COMPACT_JWT, MAX_TOKEN_CHARS } from '../../shared/wire/agent-protocol-constants.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { Limits } from '../../shared/model/limits.ts';
import { monitorTypes, probeRunner } from '../probes/registry.ts';

/** A refusal: the first field found wrong (its path) and why. */
class Refusal {
  readonly path: string;
  readonly message: string;
  constructor(path: string, message: string) {
    this.path = path;
    this.message = message;
  }
}

type Obj = Record<string, unknown>;

const POLICIES = ['public', 'lan'] as const;
const PROTOCOLS = ['icmp', 'udp', 'tcp'] as const;

/** The optional whole-number fields of a spec and their bounds (MeasurementSpec in shared/model/spec.ts). */
const SPEC_INTS: ReadonlyArray<readonly [keyof MeasurementSpec, number, number]> = [
  ['limit', 1, Limits.maxFrom],
  ['count', 1, Limits.maxCount],
  ['intervalMs', Limits.minIntervalMs, Limits.maxIntervalMs],
  ['timeoutMs', Limits.minTimeoutMs, Limits.maxTimeoutMs],
  ['port', 1, 65_535],
  ['size', 0, Limits.maxSize],
  ['ttl', 1, Limits.maxTtl],
  ['maxHops', 1, Limits.maxHops],
  ['queriesPerHop', 1, Limits.maxQueriesPerHop],
  ['rate', 0, Limits.maxRate],
  ['deadlineMs', Limits.minDeadlineMs, Limits.maxDeadlineMs],
];
/** Every field of a spec, in the schema's order (a spec is strict: any other key is refused). */
const SPEC_FIELDS = new Set(['type', 'targets', 'from', 'limit', 'count', 'intervalMs', 'timeoutMs', 'ipVersion', 'protocol', 'port', 'size', 'ttl', 'maxHops', 'queriesPerHop', 'rate', 'deadlineMs', 'numeric']);

/** Decodes a hub → agent frame. Never throws; a refusal is one line. */
export function decodeHubFrame(text: string): Decoded<HubMessage> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not JSON' };
  }
  try {
    return { ok: true, message: hubMessage(json) };
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    return { ok: false, reason: `bad frame${err.path ? ` at ${err.path}` : ''}: ${err.message}` };
  }
}

function hubMessage(json: unknown): HubMessage {
  const m = object(json, '');
  switch (m.t) {
    case 'welcome':
      return { t: 'welcome', v: int(m.v, 'v'), heartbeatMs: int(m.heartbeatMs, 'heartbeatMs', 1), policy: oneOf(m.policy, 'policy', POLICIES) };
    case 'run': {
      const id = int(m.id, 'id', 0);
      const spec = measurementSpec(m.spec);
      const policy = oneOf(m.policy, 'policy', POLICIES);
      const run: RunMessage = { t: 'run', id, spec, policy };
      if (m.allowedRanges !== undefined) run.allowedRanges = strings(m.allowedRanges, 'allowedRanges', { max: 64, maxItems: 256 });
      return run;
    }
    case 'cancel':
      return { t: 'cancel', id: int(m.id, 'id', 0) };
    case 'token': {
      const token = m.token;
      if (typeof token !== 'string') throw new Refusal('token', `expected a string, not ${kindOf(token)}`);
      if (token.length > MAX_TOKEN_CHARS) throw new Refusal('token', `at most ${MAX_TOKEN_CHARS} characters`);
      if (!COMPACT_JWT.test(token)) throw new Refusal('token', 'token: not a compact JWT');
      strict(m, new Set(['t', 'token']), '');
      return { t: 'token', token };
    }
    case 'monitors':
      return monitorsMessage(m);
    case 'monitor-changes':
      return monitorChanges(m);
    case 'ack': {
      const seq = int(m.seq, 'seq', 0);
      strict(m, new Set(['t', 'seq']), '');
      return { t: 'ack', seq };
    }
    default:
      throw new Refusal('t', 'not a frame type the hub sends (welcome, run, cancel, token, monitors, monitor-changes, ack)');
  }
}

const ASSIGNMENT_FIELDS = new Set(['id', 'type', 'target', 'intervalMs', 'timeoutMs', 'traceMs', 'family', 'legacy', 'fixedTimeout', 'rev']);

/** The agent's monitor assignments (MonitorsMessage): fields checked in the schema's order. */
function monitorsMessage(m: Obj): MonitorsMessage {
  if (!Array.isArray(m.list)) throw new Refusal('list', `expected a list, not ${kindOf(m.list)}`);
  if (m.list.length > MonitorLimits.maxAssignmentsPerAgent) throw new Refusal('list', `at most ${MonitorLimits.maxAssignmentsPerAgent}`);
  const list = m.list.map((item: unknown, i: number) => assignment(item, `list.${i}`));
  const policy = oneOf(m.policy, 'policy', POLICIES);
  const out: MonitorsMessage = { t: 'monitors', list, policy };
  if (m.allowedRanges !== undefined) out.allowedRanges = strings(m.allowedRanges, 'allowedRanges', { max: 64, maxItems: 256 });
  strict(m, new Set(['t', 'list', 'policy', 'allowedRanges']), '');
  return out;
}

/** Changes to the agent's monitor assignments (MonitorChangesMessage), in the schema's order. */
function monitorChanges(m: Obj): MonitorChangesMessage {
  if (!Array.isArray(m.set)) throw new Refusal('set', `expected a list, not ${kindOf(m.set)}`);
  if (m.set.length > MonitorLimits.maxAssignmentsPerAgent) throw new Refusal('set', `at most ${MonitorLimits.maxAssignmentsPerAgent}`);
  const set = m.set.map((item: unknown, i: number) => assignment(item, `set.${i}`));
  if (!Array.isArray(m.drop)) throw new Refusal('drop', `expected a list, not ${kindOf(m.drop)}`);
  if (m.drop.length > MonitorLimits.maxAssignmentsPerAgent) throw new Refusal('drop', `at most ${MonitorLimits.maxAssignmentsPerAgent}`);
  const drop = m.drop.map((id: unknown, i: number) => int(id, `drop.${i}`, 1));
  strict(m, new Set(['t', 'set', 'drop']), '');
  return { t: 'monitor-changes', set, drop };
}

function assignment(json: unknown, path: string): MonitorAssignment {
  const a = object(json, path);
  const id = int(a.id, `${path}.id`, 1);
  const type = oneOf(a.type, `${path}.type`, monitorTypes());
  const target = a.target;
  if (typeof target !== 'string') throw new Refusal(`${path}.target`, `expected a string, not ${kindOf(target)}`);
  if (target.length < 1) throw new Refusal(`${path}.target`, 'must not be empty');
  if (target.length > 253) throw new Refusal(`${path}.target`, 'at most 253 characters');
  const intervalMs = int(a.intervalMs, `${path}.intervalMs`, MonitorLimits.minIntervalMs, MonitorLimits.maxIntervalMs);
  const timeoutMs = int(a.timeoutMs, `${path}.timeoutMs`, 1, 60_000);
  const out: MonitorAssignment = { id, type, target, intervalMs, timeoutMs, rev: 0 };
  if (a.traceMs !== undefined) out.traceMs = int(a.traceMs, `${path}.traceMs`, MonitorLimits.minTraceMs, MonitorLimits.maxTraceMs);
  if (a.family !== undefined) {
    if (a.family !== 4 && a.family !== 6) throw new Refusal(`${path}.family`, 'family must be 4 or 6');
    out.family = a.family;
  }
  for (const k of ['legacy', 'fixedTimeout'] as const) {
    if (a[k] === undefined) continue;
    if (a[k] !== true) throw new Refusal(`${path}.${k}`, `${k} must be true when given`);
    out[k] = true;
  }
  out.rev = int(a.rev, `${path}.rev`, 0);
  strict(a, ASSIGNMENT_FIELDS, path);
  return out;
}

function measurementSpec(json: unknown): MeasurementSpec {
  const s = object(json, 'spec');
  if (typeof s.type !== 'string' || !probeRunner(s.type)) throw new Refusal('spec.type', 'not a measurement type');
  const spec: Obj = { type: s.type };
  spec.targets = strings(s.targets, 'spec.targets', { trim: true, min: 1, max: 253, minItems: 1, maxItems: Limits.maxTargets });
  spec.from = s.from === undefined ? [] : strings(s.from, 'spec.from', { trim: true, min: 1, max: 200, maxItems: Limits.maxFrom });
  for (const [field, min, max] of SPEC_INTS.slice(0, 4)) if (s[field] !== undefined) spec[field] = int(s[field], `spec.${field}`, min, max);
  if (s.ipVersion !== undefined) {
    if (s.ipVersion !== 4 && s.ipVersion !== 6) throw new Refusal('spec.ipVersion', 'ipVersion must be 4 or 6');
    spec.ipVersion = s.ipVersion;
  }
  if (s.protocol !== undefined) spec.protocol = oneOf(s.protocol, 'spec.protocol', PROTOCOLS);
  for (const [field, min, max] of SPEC_INTS.slice(4)) if (s[field] !== undefined) spec[field] = int(s[field], `spec.${field}`, min, max);
  if (s.numeric !== undefined) {
    if (typeof s.numeric !== 'boolean') throw new Refusal('spec.numeric', 'numeric must be true or false');
    spec.numeric = s.numeric;
  }
  strict(s, SPEC_FIELDS, 'spec');
  return spec as MeasurementSpec;
}

function object(json: unknown, path: string): Obj {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Refusal(path, `expected an object, not ${kindOf(json)}`);
  return json as Obj;
}

/** Refuses keys outside `known` (a strict object of the schema). */
function strict(o: Obj, known: ReadonlySet<string>, path: string): void {
  const extra = Object.keys(o).filter((k) => !known.has(k));
  if (extra.length) throw new Refusal(path, `unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')}`);
}

/** A whole number (a safe integer, as zod's `.int()`) within [min, max]. */
function int(v: unknown, path: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const name = path.slice(path.lastIndexOf('.') + 1);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Refusal(path, `${name} must be a number`);
  if (!Number.isSafeInteger(v)) throw new Refusal(path, `${name} must be a whole number`);
  if (v < min) throw new Refusal(path, `${name} must be at least ${min}`);
  if (v > max) throw new Refusal(path, `${name} must be at most ${max}`);
  return v;
}

function oneOf<const T extends readonly string[]>(v: unknown, path: string, values: T): T[number] {
  if (typeof v !== 'string' || !values.includes(v)) throw new Refusal(path, `must be ${values.join(' or ')}`);
  return v as T[number];
}

interface StringRules {
  trim?: boolean;
  min?: number;
  max: number;
  minItems?: number;
  maxItems: number;
}

/** A list of strings (each trimmed first when `trim`) within the bounds. */
function strings(v: unknown, path: string, r: StringRules): string[] {
  if (!Array.isArray(v)) throw new Refusal(path, `expected a list, not ${kindOf(v)}`);
  // The list's bounds before its items: zod names them first.
  if (v.length < (r.minItems ?? 0)) throw new Refusal(path, `at least ${r.minItems}`);
  if (v.length > r.maxItems) throw new Refusal(path, `at most ${r.maxItems}`);
  return v.map((item, i) => {
    if (typeof item !== 'string') throw new Refusal(`${path}.${i}`, `expected a string, not ${kindOf(item)}`);
    const s = r.trim ? item.trim() : item;
    if (s.length < (r.min ?? 0)) throw new Refusal(`${path}.${i}`, 'must not be empty');
    if (s.length > r.max) throw new Refusal(`${path}.${i}`, `at most ${r.max} characters`);
    return s;
  });
}

function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  return Array.isArray(v) ? 'a list' : typeof v;
}
