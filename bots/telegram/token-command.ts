/**
 * /token: a user token for the person asking, minted by the hub's token API with the bot's own
 * service token. Only in private chats: a token posted in a group is a token leaked.
 */
import { describeError, ErrorCode, MeshprobeError } from '../../shared/errors.ts';
import { escapeHtml } from './pre-html.ts';

/** What the bot needs to mint tokens. */
export interface TokenIssuerOptions {
  /** The hub's base URL (no trailing slash needed). */
  hubUrl: string;
  /** The bot's service token (MESHPROBE_HUB_TOKEN); it must be allowed to mint user tokens. */
  serviceToken?: string;
  /** Token lifetime in seconds (default 30 days). */
  ttlS?: number;
  fetch?: typeof fetch;
}

export const TOKEN_TTL_S = 30 * 86_400;

/** A minted token. */
export interface IssuedToken {
  token: string;
  /** ISO time of expiry, when the hub says. */
  expiresAt?: string;
}

/** The line a group gets instead of a token. */
export const TOKEN_GROUP_REFUSAL = '🔒 /token works only in a private chat with me: a token posted in a group is a leaked token. Open a private chat and send /token there.';

/** Asks the hub for a `measure` token for `telegram:<userId>`. Throws MeshprobeError with a one-line reason. */
export async function issueUserToken(o: TokenIssuerOptions, userId: number): Promise<IssuedToken> {
  if (!o.serviceToken) {
    throw new MeshprobeError(ErrorCode.Forbidden, 'this bot has no service token for the hub (MESHPROBE_HUB_TOKEN), so it cannot issue tokens');
  }
  const url = o.hubUrl.replace(/\/+$/, '') + '/v1/tokens';
  const doFetch = o.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${o.serviceToken}` },
      body: JSON.stringify({ sub: `telegram:${userId}`, scope: 'measure', ttl: o.ttlS ?? TOKEN_TTL_S }),
    });
  } catch (cause) {
    throw new MeshprobeError(ErrorCode.HubUnreachable, `cannot reach the hub: ${describeError(cause).message}`, { cause });
  }
  const text = await res.text();
  let body: { token?: unknown; expiresAt?: unknown; error?: { code?: string; message?: string } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // A non-JSON answer is reported below by status.
  }
  if (!res.ok || typeof body.token !== 'string') {
    const reason = body.error?.message ?? `the hub answered HTTP ${res.status}`;
    const code = res.status === 401 ? ErrorCode.Unauthorized : res.status === 403 ? ErrorCode.Forbidden : ErrorCode.HubUnreachable;
    throw new MeshprobeError(code, `the hub refused to issue a token: ${reason}`);
  }
  return { token: body.token, ...(typeof body.expiresAt === 'string' ? { expiresAt: body.expiresAt } : {}) };
}

/** The reply: the token and how to use it with an MCP client and with curl (HTML parse mode). */
export function tokenReplyHtml(issued: IssuedToken, hubUrl: string): string {
  const hub = hubUrl.replace(/\/+$/, '');
  const expires = issued.expiresAt ? ` It expires ${issued.expiresAt.slice(0, 10)}.` : '';
  return [
    `🔑 Your meshprobe token (scope: measure).${escapeHtml(expires)} Keep it secret.`,
    '',
    `<pre>${escapeHtml(issued.token)}</pre>`,
    '',
    '<b>MCP</b> (Claude, Cursor, …): add a server with URL',
    `<code>${escapeHtml(hub)}/mcp</code> and the header`,
    `<code>Authorization: Bearer &lt;token&gt;</code>`,
    '',
    '<b>curl</b>:',
    `<pre>curl -N -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\\n  -d '{"type":"ping","targets":["example.com"],"count":3}' \\\n  ${escapeHtml(hub)}/v1/measurements</pre>`,
  ].join('\n');
}
