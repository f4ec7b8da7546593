/**
 * /token: a user token for the person asking, minted by the hub's token API with the bot's own
 * service token. Only in private chats: a token posted in a group is a token leaked.
 */
import { ErrorCode, HubError, MeshprobeError } from '../../shared/model/errors.ts';
import type { HubClient } from '../../shared/wire/hub-client.ts';
import { exampleSpecJson } from '../../shared/registry.ts';
import { escapeHtml } from './pre-html.ts';

/** What the bot needs to mint tokens. */
export interface TokenIssuerOptions {
  /** A client of the hub with the bot's service token, which must be allowed to mint user tokens. */
  hub: Pick<HubClient, 'createToken'>;
  /** Whether the bot has a service token (MESHPROBE_HUB_TOKEN or minted by `npm start`); without one it cannot mint. */
  hasServiceToken: boolean;
  /** Token lifetime in seconds (default 30 days). */
  ttlS?: number;
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
  if (!o.hasServiceToken) {
    throw new MeshprobeError(ErrorCode.Forbidden, 'this bot has no service token for the hub (MESHPROBE_HUB_TOKEN), so it cannot issue tokens');
  }
  try {
    const created = await o.hub.createToken({ sub: `telegram:${userId}`, scope: 'measure', ttl: o.ttlS ?? TOKEN_TTL_S });
    return { token: created.token, ...(typeof created.expiresAt === 'string' ? { expiresAt: created.expiresAt } : {}) };
  } catch (err) {
    // The hub answered and said no: say so. Not reached at all: HubClient's reason says that.
    if (err instanceof HubError && err.status > 0) throw new MeshprobeError(err.code, `the hub refused to issue a token: ${err.message}`, { cause: err });
    throw err;
  }
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
    `<pre>curl -N -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\\n  -d '${exampleSpecJson('example.com')}' \\\n  ${escapeHtml(hub)}/v1/measurements</pre>`,
  ].join('\n');
}
