/**
 * Stable error codes. Every failure a user can see carries one of these, so front-ends,
 * tests and logs can match on the code rather than on the wording.
 */
export const ErrorCode = {
  /** The command line or request body did not parse or validate. */
  BadRequest: 'MP_ERR_BAD_REQUEST',
  /** A target name did not resolve (NXDOMAIN, no address of the wanted family). */
  ResolveFailed: 'MP_ERR_RESOLVE',
  /** A target is refused by the deployment's policy (public mode, agent ranges). */
  PolicyRefused: 'MP_ERR_POLICY',
  /** The agent could not open the socket it needs (no CAP_NET_RAW, no ping_group_range). */
  NoPermission: 'MP_ERR_PERMISSION',
  /** No agent matches the `from` selectors. */
  NoAgent: 'MP_ERR_NO_AGENT',
  /** The agent went away while measuring. */
  AgentLost: 'MP_ERR_AGENT_LOST',
  /** The agent sent a frame or event that broke the protocol or its schema; that part was ended. */
  AgentProtocol: 'MP_ERR_AGENT_PROTOCOL',
  /** Missing, invalid or expired credentials. */
  Unauthorized: 'MP_ERR_UNAUTHORIZED',
  /** Valid credentials without the needed scope. */
  Forbidden: 'MP_ERR_FORBIDDEN',
  /** A rate or budget limit was hit. */
  RateLimited: 'MP_ERR_RATE_LIMITED',
  /** The hub could not be reached or answered with something unexpected. */
  HubUnreachable: 'MP_ERR_HUB',
  /** The measurement was cancelled (client went away, user pressed cancel). */
  Cancelled: 'MP_ERR_CANCELLED',
  /** No such monitor (or other named resource) visible to the caller. */
  NotFound: 'MP_ERR_NOT_FOUND',
  /** A cap was reached (monitors per subject, probes/s per agent, buffer sizes); the message names it. */
  LimitReached: 'MP_ERR_LIMIT',
  /** The hub's store (SQLite) cannot be read or written: corrupt, read-only, disk full. */
  Store: 'MP_ERR_STORE',
  /** Anything else: a bug or an OS error we did not expect. */
  Internal: 'MP_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error with a stable code and a one-line message that is safe to show to a user. */
export class MeshprobeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MeshprobeError';
    this.code = code;
  }
}

/**
 * An HTTP answer the hub gives instead of doing what was asked: the status, the headers to send
 * with it (`Retry-After`, `WWW-Authenticate`, `Allow` …) and a one-line reason. The hub's HTTP
 * layer throws it and turns it into `{"error":{"code","message"}}`.
 */
export class HttpError extends MeshprobeError {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

/**
 * A call to a hub that did not succeed, as a hub client sees it. `status` is the HTTP status
 * (0 when there was no answer); `detail` holds extra lines such as a command's usage. The
 * concrete kinds say why: {@link HubRefusedError}, {@link HubUnreachableError},
 * {@link HubCancelledError}.
 */
export class HubError extends MeshprobeError {
  readonly status: number;
  readonly detail: string | undefined;
  constructor(code: ErrorCode, message: string, options: { status: number; detail?: string; cause?: unknown }) {
    super(code, message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'HubError';
    this.status = options.status;
    this.detail = options.detail;
  }
}

/**
 * The hub answered and said no (a non-2xx status): `code` and `message` are the hub's own, so a
 * front-end can show them as they are. The caller's request was at fault or not allowed (4xx),
 * or the hub could not serve it (5xx).
 */
export class HubRefusedError extends HubError {
  constructor(code: ErrorCode, message: string, options: { status: number; detail?: string }) {
    super(code, message, options);
    this.name = 'HubRefusedError';
  }
}

/**
 * The hub could not be reached, or answered with something that is not meshprobe's protocol
 * (no body, not JSON, a stream that broke before `done`). Always {@link ErrorCode.HubUnreachable};
 * `status` is 0 when no answer came, else the status of the answer that went wrong; `cause` is
 * the network or parser error.
 */
export class HubUnreachableError extends HubError {
  constructor(message: string, options: { status: number; cause?: unknown }) {
    super(ErrorCode.HubUnreachable, message, options);
    this.name = 'HubUnreachableError';
  }
}

/** The caller aborted the call (its signal fired): {@link ErrorCode.Cancelled}, `status` 0. */
export class HubCancelledError extends HubError {
  constructor(cause?: unknown) {
    super(ErrorCode.Cancelled, 'cancelled', { status: 0, ...(cause !== undefined ? { cause } : {}) });
    this.name = 'HubCancelledError';
  }
}

/**
 * A command line that the shared grammar cannot read ({@link ErrorCode.BadRequest}); the parser
 * turns it into its `ok: false` answer with the command's usage.
 */
export class GrammarError extends MeshprobeError {
  constructor(message: string) {
    super(ErrorCode.BadRequest, message);
    this.name = 'GrammarError';
  }
}

/**
 * An environment variable has a value its process cannot use ({@link ErrorCode.BadRequest}):
 * the message is one line naming the variable and what was expected; `variable` is its name.
 */
export class ConfigError extends MeshprobeError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(ErrorCode.BadRequest, message);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** The OS reasons a state write fails for, in words (the errno follows in brackets). */
const WRITE_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOENT: 'the directory is missing',
};

/**
 * A state file of the hub could not be written ({@link ErrorCode.Internal}). `what` says what was
 * being recorded ("the revocation"); the message is one line without the file's path (it may be
 * shown to remote admins); `cause` is the OS error.
 */
export class StateWriteError extends MeshprobeError {
  /** The OS error's code (`ENOSPC` …), when it had one. */
  readonly errno: string | undefined;
  /** The OS reason in words with its errno, e.g. `no space left on the device (ENOSPC)`. */
  readonly reason: string;
  constructor(what: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null | undefined)?.code;
    const errno = typeof code === 'string' ? code : undefined;
    const reason = `${(errno && WRITE_REASONS[errno]) ?? 'the write failed'}${errno ? ` (${errno})` : ''}`;
    super(ErrorCode.Internal, `cannot record ${what}: ${reason}; nothing was changed, retry once the data directory is writable`, { cause });
    this.name = 'StateWriteError';
    this.errno = errno;
    this.reason = reason;
  }
}

/** Turns anything thrown into a code and a one-line message (never a stack trace). */
export function describeError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof MeshprobeError) return { code: err.code, message: oneLine(err.message) };
  if (err instanceof Error) return { code: ErrorCode.Internal, message: oneLine(err.message) };
  return { code: ErrorCode.Internal, message: oneLine(String(err)) };
}

function oneLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
