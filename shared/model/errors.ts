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

/** Turns anything thrown into a code and a one-line message (never a stack trace). */
export function describeError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof MeshprobeError) return { code: err.code, message: oneLine(err.message) };
  if (err instanceof Error) return { code: ErrorCode.Internal, message: oneLine(err.message) };
  return { code: ErrorCode.Internal, message: oneLine(String(err)) };
}

function oneLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
