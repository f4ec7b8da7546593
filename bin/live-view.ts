/**
 * The CLI's live table for types drawn whole from the fold (a type's renderers' `live` view;
 * issue 16): on a terminal the table is redrawn in place as rounds come in (ANSI cursor movement,
 * at most every 200 ms), as the classic tool's own display does; at the end it gives way to the
 * text renderer's closing block (the report). When stdout is not a terminal, or the run has
 * several parts, the text renderer's lines pass through unchanged. Late enrichment (`info`
 * events) is drawn in at the next redraw.
 */
import type { MeasurementEvent } from '../shared/model/events.ts';
import { MeasurementFold } from '../shared/render/measurement-fold.ts';
import { renderersByType, typeOfPart } from '../shared/render/renderers-by-type.ts';
import type { MeasurementType } from '../shared/registry.ts';

export interface LiveViewOptions {
  /** stdout is a terminal: redraw live. */
  tty: boolean;
  /** Terminal width: the view is drawn for it (the phone table below 80 columns). Default 80. */
  columns?: number;
  /** Minimum ms between redraws. Default 200. */
  intervalMs?: number;
  /** Clock, for tests. Default performance.now. */
  now?: () => number;
}

/** Whether runs of `type` have a live view to redraw. */
export function hasLiveView(type: MeasurementType): boolean {
  return renderersByType[type].live !== undefined;
}

/** Turns one part's events into frames drawn over each other; call {@link render} with every event and the renderer's text for it. */
export class LiveView {
  readonly #o: Required<LiveViewOptions>;
  readonly #fold = new MeasurementFold({ maxLines: 0 });
  /** Lines of the frame on screen (0: none). */
  #drawn = 0;
  #lastDraw = -Infinity;
  #ended = false;

  constructor(o: LiveViewOptions) {
    this.#o = { tty: o.tty, columns: o.columns ?? 80, intervalMs: o.intervalMs ?? 200, now: o.now ?? (() => performance.now()) };
  }

  /** The output for one event: `text` (the text renderer's lines), or a frame instead of it. */
  render(e: MeasurementEvent, text: string): string {
    if (!this.#o.tty || this.#ended) return text;
    this.#fold.add(e);
    if (this.#fold.size > 1) return this.#end(text);
    const part = [...this.#fold.parts][0];
    if (!part) return text;
    switch (e.type) {
      case 'start':
        return text + this.#frame();
      case 'hop':
      case 'info': {
        // The renderer's first-seen hop lines are what the frame shows better.
        const now = this.#o.now();
        if (now - this.#lastDraw < this.#o.intervalMs) return '';
        this.#lastDraw = now;
        return this.#frame();
      }
      case 'summary':
      case 'error':
      case 'done':
        return this.#end(text);
      default:
        return text;
    }
  }

  /** The frame drawn over the previous one. */
  #frame(): string {
    const part = [...this.#fold.parts][0]!;
    const lines = renderersByType[typeOfPart(part)].live?.(part, { columns: this.#o.columns, head: false }) ?? [];
    // \x1b[nF: to the first line of the frame on screen; \x1b[K clears what a longer line left.
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : '';
    this.#drawn = lines.length;
    return up + lines.map((l) => `${l}\x1b[K\n`).join('');
  }

  /** The frame erased (to the end of the screen), then `text`: the closing block takes its place. */
  #end(text: string): string {
    this.#ended = true;
    const erase = this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : '';
    this.#drawn = 0;
    return erase + text;
  }
}
