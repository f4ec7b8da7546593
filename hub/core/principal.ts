/**
 * Who a request acts for and how the hub refuses it, in terms free of any transport: the HTTP
 * layer (hub/http/route.ts) and a hub behind another transport both use them as they are.
 */
import type { ErrorCode } from '../../shared/model/errors.ts';

/** Who a request acts for, as established by `authorize`. */
export interface Principal {
  /** e.g. `anonymous`, `admin`, `telegram:42`, `agent:lax1`. */
  subject: string;
  /** e.g. `['measure']`, `['admin']`. */
  scopes: string[];
  /** The service that acts for `subject` (X-Meshprobe-On-Behalf-Of), e.g. `service:telegram`. */
  via?: string;
}

/** A refusal: the hub answers `status` with `{"error":{code,message}}` and `headers`. */
export interface Refusal {
  status: number;
  code: ErrorCode;
  /** One line, safe to show to users. */
  message: string;
  /** e.g. `WWW-Authenticate: Bearer` for 401, `Retry-After` for 429. */
  headers?: Record<string, string>;
}

/** Whether an authorize/admit answer is a refusal. */
export function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && typeof (x as Refusal).status === 'number';
}
