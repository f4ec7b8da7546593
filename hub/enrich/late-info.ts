/**
 * Late enrichment of one stream (issue 16: enrichment "never blocks the first line of output;
 * fill in as it arrives"). Events leave enriched with what the sources know at once; when a
 * slower source (an online provider) is still working on an address the stream just carried,
 * its answer follows as one `info` event for that address, as soon as it is in, and before
 * `done` (the stream waits for it a bounded time). At most once per address and at most
 * `maxAddresses` addresses per stream.
 */
import type { AddressInfo } from '../../shared/net/address-info.ts';
import type { InfoEvent, MeasurementEvent } from '../../shared/model/events.ts';
import { Enricher } from './enricher.ts';

/** Options of {@link LateInfo}. */
export interface LateInfoOptions {
  /** Addresses a stream follows up at most (later ones get what was known at once). Default 256. */
  maxAddresses?: number;
  /** How long one address is waited for, ms. Default 3000. */
  timeoutMs?: number;
}

/** What a stream needs of the enricher. */
export type LateEnricher = Pick<Enricher, 'enrich' | 'later'>;

/** One stream's late enrichment. */
export class LateInfo {
  readonly #enricher: LateEnricher;
  readonly #emit: (e: InfoEvent) => void;
  readonly #max: number;
  readonly #timeoutMs: number;
  /** Address → what the stream carried for it (JSON), for every address followed or seen. */
  readonly #sent = new Map<string, string>();
  readonly #waits = new Set<Promise<void>>();
  #closed = false;

  constructor(enricher: LateEnricher, emit: (e: InfoEvent) => void, o: LateInfoOptions = {}) {
    this.#enricher = enricher;
    this.#emit = emit;
    this.#max = Math.max(0, o.maxAddresses ?? 256);
    this.#timeoutMs = Math.max(0, o.timeoutMs ?? 3000);
  }

  /** `e` enriched; an address a slow source is working on is followed up. */
  enrich(raw: MeasurementEvent): MeasurementEvent {
    const e = this.#enricher.enrich(raw);
    if (this.#closed) return e;
    for (const address of Enricher.addressesOf(e)) {
      if (this.#sent.has(address) || this.#sent.size >= this.#max) continue;
      this.#sent.set(address, JSON.stringify(infoOf(e, address) ?? null));
      const later = this.#enricher.later(address, this.#timeoutMs);
      if (!later) continue;
      const wait = later.then(
        (info) => {
          if (this.#closed || !info || JSON.stringify(info) === this.#sent.get(address)) return;
          this.#sent.set(address, JSON.stringify(info));
          this.#emit({ type: 'info', address, info });
        },
        () => {},
      );
      this.#waits.add(wait);
      void wait.finally(() => this.#waits.delete(wait));
    }
    return e;
  }

  /** Whether answers are still awaited. */
  get pending(): boolean {
    return this.#waits.size > 0;
  }

  /** Resolves once every awaited answer is in (or timed out), or when `signal` aborts. */
  async drain(signal?: AbortSignal): Promise<void> {
    while (this.#waits.size > 0 && !signal?.aborted) {
      const aborted = signal ? new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true })) : undefined;
      await Promise.race([Promise.all(this.#waits), ...(aborted ? [aborted] : [])]);
    }
  }

  /** No more `info` events: the stream ended. */
  close(): void {
    this.#closed = true;
  }
}

function infoOf(e: MeasurementEvent, address: string): AddressInfo | undefined {
  if (e.type === 'start') return e.info;
  if (e.type === 'hop') return e.responders.find((r) => r.address === address)?.info;
  return undefined;
}
