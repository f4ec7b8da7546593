/**
 * The state seam of the token service (design §12): the set of revoked token ids it checks on
 * every verification (hub/auth/token-service.ts) and the agent gateway checks on every beat.
 * revocation-list.ts is the implementation every hub uses today: a JSON-lines file in the data
 * directory, kept in memory and re-read when another process appended to it.
 *
 * Several hubs sharing one set of tokens replace it with a shared store. A PostgreSQL (or Redis)
 * implementation would have to provide
 * - `revoke` durable before it resolves (a committed `INSERT … ON CONFLICT DO NOTHING` of jti and
 *   expiry, or a Redis `SET jti 1 EXAT exp` with AOF fsync): a token is refused only once the
 *   refusal survives a crash, and a failed write rejects and changes nothing;
 * - `has` synchronous and cheap, as it runs on every request: answered from a local copy that
 *   `refresh` brings up to date (LISTEN/NOTIFY or keyspace notifications to learn of others'
 *   revocations, or a poll of the rows newer than the last seen), so that a revocation made on
 *   any hub counts from the next request after `refresh` on every other;
 * - expiry: entries may be dropped once `exp` (seconds since the epoch) has passed, since an
 *   expired token is refused anyway; the store must not grow without bound.
 */

/** The revoked token ids (`jti`) a token service refuses. */
export interface RevocationStore {
  /** True when `jti` was revoked (as of the last refresh). */
  has(jti: string): boolean;
  /** Revokes `jti` durably; `exp` (seconds since the epoch) bounds how long it must be kept. */
  revoke(jti: string, exp: number): Promise<void>;
  /** Picks up revocations made elsewhere (another process or hub); cheap when nothing changed. */
  refresh(): Promise<void>;
  /** How many revocations are kept. */
  readonly size: number;
}
