/**
 * The registry of measurement types: the one table every list of types is read from (the
 * grammar and help, spec validation, the hub's packet budget and agent selection, the MCP
 * tools, the Telegram menu). A type lives in its folder, shared/measurements/<type>/ (and its
 * runner in agent/probes/<type>/); adding one is that folder plus one line here.
 * docs/measurement-types.md walks through it.
 */
import { z } from 'zod';
import { CommonDefaults } from './model/limits.ts';
import type { MeasurementTypeDef } from './measurements/measurement-type-def.ts';
import { dnsType } from './measurements/dns/dns-type.ts';
import { httpType } from './measurements/http/http-type.ts';
import { pingType } from './measurements/ping/ping-type.ts';
import { probeType } from './measurements/probe/probe-type.ts';
import { tracerouteType } from './measurements/traceroute/traceroute-type.ts';
import { mtrType } from './measurements/mtr/mtr-type.ts';

export type { CommonToolInputs, MeasurementChat, MeasurementCommand, MeasurementTool, MeasurementTypeDef, SpecProblem } from './measurements/measurement-type-def.ts';

/** The measurement types, in the order help, menus and tool lists show them. */
const TYPES = {
  ping: pingType,
  traceroute: tracerouteType,
  probe: probeType,
  mtr: mtrType,
  dns: dnsType,
  http: httpType,
} as const;

type Name = keyof typeof TYPES;
const NAMES = Object.keys(TYPES) as [Name, ...Name[]];

/** The `type` of a MeasurementSpec: the name of a registered type. */
export const MeasurementType = z.enum(NAMES);
/** The name of a registered measurement type. */
export type MeasurementType = z.infer<typeof MeasurementType>;

type Intersect<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Every default of the spec's fields: the shared ones and each type's own. */
export const Defaults: Readonly<typeof CommonDefaults & Intersect<(typeof TYPES)[Name]['defaults']>> = Object.freeze(
  Object.assign({}, CommonDefaults, ...Object.values(TYPES).map((t) => t.defaults)),
);

/** The definition of a registered type; undefined for anything else (a command word, say). */
export function measurementType(name: string): MeasurementTypeDef<MeasurementType> | undefined {
  return Object.hasOwn(TYPES, name) ? (TYPES[name as Name] as MeasurementTypeDef<MeasurementType>) : undefined;
}

/**
 * The usual next step offered as a button under a chat result: another type run on the same
 * target from the same agents (a path after an echo, an echo after a path), with its label.
 */
const NEXT_STEPS: Partial<Record<Name, { command: Name; label: string }>> = {
  ping: { command: 'traceroute', label: '🛤 Traceroute' },
  traceroute: { command: 'ping', label: '📶 Ping' },
};

/** The next step after a result of `type`, if it has one. */
export function nextStep(type: string): { command: MeasurementType; label: string } | undefined {
  return Object.hasOwn(NEXT_STEPS, type) ? NEXT_STEPS[type as Name] : undefined;
}

/** Every registered type, in registry order. */
export function measurementTypes(): readonly MeasurementTypeDef<MeasurementType>[] {
  return Object.values(TYPES) as MeasurementTypeDef<MeasurementType>[];
}

/** The types a monitor can run (`monitorable`), in registry order. */
export function monitorTypeNames(): string[] {
  return NAMES.filter((n) => TYPES[n].monitorable === true);
}

/** A monitor's `type`: a registered type that is monitorable. */
export const MonitorTypeName = z.string().refine((t) => monitorTypeNames().includes(t), {
  error: () => `type: monitors run ${andList(monitorTypeNames())}`,
});

/**
 * Whether an agent announcing `capabilities` can run `type`. Capabilities name the measurement
 * types an agent runs (plus transports such as icmp, tcp, udp). An agent that names no
 * registered type predates that rule: it ran the baseline types, and nothing newer.
 */
export function agentCanRun(capabilities: readonly string[], type: MeasurementType): boolean {
  if (capabilities.includes(type)) return true;
  const namesTypes = capabilities.some((c) => Object.hasOwn(TYPES, c));
  return !namesTypes && measurementType(type)?.baseline === true;
}

/**
 * An example body of POST /v1/measurements for help texts (the launcher's banner, Telegram's
 * /token): the registry's first type (ping), three rounds to `target`.
 */
export function exampleSpecJson(target: string): string {
  return JSON.stringify({ type: NAMES[0], targets: [target], count: 3 });
}

/** `a, b and c`: how help and tool descriptions list things. */
export function andList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
