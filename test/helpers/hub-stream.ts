// Reading a hub's NDJSON measurement stream in tests: one collect helper and one POST
// /v1/measurements helper, instead of the same loop copied into every hub/bot test.
import assert from 'node:assert/strict';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { splitLines } from '../../shared/wire/ndjson.ts';

/** Every event of an NDJSON response body, in order, once the stream has ended. */
export async function readEvents(res: Response): Promise<MeasurementEvent[]> {
  const out: MeasurementEvent[] = [];
  for await (const line of splitLines(res.body!)) out.push(JSON.parse(line) as MeasurementEvent);
  return out;
}

/**
 * POST spec to `${url}/v1/measurements` (with a bearer token when given), assert 200 (the body is
 * the failure message) and return every event of the stream.
 */
export async function measureAt(url: string, spec: unknown, o: { token?: string; signal?: AbortSignal } = {}): Promise<MeasurementEvent[]> {
  const res = await fetch(url + '/v1/measurements', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(o.token !== undefined ? { authorization: `Bearer ${o.token}` } : {}) },
    body: JSON.stringify(spec),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return readEvents(res);
}
