/**
 * Pushes the monitors' metrics to a Prometheus Pushgateway (issue 14 item 5; design §12), for
 * sites where Prometheus cannot scrape the hub, as latency-monitor's Pushgateway backend does:
 * every interval, the exposition text (format 0.0.4) by HTTP PUT to
 * `<url>/metrics/job/<job>/instance/<instance>`, which replaces that group's metrics, so a monitor
 * removed here goes from the gateway at the next push. A label value with a `/` (or empty) goes
 * base64url-encoded (`job@base64/…`), as the Pushgateway's API asks.
 *
 * A push that fails (the gateway down, a 4xx/5xx) is logged once until pushes work again, and
 * the next interval tries again with fresh figures: the counters are cumulative, so nothing is
 * lost but resolution. One push is in flight at a time; each is bounded by a timeout.
 */

/** Options of {@link PushgatewayPusher}. */
export interface PushgatewayOptions {
  /** The Pushgateway's base URL (`http://pushgateway:9091`; MESHPROBE_PUSHGATEWAY_URL). */
  url: string;
  /** The `job` label of the group. Default `meshprobe`. */
  job?: string;
  /** The `instance` label of the group. Default none (the group is the job alone). */
  instance?: string;
  /** Time between pushes (ms). Default 15,000, as a typical scrape interval. */
  intervalMs?: number;
  /** How long one push may take (ms). Default min(interval, 10,000). */
  timeoutMs?: number;
  /** The exposition text to push. */
  produce: () => string;
  log?: (line: string) => void;
}

/** A grouping key segment: `name/value`, or `name@base64/…` when the value cannot go plain. */
function segment(name: string, value: string): string {
  if (value === '' || value.includes('/')) return `${name}@base64/${Buffer.from(value, 'utf8').toString('base64url') || '='}`;
  return `${name}/${encodeURIComponent(value)}`;
}

/** The URL a group is pushed to. */
export function pushgatewayGroupUrl(base: string, job: string, instance?: string): string {
  const root = base.replace(/\/+$/, '');
  return `${root}/metrics/${segment('job', job)}${instance !== undefined ? `/${segment('instance', instance)}` : ''}`;
}

export class PushgatewayPusher {
  readonly url: string;
  readonly #o: PushgatewayOptions;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #inFlight: Promise<void> | undefined;
  #failing = false;
  /** Pushes that the gateway accepted, and those that failed. */
  pushed = 0;
  failed = 0;

  constructor(o: PushgatewayOptions) {
    let base: URL;
    try {
      base = new URL(o.url);
    } catch {
      throw new Error(`the Pushgateway URL must be an http(s) URL, not '${o.url}'`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`the Pushgateway URL must be an http(s) URL, not '${o.url}'`);
    this.#o = o;
    this.#intervalMs = o.intervalMs ?? 15_000;
    if (!(this.#intervalMs >= 1000)) throw new Error(`the Pushgateway interval must be at least 1s, not ${this.#intervalMs}ms`);
    this.#timeoutMs = o.timeoutMs ?? Math.min(this.#intervalMs, 10_000);
    this.url = pushgatewayGroupUrl(o.url, o.job ?? 'meshprobe', o.instance);
  }

  /** Pushes now, then every interval. */
  start(): void {
    if (this.#timer) return;
    void this.push();
    this.#timer = setInterval(() => void this.push(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops pushing (a push in flight finishes). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  /** One push now (skipped while one is in flight); never rejects. */
  push(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    this.#inFlight = this.#push().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #push(): Promise<void> {
    const log = this.#o.log ?? (() => {});
    let why: string | undefined;
    try {
      const res = await fetch(this.url, {
        method: 'PUT',
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        body: this.#o.produce(),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = res.ok ? '' : (await res.text().catch(() => '')).trim().split('\n')[0]?.slice(0, 200);
      if (!res.ok) why = `HTTP ${res.status}${text ? `: ${text}` : ''}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const code = e.cause?.code;
      why = e.name === 'TimeoutError' ? `no answer within ${this.#timeoutMs / 1000} s` : code === 'UND_ERR_SOCKET' ? 'the gateway closed the connection' : (code ?? e.message);
    }
    if (why === undefined) {
      this.pushed++;
      if (this.#failing) log(`hub: pushing metrics to ${this.url} works again`);
      this.#failing = false;
      return;
    }
    this.failed++;
    if (!this.#failing) log(`hub: cannot push metrics to ${this.url}: ${why} (trying again every ${this.#intervalMs / 1000} s)`);
    this.#failing = true;
  }
}
