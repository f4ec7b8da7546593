/**
 * The one validation path of a measurement request (issue 11, item 18). The grammar (CLI,
 * /v1/cli, Telegram, email), POST /v1/measurements and the MCP tools all call
 * {@link validateSpec}, so a refusal reads the same everywhere: one line naming the field and
 * the bound. The grammar only adds its `COMMAND: ` prefix and the flag the user typed.
 */
import { measurementType, measurementTypes } from '../registry.ts';
import { parseSpec, type MeasurementSpec } from './spec.ts';

/** What {@link validateSpec} returns: the spec, or the field at fault and a one-line reason. */
export type SpecValidation =
  | { ok: true; spec: MeasurementSpec }
  | { ok: false; field: string; message: string };

/**
 * Validates an untrusted measurement request: the schema (shared/model/spec.ts), then what the
 * schema cannot say alone: each target as its type reads it (shared/measurements/<type>/: a
 * prefix where a host is expected, a host where a prefix is, the sweep-size bound, the address
 * family), a port without a transport, a field of another type. Never throws.
 */
export function validateSpec(input: unknown): SpecValidation {
  const r = parseSpec(input);
  if (!r.ok) return r;
  const spec = r.spec;
  // The schema has admitted the type, so the registry knows it.
  const def = measurementType(spec.type)!;
  for (const t of spec.targets) {
    const p = def.targetProblem(t, spec);
    if (p) return { ok: false, ...p };
  }
  if (spec.port !== undefined && (spec.protocol ?? def.defaultProtocol ?? 'icmp') === 'icmp') {
    return { ok: false, field: 'port', message: 'port needs protocol tcp or udp' };
  }
  for (const other of measurementTypes()) {
    if (other === def) continue;
    const field = other.exclusiveFields?.find((f) => spec[f] !== undefined);
    if (field) return { ok: false, field, message: `${field} applies to ${other.name} only, not ${spec.type}` };
  }
  return { ok: true, spec };
}
