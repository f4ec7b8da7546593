/**
 * The page's calls to its hub (same origin): JSON helpers that send the session's CSRF token on
 * every state change, and a HubClient (shared/wire/hub-client.ts) for the measurement stream.
 * The session itself is an httpOnly cookie the page never sees.
 */
import { HubClient } from '../shared/wire/hub-client.ts';

/** What GET /v1/session answers. */
export interface SessionInfo {
  signedIn: boolean;
  sub?: string;
  scope?: string;
  kind?: string;
  guest?: boolean;
  expiresAt?: string;
  csrf?: string;
  signIn?: { guest: boolean; oidc?: string; github?: boolean };
}

let csrf = '';

/** Fetches the session (renewing its cookie when due) and remembers its CSRF token. */
export async function loadSession(): Promise<SessionInfo> {
  const r = await fetch('/v1/session', { headers: { accept: 'application/json' } });
  const s = (await r.json()) as SessionInfo;
  csrf = s.csrf ?? '';
  return s;
}

/** A hub answer that was not 2xx: its one-line message and code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function withCsrf(init: RequestInit = {}): RequestInit {
  const method = (init.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD' || !csrf) return init;
  const headers = new Headers(init.headers);
  headers.set('x-csrf-token', csrf);
  return { ...init, headers };
}

/** fetch with the CSRF header; a stale token (the hub restarted, the session renewed) is fetched again once. */
export async function hubFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const r = await fetch(input, withCsrf(init));
  if (r.status === 403 && csrf && init.method && init.method !== 'GET' && (init.body === undefined || typeof init.body === 'string')) {
    await loadSession();
    return fetch(input, withCsrf(init));
  }
  return r;
}

/** A JSON call; rejects with ApiError carrying the hub's one-line message. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const r = await hubFetch(path, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(r.status, 'MP_ERR_INTERNAL', text.split('\n')[0] || `HTTP ${r.status}`);
  }
  if (!r.ok) {
    const e = (json as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(r.status, e?.code ?? 'MP_ERR_INTERNAL', e?.message ?? `HTTP ${r.status}`);
  }
  return json as T;
}

/**
 * The hub client of this page: same origin, cookie session, CSRF header. With `onStream`, a
 * measurement asks the hub to keep its finished stream for a share link (`x-meshprobe-keep`)
 * and `onStream` gets the id the hub answers (`x-meshprobe-stream`): a share names that id, and
 * the hub shares what it streamed, never events the page would upload.
 */
export function hubClient(onStream?: (id: string) => void): HubClient {
  return new HubClient({
    url: location.origin,
    fetch: async (input, init) => {
      if (!onStream || !String(input).endsWith('/v1/measurements')) return hubFetch(input, init);
      const headers = new Headers(init?.headers);
      headers.set('x-meshprobe-keep', '1');
      const r = await hubFetch(input, { ...init, headers });
      const id = r.headers.get('x-meshprobe-stream');
      if (id) onStream(id);
      return r;
    },
  });
}
