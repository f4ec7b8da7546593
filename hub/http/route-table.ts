/**
 * The hub's routes by path: exact paths (`/v1/measurements`) and paths with parameters
 * (`/v1/tokens/:jti`), where a `:name` segment matches one non-empty path segment. Exact paths
 * win over patterns, so `/v1/tokens/revoke` is never taken for a jti; among routes of the same
 * path the one added last wins (extra routes override built-in ones).
 */
import type { HubRoute } from './route.ts';

/** A matched route and its decoded path parameters. */
export interface RouteMatch {
  route: HubRoute;
  params: Record<string, string>;
}

interface Pattern {
  route: HubRoute;
  /** Literal segments as strings, parameters as `{ name }`. */
  segments: (string | { name: string })[];
}

export class RouteTable {
  readonly #exact = new Map<string, HubRoute>();
  readonly #patterns = new Map<string, Pattern>();

  /** Adds a route; throws a TypeError for a malformed pattern (a programming error). */
  add(route: HubRoute): void {
    if (!route.path.includes('/:')) {
      this.#exact.set(route.path, route);
      return;
    }
    const segments = route.path.split('/').slice(1).map((s) => {
      if (!s.startsWith(':')) return s;
      const name = s.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`route ${route.name}: bad parameter ':${name}' in ${route.path}`);
      return { name };
    });
    // Re-adding a pattern moves it to the end and replaces it: the last one added wins.
    this.#patterns.delete(route.path);
    this.#patterns.set(route.path, { route, segments });
  }

  /** The route for `pathname`, or undefined. A parameter that is not valid percent-encoding does not match. */
  match(pathname: string): RouteMatch | undefined {
    const exact = this.#exact.get(pathname);
    if (exact) return { route: exact, params: {} };
    const parts = pathname.split('/').slice(1);
    for (const p of [...this.#patterns.values()].reverse()) {
      if (p.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = p.segments[i]!;
        const part = parts[i]!;
        if (typeof seg === 'string') ok = seg === part;
        else if (part === '') ok = false;
        else {
          try {
            params[seg.name] = decodeURIComponent(part);
          } catch {
            ok = false;
          }
        }
      }
      if (ok) return { route: p.route, params };
    }
    return undefined;
  }
}
