/**
 * The policy seam, transport-free: sees every validated spec before it runs, may clamp it (return
 * a new spec) or refuse it. `Request` is whatever the transport hands along (the HTTP layer passes
 * its IncomingMessage, hub/http/route.ts); the hub's own policy (policy-admit.ts) never reads it.
 */
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import type { Principal, Refusal } from './principal.ts';

/** Decides whether (and how clamped) `spec` runs for `context.principal`. */
export type Admit<Request = unknown> = (spec: MeasurementSpec, context: { principal: Principal; req: Request }) => Promise<MeasurementSpec | Refusal>;
