/**
 * What the hub offers about monitors to its transports (REST routes, /v1/cli, a future
 * transport), in transport-free terms. hub/core/monitor-service.ts implements it over a
 * MonitorStore and the AgentDirectory. Every method checks the principal's scopes and
 * ownership (admin sees every monitor; others their own), and fails with a MeshprobeError
 * whose code says what the transport answers: MP_ERR_BAD_REQUEST 400, MP_ERR_UNAUTHORIZED 401,
 * MP_ERR_FORBIDDEN/MP_ERR_POLICY 403, MP_ERR_NOT_FOUND 404, MP_ERR_LIMIT 429 (the message
 * names the cap), MP_ERR_STORE 503.
 */
import type { MonitorCreateRequest, MonitorDetail, MonitorSamplesResponse, MonitorView } from '../../shared/model/monitor-types.ts';
import type { Principal } from './principal.ts';

/** PATCH /v1/monitors/{id}: every field optional. */
export type MonitorUpdateRequest = Partial<Omit<MonitorCreateRequest, 'target' | 'type'>>;

export interface MonitorApi {
  create(who: Principal, request: MonitorCreateRequest): MonitorView;
  /** The caller's monitors (every monitor for admin), with statistics. */
  list(who: Principal): MonitorView[];
  /** `ref` is an id or a name of the caller's; `rangeMs` defaults to 24 h. */
  show(who: Principal, ref: string, rangeMs?: number): MonitorDetail;
  update(who: Principal, ref: string, patch: MonitorUpdateRequest): MonitorView;
  remove(who: Principal, ref: string): { id: number; name: string };
  samples(who: Principal, ref: string, q: { agent?: string; from?: number; to?: number; stepMs?: number }): MonitorSamplesResponse;
}
