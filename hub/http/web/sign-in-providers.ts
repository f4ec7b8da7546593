/**
 * The web UI's sign-in providers (issue 18 item 2): OpenID Connect with any issuer (discovery,
 * PKCE S256, `state` and `nonce`, through openid-client), with presets for Google and Microsoft
 * Entra ID, and GitHub's OAuth (not OIDC: who the user is comes from its REST API).
 *
 * A flow is two requests: `start` answers the provider's authorisation URL and remembers what
 * the callback must check (state, nonce, PKCE verifier) under a random id the browser keeps in
 * a short-lived cookie; `finish` takes the callback URL and answers the {@link Identity}. What is
 * remembered lives in this process, bounded and for ten minutes: a sign-in that starts on one
 * hub must end on the same one (a multi-hub deployment needs sticky sessions for /auth/).
 */
import { randomBytes } from 'node:crypto';
import type * as OidcClient from 'openid-client';
import type { Identity } from '../../auth/identity-rules.ts';
import { isLoopbackAddress } from '../../../shared/net/host-guard.ts';

/** An OpenID Connect provider: an issuer URL, or a preset (`google`, `entra:<tenant>`). */
export interface OidcProviderOptions {
  /** Issuer URL (discovery at `/.well-known/openid-configuration`), `google`, or `entra:<tenant id or name>`. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Name on the sign-in button. Default: the preset's name, else the issuer's host. */
  label?: string;
}

/** GitHub's OAuth app. The URLs default to github.com's (another for GitHub Enterprise or tests). */
export interface GithubProviderOptions {
  clientId: string;
  clientSecret: string;
  /** Default https://github.com (authorisation at /login/oauth/authorize, token at /login/oauth/access_token). */
  webUrl?: string;
  /** Default https://api.github.com. */
  apiUrl?: string;
}

/** A sign-in in progress. */
interface Pending {
  provider: 'oidc' | 'github';
  state: string;
  nonce: string;
  verifier: string;
  at: number;
}

/** openid-client, loaded at the first sign-in (a hub without providers never needs it). */
let oidcModule: Promise<typeof OidcClient> | undefined;
function loadOidc(): Promise<typeof OidcClient> {
  oidcModule ??= import('openid-client');
  return oidcModule;
}

const PENDING_TTL_MS = 10 * 60_000;
const MAX_PENDING = 10_000;
const FETCH_TIMEOUT_MS = 10_000;

/** The issuer URL of a preset, or the text itself. */
export function issuerUrl(issuer: string): string {
  if (issuer === 'google') return 'https://accounts.google.com';
  if (issuer.startsWith('entra:')) return `https://login.microsoftonline.com/${encodeURIComponent(issuer.slice(6))}/v2.0`;
  return issuer;
}

function presetLabel(o: OidcProviderOptions): string {
  if (o.label) return o.label;
  if (o.issuer === 'google') return 'Google';
  if (o.issuer.startsWith('entra:')) return 'Microsoft';
  try {
    return new URL(o.issuer).host;
  } catch {
    return 'OpenID Connect';
  }
}

export class SignInProviders {
  readonly #oidc: OidcProviderOptions | undefined;
  readonly #github: GithubProviderOptions | undefined;
  readonly #callbackBase: () => string;
  readonly #pending = new Map<string, Pending>();
  #config: Promise<OidcClient.Configuration> | undefined;

  /**
   * `callbackBase`: the hub's public URL (known once it listens); callbacks are
   * `<base>/auth/oidc/callback` and `<base>/auth/github/callback`.
   */
  constructor(o: { oidc?: OidcProviderOptions; github?: GithubProviderOptions; callbackBase: () => string }) {
    this.#oidc = o.oidc;
    this.#github = o.github;
    this.#callbackBase = () => o.callbackBase().replace(/\/+$/, '');
  }

  /** What the page offers: the OIDC button's label, GitHub. */
  describe(): { oidc?: string; github?: boolean } {
    return { ...(this.#oidc ? { oidc: presetLabel(this.#oidc) } : {}), ...(this.#github ? { github: true } : {}) };
  }

  has(provider: 'oidc' | 'github'): boolean {
    return provider === 'oidc' ? this.#oidc !== undefined : this.#github !== undefined;
  }

  /** Begins a sign-in: the id to keep in the browser's cookie and where to send the browser. */
  async start(provider: 'oidc' | 'github'): Promise<{ id: string; location: string }> {
    this.#prune();
    if (this.#pending.size >= MAX_PENDING) throw new Error('too many sign-ins in progress; try again in a few minutes');
    const oidc = await loadOidc();
    const p: Pending = { provider, state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), at: Date.now() };
    const challenge = await oidc.calculatePKCECodeChallenge(p.verifier);
    let location: string;
    if (provider === 'oidc') {
      const config = await this.#configuration();
      location = oidc.buildAuthorizationUrl(config, {
        redirect_uri: `${this.#callbackBase()}/auth/oidc/callback`,
        scope: 'openid email profile',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: p.state,
        nonce: p.nonce,
      }).href;
    } else {
      const gh = this.#github!;
      const u = new URL('/login/oauth/authorize', gh.webUrl ?? 'https://github.com');
      u.search = new URLSearchParams({
        client_id: gh.clientId,
        redirect_uri: `${this.#callbackBase()}/auth/github/callback`,
        scope: 'read:user user:email read:org',
        state: p.state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        allow_signup: 'false',
      }).toString();
      location = u.href;
    }
    const id = randomBytes(18).toString('base64url');
    this.#pending.set(id, p);
    return { id, location };
  }

  /**
   * Completes a sign-in from the callback URL (as the browser requested it) and the id of its
   * cookie; throws an Error with a one-line reason (never the provider's raw answer) when it fails.
   */
  async finish(provider: 'oidc' | 'github', id: string | undefined, callbackUrl: URL): Promise<Identity> {
    const p = id === undefined ? undefined : this.#pending.get(id);
    if (id !== undefined) this.#pending.delete(id);
    if (!p || p.provider !== provider || Date.now() - p.at > PENDING_TTL_MS) throw new Error('this sign-in was not started here or took longer than 10 minutes; start again');
    const error = callbackUrl.searchParams.get('error');
    if (error) throw new Error(`the provider refused the sign-in (${error.slice(0, 60)})`);
    if (callbackUrl.searchParams.get('state') !== p.state) throw new Error('the sign-in answer does not match its request (state); start again');
    return provider === 'oidc' ? this.#finishOidc(p, callbackUrl) : this.#finishGithub(p, callbackUrl);
  }

  async #finishOidc(p: Pending, callbackUrl: URL): Promise<Identity> {
    const oidc = await loadOidc();
    const config = await this.#configuration();
    // The URL as registered with the provider (the browser may have used another Host).
    const current = new URL(`${this.#callbackBase()}/auth/oidc/callback${callbackUrl.search}`);
    let claims: Record<string, unknown> | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce, idTokenExpected: true });
      claims = tokens.claims();
      // Some providers put the email in the ID token (Google, Entra), others only in UserInfo.
      if (claims && typeof claims['sub'] === 'string' && typeof claims['email'] !== 'string' && config.serverMetadata().userinfo_endpoint) {
        claims = { ...(await oidc.fetchUserInfo(config, tokens.access_token, claims['sub'])), sub: claims['sub'] };
      }
    } catch (err) {
      throw new Error(`the provider's answer did not check out: ${oneLine(err)}`);
    }
    if (!claims || typeof claims['sub'] !== 'string') throw new Error('the provider sent no ID token subject');
    const verified = claims['email_verified'] === true || claims['email_verified'] === 'true';
    const email = typeof claims['email'] === 'string' && verified ? claims['email'] : undefined;
    return { subject: `oidc:${claims['sub']}`, ...(email ? { email } : {}) };
  }

  async #finishGithub(p: Pending, callbackUrl: URL): Promise<Identity> {
    const gh = this.#github!;
    const code = callbackUrl.searchParams.get('code');
    if (!code) throw new Error('GitHub sent no code');
    const tokenRes = await fetch(new URL('/login/oauth/access_token', gh.webUrl ?? 'https://github.com'), {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: gh.clientId, client_secret: gh.clientSecret, code, redirect_uri: `${this.#callbackBase()}/auth/github/callback`, code_verifier: p.verifier }),
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    const tokenJson = (await boundedJson(tokenRes)) as Record<string, unknown>;
    const access = tokenJson['access_token'];
    if (!tokenRes.ok || typeof access !== 'string') throw new Error(`GitHub did not give an access token (${typeof tokenJson['error'] === 'string' ? tokenJson['error'].slice(0, 60) : tokenRes.status})`);
    const api = async (path: string): Promise<unknown> => {
      const r = await fetch(new URL(path, gh.apiUrl ?? 'https://api.github.com'), {
        headers: { authorization: `Bearer ${access}`, accept: 'application/vnd.github+json', 'user-agent': 'meshprobe' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!r.ok) throw new Error(`GitHub's ${path} answered ${r.status}`);
      return boundedJson(r);
    };
    const user = (await api('/user')) as Record<string, unknown>;
    if (typeof user['id'] !== 'number' || typeof user['login'] !== 'string') throw new Error("GitHub's /user has no id or login");
    const emails = await api('/user/emails').catch(() => []);
    const primary = Array.isArray(emails) ? emails.find((e) => e && e.primary === true && e.verified === true && typeof e.email === 'string') : undefined;
    const orgs = await api('/user/orgs').catch(() => []);
    const orgLogins = Array.isArray(orgs) ? orgs.filter((o) => o && typeof o.login === 'string').map((o) => String(o.login)).slice(0, 200) : [];
    return { subject: `github:${user['id']}`, login: user['login'], orgs: orgLogins, ...(primary ? { email: String(primary.email) } : {}) };
  }

  #configuration(): Promise<OidcClient.Configuration> {
    const o = this.#oidc!;
    this.#config ??= (async () => {
      const oidc = await loadOidc();
      const url = new URL(issuerUrl(o.issuer));
      // Plain http only for an issuer on this machine (a local provider, tests).
      const local = url.protocol === 'http:' && (url.hostname === 'localhost' || isLoopbackAddress(url.hostname.replace(/^\[|\]$/g, '')));
      return oidc.discovery(url, o.clientId, o.clientSecret, undefined, local ? { execute: [oidc.allowInsecureRequests], timeout: FETCH_TIMEOUT_MS / 1000 } : { timeout: FETCH_TIMEOUT_MS / 1000 });
    })();
    // A failed discovery is tried again at the next sign-in.
    this.#config.catch(() => {
      this.#config = undefined;
    });
    return this.#config;
  }

  #prune(): void {
    const now = Date.now();
    for (const [id, p] of this.#pending) if (now - p.at > PENDING_TTL_MS) this.#pending.delete(id);
  }
}

/** JSON of a provider's answer, at most 1 MiB. */
async function boundedJson(r: Response): Promise<unknown> {
  const text = await r.text();
  if (text.length > 1 << 20) throw new Error('the provider answered more than 1 MiB');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the provider did not answer JSON (status ${r.status})`);
  }
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 160);
}
