/**
 * Who may sign in to the web UI, and with which scopes (MESHPROBE_WEB_ALLOW): the operator's
 * map from identities (an OpenID Connect provider's or GitHub's) to the hub's scopes.
 *
 * The setting is a list of rules separated by `;`, each `MATCH` or `MATCH=SCOPES`:
 * - `*`: anyone the provider vouches for
 * - `domain:example.com`: a verified email address at that domain (not its subdomains)
 * - `email:ann@example.com`: that verified address
 * - `github-org:acme`: a member of that GitHub organisation (needs the `read:org` grant)
 * - `github:octocat`: that GitHub login
 * - `sub:oidc:1234` / `sub:github:42`: that meshprobe subject (provider subject or GitHub id)
 * SCOPES are hub scopes separated by `+`, `,` or spaces (default `measure read`); every rule
 * that matches adds its scopes. Nobody matches when the setting is empty: a hub never lets the
 * whole of Google in by accident.
 */
import { KNOWN_SCOPES, Scope } from './scopes.ts';

/** What a provider told us about a person. */
export interface Identity {
  /** The meshprobe subject: `oidc:<sub>` or `github:<id>`. */
  subject: string;
  /** The email address, when the provider says it is verified (else absent). */
  email?: string;
  /** GitHub login. */
  login?: string;
  /** GitHub organisations (logins), when granted. */
  orgs?: readonly string[];
}

export interface IdentityRule {
  kind: '*' | 'domain' | 'email' | 'github-org' | 'github' | 'sub';
  value: string;
  scopes: string[];
}

/** Scopes a rule gives when it names none. */
export const DEFAULT_WEB_SCOPES: readonly string[] = [Scope.measure, Scope.read];

/** Scopes a rule may never give: they are for agents and front-end services, not people. */
const NOT_FOR_PEOPLE: readonly string[] = [Scope.agent, Scope.delegate];

/** Parses MESHPROBE_WEB_ALLOW; throws an Error with a one-line reason naming the bad rule. */
export function parseIdentityRules(text: string | undefined): IdentityRule[] {
  const rules: IdentityRule[] = [];
  for (const raw of (text ?? '').split(/[;\n]/)) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    const match = (eq < 0 ? item : item.slice(0, eq)).trim();
    const scopes = eq < 0 ? [...DEFAULT_WEB_SCOPES] : item.slice(eq + 1).split(/[\s,+]+/).filter(Boolean);
    const bad = scopes.filter((s) => !KNOWN_SCOPES.includes(s) || NOT_FOR_PEOPLE.includes(s));
    if (bad.length) throw new Error(`MESHPROBE_WEB_ALLOW: rule '${item}' gives ${bad.join(', ')}, which is no scope for people (use ${KNOWN_SCOPES.filter((s) => !NOT_FOR_PEOPLE.includes(s)).join(', ')})`);
    if (scopes.length === 0) throw new Error(`MESHPROBE_WEB_ALLOW: rule '${item}' gives no scope`);
    if (match === '*') {
      rules.push({ kind: '*', value: '', scopes });
      continue;
    }
    const colon = match.indexOf(':');
    const kind = colon < 0 ? '' : match.slice(0, colon).toLowerCase();
    const value = colon < 0 ? '' : match.slice(colon + 1);
    if (!['domain', 'email', 'github-org', 'github', 'sub'].includes(kind) || !value) {
      throw new Error(`MESHPROBE_WEB_ALLOW: '${match}' is not *, domain:NAME, email:ADDRESS, github-org:ORG, github:LOGIN or sub:SUBJECT`);
    }
    // Mail domains, addresses and GitHub names compare without case; subjects exactly.
    rules.push({ kind: kind as IdentityRule['kind'], value: kind === 'sub' ? value : value.toLowerCase(), scopes });
  }
  return rules;
}

/** The scopes the rules give `who` (sorted, no duplicates); empty when no rule matches. */
export function scopesFor(rules: readonly IdentityRule[], who: Identity): string[] {
  const out = new Set<string>();
  const email = who.email?.toLowerCase();
  const domain = email?.slice(email.lastIndexOf('@') + 1);
  const orgs = new Set((who.orgs ?? []).map((o) => o.toLowerCase()));
  for (const r of rules) {
    const hit =
      r.kind === '*' ||
      (r.kind === 'domain' && domain !== undefined && domain === r.value) ||
      (r.kind === 'email' && email !== undefined && email === r.value) ||
      (r.kind === 'github-org' && orgs.has(r.value)) ||
      (r.kind === 'github' && who.login !== undefined && who.login.toLowerCase() === r.value) ||
      (r.kind === 'sub' && who.subject === r.value);
    if (hit) for (const s of r.scopes) out.add(s);
  }
  return [...out].sort();
}
