// A real in-process hub on 127.0.0.1:0 with its own temporary data directory, for tests that
// used to copy the same createHub/mkdtemp/close/rm block.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub, type Hub, type HubOptions } from '../../hub/http/server.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { measureAt } from './hub-stream.ts';

export interface TestHub {
  hub: Hub;
  url: string;
  /** A token the hub itself issued, for sub (default 'admin' for the admin scope, else 'test'). */
  token(scopes: readonly string[], sub?: string): Promise<string>;
  /** POST /v1/measurements, assert 200, return every event of the stream. */
  measure(spec: unknown, o?: { token?: string; signal?: AbortSignal }): Promise<MeasurementEvent[]>;
  /** Closes the hub and removes its data directory (unless the caller gave one). */
  close(): Promise<void>;
}

/** Starts a hub on 127.0.0.1:0; options override the defaults (no agents, a fresh data dir). */
export async function startTestHub(options: HubOptions = {}): Promise<TestHub> {
  const own = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'mp-test-hub-')) : undefined;
  let hub: Hub;
  try {
    hub = await createHub({ listen: '127.0.0.1:0', ...(own ? { dataDir: own } : {}), ...options });
  } catch (err) {
    if (own) await rm(own, { recursive: true, force: true });
    throw err;
  }
  return {
    hub,
    url: hub.url,
    token: async (scopes, sub) => (await hub.tokens.issue({ sub: sub ?? (scopes.includes('admin') ? 'admin' : 'test'), scopes })).token,
    measure: (spec, o) => measureAt(hub.url, spec, o),
    async close() {
      await hub.close();
      if (own) await rm(own, { recursive: true, force: true });
    },
  };
}

/** Runs body against a fresh test hub and closes it afterwards, whatever body does. */
export async function withTestHub(options: HubOptions, body: (t: TestHub) => Promise<void>): Promise<void> {
  const t = await startTestHub(options);
  try {
    await body(t);
  } finally {
    await t.close();
  }
}
