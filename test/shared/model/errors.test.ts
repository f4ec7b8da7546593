/**
 * The error family of shared/model/errors.ts, table-driven: every class's code, name, message,
 * fields and `cause`, and every ErrorCode documented in docs/api.md's error-code table.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ConfigError,
  describeError,
  ErrorCode,
  GrammarError,
  HttpError,
  HubCancelledError,
  HubError,
  HubRefusedError,
  HubUnreachableError,
  MeshprobeError,
  StateWriteError,
} from '../../../shared/model/errors.ts';

const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const odd = new Error('odd');
const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

interface Row {
  make: () => MeshprobeError;
  name: string;
  code: ErrorCode;
  message: string;
  fields?: Record<string, unknown>;
  cause?: unknown;
  /** The classes it must be an instance of besides MeshprobeError and Error. */
  is?: (abstract new (...args: never[]) => unknown)[];
}

const rows: Row[] = [
  {
    make: () => new MeshprobeError(ErrorCode.ResolveFailed, 'cannot resolve x.test: NXDOMAIN'),
    name: 'MeshprobeError', code: ErrorCode.ResolveFailed, message: 'cannot resolve x.test: NXDOMAIN',
  },
  {
    make: () => new MeshprobeError(ErrorCode.NoPermission, 'cannot open an ICMP socket', { cause }),
    name: 'MeshprobeError', code: ErrorCode.NoPermission, message: 'cannot open an ICMP socket', cause,
  },
  {
    make: () => new HttpError(429, ErrorCode.RateLimited, 'too many requests', { 'retry-after': '2' }),
    name: 'HttpError', code: ErrorCode.RateLimited, message: 'too many requests',
    fields: { status: 429, headers: { 'retry-after': '2' } },
  },
  {
    make: () => new HttpError(400, ErrorCode.BadRequest, 'bad'),
    name: 'HttpError', code: ErrorCode.BadRequest, message: 'bad', fields: { status: 400, headers: {} },
  },
  {
    make: () => new HubRefusedError(ErrorCode.BadRequest, "ping: missing target", { status: 400, detail: 'usage: ping TARGET' }),
    name: 'HubRefusedError', code: ErrorCode.BadRequest, message: 'ping: missing target',
    fields: { status: 400, detail: 'usage: ping TARGET' }, is: [HubError],
  },
  {
    make: () => new HubRefusedError(ErrorCode.Forbidden, 'the token lacks the measure scope', { status: 403 }),
    name: 'HubRefusedError', code: ErrorCode.Forbidden, message: 'the token lacks the measure scope',
    fields: { status: 403, detail: undefined }, is: [HubError],
  },
  {
    make: () => new HubUnreachableError('cannot reach the hub at http://127.0.0.1:1: connect ECONNREFUSED', { status: 0, cause }),
    name: 'HubUnreachableError', code: ErrorCode.HubUnreachable, message: 'cannot reach the hub at http://127.0.0.1:1: connect ECONNREFUSED',
    fields: { status: 0, detail: undefined }, cause, is: [HubError],
  },
  {
    make: () => new HubUnreachableError('the hub closed the stream before it was done', { status: 200 }),
    name: 'HubUnreachableError', code: ErrorCode.HubUnreachable, message: 'the hub closed the stream before it was done',
    fields: { status: 200 }, is: [HubError],
  },
  {
    make: () => new HubCancelledError(cause),
    name: 'HubCancelledError', code: ErrorCode.Cancelled, message: 'cancelled', fields: { status: 0, detail: undefined }, cause, is: [HubError],
  },
  {
    make: () => new GrammarError('ping: missing target'),
    name: 'GrammarError', code: ErrorCode.BadRequest, message: 'ping: missing target',
  },
  {
    make: () => new ConfigError('MESHPROBE_IP_RATE', 'MESHPROBE_IP_RATE must be a number ≥ 0 (0 = off), not fast'),
    name: 'ConfigError', code: ErrorCode.BadRequest, message: 'MESHPROBE_IP_RATE must be a number ≥ 0 (0 = off), not fast',
    fields: { variable: 'MESHPROBE_IP_RATE' },
  },
  {
    make: () => new StateWriteError('the revocation', enospc),
    name: 'StateWriteError', code: ErrorCode.Internal,
    message: 'cannot record the revocation: no space left on the device (ENOSPC); nothing was changed, retry once the data directory is writable',
    fields: { errno: 'ENOSPC', reason: 'no space left on the device (ENOSPC)' }, cause: enospc,
  },
  {
    make: () => new StateWriteError('the admin token', odd),
    name: 'StateWriteError', code: ErrorCode.Internal,
    message: 'cannot record the admin token: the write failed; nothing was changed, retry once the data directory is writable',
    fields: { errno: undefined, reason: 'the write failed' }, cause: odd,
  },
];

for (const row of rows) {
  test(`${row.name} (${row.code}): code, name, message, fields, cause`, () => {
    const err = row.make();
    assert.ok(err instanceof Error);
    assert.ok(err instanceof MeshprobeError);
    for (const cls of row.is ?? []) assert.ok(err instanceof cls, `${row.name} is a ${cls.name}`);
    assert.equal(err.name, row.name);
    assert.equal(err.code, row.code);
    assert.equal(err.message, row.message);
    assert.equal(err.cause, row.cause);
    for (const [k, v] of Object.entries(row.fields ?? {})) assert.deepEqual((err as unknown as Record<string, unknown>)[k], v, `${row.name}.${k}`);
    // One line, safe to show: describeError passes code and message through.
    assert.deepEqual(describeError(err), { code: row.code, message: row.message });
    assert.doesNotMatch(err.message, /\n/);
  });
}

test('the two kinds of hub failure are told apart by class, not by status', () => {
  const refused = new HubRefusedError(ErrorCode.HubUnreachable, 'cannot take one more agent', { status: 503 });
  const unreachable = new HubUnreachableError('the hub answered with something that is not JSON', { status: 200 });
  assert.ok(!(refused instanceof HubUnreachableError));
  assert.ok(!(unreachable instanceof HubRefusedError));
});

test('every class of the family appears in the table above', async () => {
  const mod = await import('../../../shared/model/errors.ts');
  const classes = Object.entries(mod).filter(([, v]) => typeof v === 'function' && (v === MeshprobeError || (v as { prototype: unknown }).prototype instanceof MeshprobeError));
  const tested = new Set(rows.map((r) => r.name).concat('HubError'));
  for (const [name] of classes) assert.ok(tested.has(name), `${name} has a row in the table`);
});

test('every ErrorCode is documented in docs/api.md, and every documented code exists', () => {
  const api = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
  const section = api.slice(api.indexOf('### Error codes'));
  assert.ok(section.length > 0 && api.includes('### Error codes'), 'docs/api.md has an "### Error codes" section');
  const documented = new Set([...section.matchAll(/^\| `(MP_ERR_[A-Z0-9_]+)` \| [^|]*\S[^|]* \|$/gm)].map((m) => m[1]!));
  const codes = new Set<string>(Object.values(ErrorCode));
  for (const code of codes) assert.ok(documented.has(code), `${code} has a row in docs/api.md's error-code table`);
  for (const code of documented) assert.ok(codes.has(code), `${code} in docs/api.md is an ErrorCode`);
  // Codes are stable identifiers of the wire format.
  for (const code of codes) assert.match(code, /^MP_ERR_[A-Z0-9_]{1,40}$/);
});
