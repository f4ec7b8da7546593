/**
 * The tools' input schemas: raw zod shapes built from the very field schemas of
 * shared/model/spec.ts, so the bounds a model sees in tools/list and the messages it gets back are
 * the ones every other front-end uses. Only descriptions are added here.
 */
import { z } from 'zod';
import { MeasurementSpec } from '../shared/model/spec.ts';
import { Defaults } from '../shared/registry.ts';
import { Limits } from '../shared/model/limits.ts';
import type { CommonToolInputs, MeasurementTypeDef } from '../shared/registry.ts';

const f = MeasurementSpec.shape;

const from = z
  .array(z.string().trim().min(1))
  .max(Limits.maxFrom)
  .optional()
  .describe('Agents to measure from: node names such as "lax1", or filters such as "country=DE", "city=Berlin", "asn=64500". Omit to use any agent. Call list_agents to see the agents.');
const limit = f.limit.describe('Use only this many of the agents that match `from`, spread across networks and cities.');
const ipVersion = f.ipVersion.describe('Force IPv4 (4) or IPv6 (6) when a name has both.');
const timeoutMs = f.timeoutMs.describe(`How long to wait for each answer, in ms (default ${Defaults.timeoutMs}).`);

/** The fields every measurement tool shares, described once. */
const common: CommonToolInputs = { from, limit, ipVersion, timeoutMs };

/** Input of a measurement type's tool: the fields its definition picks (shared/measurements/<type>/). */
export function measurementInput(type: MeasurementTypeDef): Record<string, z.ZodType> {
  return type.tool.input(f, common);
}

/** Input of the `list_agents` tool. */
export const ListAgentsInput = {
  filter: z
    .string()
    .trim()
    .max(200)
    .optional()
    .describe('Show only agents whose name, country, city, ASN or ISP contains this text (case-insensitive).'),
};

/**
 * The schema a measurement tool is registered with: the same JSON Schema in tools/list (types,
 * bounds, descriptions, required fields), but every value passes the SDK's own check unchanged,
 * so the tool handler validates the request through shared/model/validate-spec.ts and the model gets
 * the one-line refusal every other front-end gives (not zod's text behind the SDK's prefix).
 */
export function lenientInput(shape: Record<string, z.ZodType>, required: string[] = ['targets']) {
  const fields: Record<string, z.ZodType> = {};
  for (const [k, s] of Object.entries(shape)) {
    const { $schema: _drop, ...json } = z.toJSONSchema(s, { io: 'input' }) as Record<string, unknown>;
    fields[k] = z.unknown().optional().meta(json);
  }
  return z.looseObject(fields).meta({ required });
}
