/**
 * `meshprobe token create --sub SUB --scope "measure read" --ttl 30d` (default lifetime: one day,
 * DEFAULT_TTL_S) and
 * `meshprobe token revoke JTI`. Through a hub when one is configured (--hub / MESHPROBE_HUB with
 * an admin token in --token / MESHPROBE_TOKEN), otherwise signing directly with the key in the
 * hub's data directory (--data-dir / MESHPROBE_DATA_DIR, default ./.data) — the way to make the
 * first agent token on the hub's own machine.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { describeError } from '../shared/model/errors.ts';
import { HubClient } from '../shared/wire/hub-client.ts';
import { parseScopes } from '../hub/auth/scopes.ts';
import { TokenService } from '../hub/auth/token-service.ts';
import { cliSettings, readSettings, type Settings } from '../shared/config/settings.ts';
import { parseTtl } from '../hub/auth/ttl.ts';

export const TOKEN_USAGE =
  'usage: meshprobe token create --sub SUBJECT [--scope "measure read"] [--ttl DURATION] [--json]\n' +
  '  --ttl: seconds or 90m, 12h, 30d (default 1d, at most 366d); an agent token (--scope agent)\n' +
  '  is renewed by the hub while its agent is connected, so its ttl only bounds time offline\n' +
  '       meshprobe token revoke JTI\n' +
  '  through a hub with --hub URL --token ADMIN_TOKEN (or MESHPROBE_HUB, MESHPROBE_TOKEN);\n' +
  '  without a hub, signs with the key in --data-dir (MESHPROBE_DATA_DIR, default ./.data)';

export interface TokenCommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  fetch?: typeof fetch;
}

/** Runs `token create|revoke`; `argv` starts after `token`. Resolves with the exit status. */
export async function runTokenCommand(
  argv: string[],
  o: { hub?: string; token?: string; env: Record<string, string | undefined> },
  io: TokenCommandIo,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        sub: { type: 'string' },
        scope: { type: 'string' },
        ttl: { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.stderr(`meshprobe token: ${describeError(err).message}\n${TOKEN_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(TOKEN_USAGE + '\n');
    return 0;
  }
  const fail = (message: string, code = 2): number => {
    io.stderr(`meshprobe token: ${message}\n${code === 2 ? TOKEN_USAGE + '\n' : ''}`);
    return code;
  };
  const [action, ...rest] = positionals;
  let settings: Settings<typeof cliSettings>;
  try {
    // The environment is read here, once, through the schema (shared/config/settings.ts).
    settings = readSettings(cliSettings, o.env);
  } catch (err) {
    return fail(describeError(err).message);
  }
  const hub = o.hub ?? settings.MESHPROBE_HUB;
  const adminToken = o.token ?? settings.MESHPROBE_TOKEN;
  // Without a hub: the key and revocation list in the hub's data directory.
  const openLocal = () => TokenService.open(resolve(values['data-dir'] ?? settings.MESHPROBE_DATA_DIR ?? '.data'), {
      ...(settings.MESHPROBE_TOKEN_ISSUER ? { issuer: settings.MESHPROBE_TOKEN_ISSUER } : {}),
      ...(settings.MESHPROBE_TOKEN_AUDIENCE ? { audience: settings.MESHPROBE_TOKEN_AUDIENCE } : {}),
    });
  const client = (token: string) => new HubClient({ url: hub!, token, ...(io.fetch ? { fetch: io.fetch } : {}) });

  if (action === 'create') {
    if (rest.length) return fail(`unexpected ${rest.join(' ')}`);
    if (!values.sub) return fail('give the subject with --sub, e.g. --sub agent:lax1 or --sub telegram:12345');
    const scopes = parseScopes(values.scope ?? 'measure');
    const ttlS = values.ttl === undefined ? undefined : parseTtl(values.ttl);
    if (values.ttl !== undefined && ttlS === undefined) return fail(`--ttl ${values.ttl} is not a duration (e.g. 3600, 90m, 12h, 30d)`);
    let issued: { token: string; jti: string; expiresAt: string };
    if (hub) {
      if (!adminToken) return fail('creating a token through a hub needs an admin token: --token or MESHPROBE_TOKEN');
      try {
        issued = await client(adminToken).createToken({ sub: values.sub, scope: scopes.join(' '), ...(ttlS !== undefined ? { ttl: ttlS } : {}) });
      } catch (err) {
        return fail(describeError(err).message, 1);
      }
    } else {
      try {
        issued = await (await openLocal()).issue({ sub: values.sub, scopes, ...(ttlS !== undefined ? { ttlS } : {}) });
      } catch (err) {
        return fail(describeError(err).message, 1);
      }
    }
    io.stdout(values.json ? JSON.stringify({ token: issued.token, jti: issued.jti, expiresAt: issued.expiresAt }) + '\n' : issued.token + '\n');
    if (!values.json) io.stderr(`meshprobe token: ${values.sub} (${scopes.join(' ')}), jti ${issued.jti}, expires ${issued.expiresAt}\n`);
    return 0;
  }
  if (action === 'revoke') {
    const [jti, ...more] = rest;
    if (!jti || more.length) return fail('give exactly one token id (jti) to revoke');
    if (hub) {
      if (!adminToken) return fail('revoking through a hub needs an admin token: --token or MESHPROBE_TOKEN');
      try {
        await client(adminToken).revokeToken(jti);
      } catch (err) {
        return fail(describeError(err).message, 1);
      }
    } else {
      try {
        await (await openLocal()).revoke(jti);
      } catch (err) {
        return fail(describeError(err).message, 1);
      }
      io.stderr('meshprobe token: revoked in the data directory; a hub running on it refuses the token from its next request on\n');
    }
    io.stdout(`revoked ${jti}\n`);
    return 0;
  }
  return fail(action ? `unknown action ${action}` : 'give an action: create or revoke');
}
