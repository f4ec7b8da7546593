/**
 * Token scopes and what each route needs. Scopes are space-separated in the `scope` claim
 * (RFC 8693 style). Agent and user powers are disjoint on purpose: an agent's token cannot run
 * measurements, and a user's token cannot register an agent.
 */

export const Scope = {
  /** Run measurements, use /v1/cli, read agents and version. */
  measure: 'measure',
  /** Everything a user can do, plus minting and revoking any token. */
  admin: 'admin',
  /** Connect to /v1/agents/connect as the agent named in `sub` (`agent:<name>`). */
  agent: 'agent',
  /** Mint user tokens (e.g. the Telegram bot's `/token`), limited to `measure`. */
  tokenCreate: 'token:create',
  /** Read-only: list agents, version. */
  read: 'read',
  /**
   * Act for an end user named in `X-Meshprobe-On-Behalf-Of` (front-ends with one service token:
   * the Telegram bot, the email gateways); the hub then limits and logs that user, not the service.
   */
  delegate: 'delegate',
  /** Read monitors, their statistics and samples (issue 13). `measure` grants it too. */
  monitorRead: 'monitor:read',
  /** Add, change and remove monitors (each owned by the token's subject). `measure` grants it too. */
  monitorWrite: 'monitor:write',
} as const;

/**
 * Scopes that another scope grants: a `measure` token (Telegram's `/token`, the front-ends'
 * service tokens, MCP clients) may use monitors as it may run measurements; a token minted with
 * only `monitor:read` is for dashboards that must not change anything.
 */
const IMPLIED: Readonly<Record<string, readonly string[]>> = {
  [Scope.monitorRead]: [Scope.measure, Scope.monitorWrite],
  [Scope.monitorWrite]: [Scope.measure],
};

export type Scope = (typeof Scope)[keyof typeof Scope];

/** All scopes the hub knows; anything else in a request to mint a token is refused. */
export const KNOWN_SCOPES: readonly string[] = Object.values(Scope);

/** Splits a `scope` claim or a comma/space list into distinct scopes. */
export function parseScopes(text: string | readonly string[] | undefined): string[] {
  const parts = typeof text === 'string' ? text.split(/[\s,]+/) : [...(text ?? [])];
  return [...new Set(parts.map((s) => s.trim()).filter(Boolean))];
}

/** True when `granted` satisfies one of `anyOf`. `admin` satisfies every user scope, never `agent`. */
export function hasScope(granted: readonly string[], anyOf: readonly string[]): boolean {
  return anyOf.some((need) => granted.includes(need) || (need !== Scope.agent && granted.includes(Scope.admin)) || (IMPLIED[need] ?? []).some((g) => granted.includes(g)));
}

/**
 * Scopes a caller may put into a token it mints, or a reason why not: `forbidden` when the caller
 * lacks the power (403), otherwise the request itself is bad (400).
 */
export function mayMint(callerScopes: readonly string[], requested: readonly string[]): { ok: true } | { ok: false; forbidden: boolean; reason: string } {
  const unknown = requested.filter((s) => !KNOWN_SCOPES.includes(s));
  if (unknown.length) return { ok: false, forbidden: false, reason: `unknown scope ${unknown.join(', ')}; known scopes: ${KNOWN_SCOPES.join(', ')}` };
  if (requested.length === 0) return { ok: false, forbidden: false, reason: 'scope: give at least one scope' };
  if (callerScopes.includes(Scope.admin)) return { ok: true };
  if (!callerScopes.includes(Scope.tokenCreate)) return { ok: false, forbidden: true, reason: 'minting tokens needs the admin or token:create scope' };
  const allowed: string[] = [Scope.measure, Scope.read, Scope.monitorRead, Scope.monitorWrite];
  const extra = requested.filter((s) => !allowed.includes(s));
  if (extra.length) return { ok: false, forbidden: true, reason: `the token:create scope may only mint ${allowed.join(', ')} tokens, not ${extra.join(', ')}` };
  return { ok: true };
}
