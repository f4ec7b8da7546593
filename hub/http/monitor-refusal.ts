/**
 * How a MonitorApi failure (hub/core/monitor-api.ts) is answered over HTTP: the one status table
 * the monitor routes, the heatmap route and `/v1/cli`'s monitor commands share.
 */
import { describeError, ErrorCode, HttpError, MeshprobeError } from '../../shared/model/errors.ts';

/** The status each code of a MonitorApi failure answers. */
const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.PolicyRefused]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.LimitReached]: 429,
  [ErrorCode.Store]: 503,
};

/** `err` as the hub's HTTP error when it is a MonitorApi refusal; anything else is returned as it is. */
export function monitorRefusal(err: unknown): unknown {
  if (err instanceof HttpError || !(err instanceof MeshprobeError)) return err;
  const { code, message } = describeError(err);
  const status = STATUS[code] ?? 500;
  return new HttpError(status, code, message, status === 401 ? { 'www-authenticate': 'Bearer realm="meshprobe"' } : {});
}
