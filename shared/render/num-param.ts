/** A start event's numeric parameter, or undefined when it is absent or not a finite number. */
export function numParam(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
