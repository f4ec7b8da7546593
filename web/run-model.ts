/**
 * One run of a command in the page: the events as they stream in, folded once with the shared
 * fold (shared/render/measurement-fold.ts), the shared text renderer's lines, and a grid per
 * sweep. Views subscribe and are told at most once per animation frame, however fast events
 * arrive (a /16 sweep sends 65,536 host events).
 */
import type { MeasurementEvent } from '../shared/model/events.ts';
import type { MeasurementSpec } from '../shared/model/spec.ts';
import { MeasurementFold } from '../shared/render/measurement-fold.ts';
import { SweepGrid } from '../shared/render/sweep-grid.ts';
import { TextRenderer } from '../shared/render/text-renderer.ts';
import { measurementType } from '../shared/registry.ts';

export class RunModel {
  readonly command: string;
  readonly spec: MeasurementSpec | undefined;
  readonly fold = new MeasurementFold();
  readonly text: TextRenderer;
  /** Text lines not yet drawn (the view takes them). */
  pendingText = '';
  /** Sweep grids by part key, and the host events each has not drawn yet. */
  readonly grids = new Map<string, { grid: SweepGrid; fresh: number[] }>();
  /** The id under which the hub keeps this run's finished stream (for a share link); none: not shareable. */
  streamId: string | undefined;
  done = false;
  failure: string | undefined;
  /** performance.now() when the run started and when its first event arrived. */
  readonly startedAt = performance.now();
  firstEventAt: number | undefined;
  readonly #listeners = new Set<() => void>();
  #scheduled = false;

  constructor(command: string, spec: MeasurementSpec | undefined) {
    this.command = command;
    this.spec = spec;
    const targets = spec?.targets.length ?? 1;
    const agents = spec?.from?.length ?? 1;
    this.text = new TextRenderer({ multiAgent: agents > 1, multiTarget: targets > 1 });
  }

  subscribe(f: () => void): () => void {
    this.#listeners.add(f);
    return () => this.#listeners.delete(f);
  }

  add(e: MeasurementEvent): void {
    this.firstEventAt ??= performance.now();
    const change = this.fold.add(e);
    if (!change) return;
    const ev = change.event;
    if (ev.type === 'start' && measurementType(ev.measurement)?.targets === 'prefix' && change.part && !this.grids.has(change.part.key)) {
      try {
        this.grids.set(change.part.key, { grid: new SweepGrid(ev.address), fresh: [] });
      } catch {
        // a prefix too large for a grid: the text says what was found
      }
    }
    if (ev.type === 'host' && change.part) {
      const g = this.grids.get(change.part.key);
      // The address is parsed once: index, then set by index.
      const i = g ? g.grid.indexOf(ev.address) : -1;
      if (g && i >= 0 && g.grid.set(i, ev.rttMs === null ? 'silent' : 'reachable', ev.rttMs ?? undefined)) g.fresh.push(i);
    }
    this.pendingText += this.text.push(ev);
    if (ev.type === 'done') this.done = true;
    this.#schedule();
  }

  /**
   * Feeds a stream to the run, giving the browser the main thread back every few milliseconds:
   * one network read can carry thousands of events (a /16 sweep sends 65,536), and folding them
   * in one go would be a long task that freezes the page.
   */
  async consume(events: AsyncIterable<MeasurementEvent>): Promise<void> {
    let slice = performance.now();
    for await (const e of events) {
      this.add(e);
      if (performance.now() - slice > 5) {
        await yieldToBrowser();
        slice = performance.now();
      }
    }
  }

  fail(message: string): void {
    this.failure = message;
    this.done = true;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      for (const f of this.#listeners) f();
    };
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(run);
    else setTimeout(run, 16);
  }
}

/** Lets the browser run input, rendering and timers before going on (a macrotask, not a microtask). */
function yieldToBrowser(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (s?.yield) return s.yield();
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}
