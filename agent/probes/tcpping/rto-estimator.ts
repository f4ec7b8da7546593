/**
 * The retransmission timeout of RFC 6298 §2 as tcp_ping_prometheus adapts its probe timeout:
 * SRTT and RTTVAR from each round trip (α = 1/8, β = 1/4), RTO = SRTT + 4·RTTVAR clamped to
 * [min, max], doubled on a timeout (§5.5). Pure.
 */
export class RtoEstimator {
  // NaN for "no sample yet": fields that only ever hold numbers are updated in place by V8, where
  // one that once held undefined boxes every new value (an allocation per reply).
  #srtt = Number.NaN;
  #rttvar = Number.NaN;
  #rto: number;
  readonly #min: number;
  readonly #max: number;

  /** `initialMs`: the timeout before the first sample (the original's base timeout, 1 s). */
  constructor(initialMs: number, minMs: number, maxMs: number) {
    this.#min = minMs;
    this.#max = maxMs;
    this.#rto = initialMs;
  }

  /** SRTT (ms); undefined before the first sample. */
  get srttMs(): number | undefined {
    return Number.isNaN(this.#srtt) ? undefined : this.#srtt;
  }

  /** RTTVAR (ms); undefined before the first sample. */
  get rttvarMs(): number | undefined {
    return Number.isNaN(this.#rttvar) ? undefined : this.#rttvar;
  }

  /** The timeout to use now, clamped. */
  get rtoMs(): number {
    return Math.min(this.#max, Math.max(this.#min, this.#rto));
  }

  /** One round-trip sample. */
  sample(rttMs: number): void {
    if (Number.isNaN(this.#srtt)) {
      this.#srtt = rttMs;
      this.#rttvar = rttMs / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rttMs);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rttMs;
    }
    this.#rto = this.#srtt + 4 * this.#rttvar;
  }

  /** A timeout: back off (the clamp keeps it at most max, so it recovers after one sample). */
  backoff(): void {
    this.#rto = Math.min(this.rtoMs * 2, this.#max);
  }
}
