/**
 * The retransmission timeout of RFC 6298 §2 as tcp_ping_prometheus adapts its probe timeout:
 * SRTT and RTTVAR from each round trip (α = 1/8, β = 1/4), RTO = SRTT + 4·RTTVAR clamped to
 * [min, max], doubled on a timeout (§5.5). Pure.
 */
export class RtoEstimator {
  srttMs: number | undefined;
  rttvarMs: number | undefined;
  #rto: number;
  readonly #min: number;
  readonly #max: number;

  /** `initialMs`: the timeout before the first sample (the original's base timeout, 1 s). */
  constructor(initialMs: number, minMs: number, maxMs: number) {
    this.#min = minMs;
    this.#max = maxMs;
    this.#rto = initialMs;
  }

  /** The timeout to use now, clamped. */
  get rtoMs(): number {
    return Math.min(this.#max, Math.max(this.#min, this.#rto));
  }

  /** One round-trip sample. */
  sample(rttMs: number): void {
    if (this.srttMs === undefined || this.rttvarMs === undefined) {
      this.srttMs = rttMs;
      this.rttvarMs = rttMs / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - rttMs);
      this.srttMs = 0.875 * this.srttMs + 0.125 * rttMs;
    }
    this.#rto = this.srttMs + 4 * this.rttvarMs;
  }

  /** A timeout: back off (the clamp keeps it at most max, so it recovers after one sample). */
  backoff(): void {
    this.#rto = Math.min(this.rtoMs * 2, this.#max);
  }
}
