/**
 * The target grammar's `host:port` forms (design §4): `host`, `host:port`, `[v6]:port`. Pure and
 * runtime-neutral, so the hub's policy checks and the agent's guard and TCP ping read a target
 * the same way.
 */

/**
 * Splits `host:port` / `[v6]:port` (TCP targets). A bare IPv6 literal has no port: a target with
 * more than one colon is a port only in brackets. Brackets are removed from the host.
 */
export function splitHostPort(target: string): { host: string; port?: string } {
  const bracket = /^\[([^\]]+)\](?::([0-9]{1,5}))?$/.exec(target);
  if (bracket) return { host: bracket[1]!, ...(bracket[2] ? { port: bracket[2] } : {}) };
  const colon = target.lastIndexOf(':');
  if (colon > 0 && target.indexOf(':') === colon && /^[0-9]{1,5}$/.test(target.slice(colon + 1))) {
    return { host: target.slice(0, colon), port: target.slice(colon + 1) };
  }
  return { host: target };
}
