/**
 * The CLI's live sweep bitmap: one cell per address of the prefix (shared/render/sweep-grid.ts), filled
 * in as `host` events arrive. On a terminal the frame is redrawn in place (ANSI cursor movement,
 * at most every 100 ms, always once more at the end); when stdout is not a terminal only the
 * final frame is printed. Sits between the text renderer's header and its summary.
 */
import { SweepGrid } from '../shared/render/sweep-grid.ts';
import type { MeasurementEvent } from '../shared/model/events.ts';

export interface SweepLiveViewOptions {
  /** stdout is a terminal: redraw live. */
  tty: boolean;
  /** Colour the cells with ANSI escapes (`--color`, NO_COLOR). Default: as `tty`. */
  colour?: boolean;
  /** Terminal width in characters (the bitmap never gets wider). Default 80 on a TTY, unlimited otherwise. */
  width?: number;
  /** Terminal height: a frame taller than this is drawn only at the end. Default 24 on a TTY. */
  height?: number;
  /** Minimum ms between live redraws. Default 100. */
  intervalMs?: number;
  /** Clock, for tests. Default performance.now. */
  now?: () => number;
}

interface Sweep {
  grid: SweepGrid;
  /** Drawn as one character per /24: the terminal cannot hold one cell per address. */
  blocks: boolean;
  /** Lines of the frame currently on screen (0 = not drawn yet). */
  drawn: number;
  lastDraw: number;
}

/** Turns a sweep's events into bitmap frames; call {@link render} with every event and the renderer's text for it. */
export class SweepLiveView {
  readonly #o: Required<Omit<SweepLiveViewOptions, 'width' | 'height' | 'colour'>> & { width: number; height: number; colour: boolean };
  readonly #sweeps = new Map<string, Sweep>();
  /** The sweep being drawn live: only one at a time can own the bottom of the screen. */
  #live: string | undefined;

  constructor(o: SweepLiveViewOptions) {
    this.#o = {
      tty: o.tty,
      colour: o.colour ?? o.tty,
      width: o.width ?? (o.tty ? 80 : Number.POSITIVE_INFINITY),
      height: o.height ?? (o.tty ? 24 : Number.POSITIVE_INFINITY),
      intervalMs: o.intervalMs ?? 100,
      now: o.now ?? (() => performance.now()),
    };
  }

  /** The output for one event: `text` (the text renderer's lines) with bitmap frames around it. */
  render(e: MeasurementEvent, text: string): string {
    // A start whose address is a prefix (the normalised one a sweep announces) gets a bitmap.
    if (e.type === 'start' && e.address.includes('/')) {
      const sized = this.#grid(e.address);
      if (!sized) return text;
      const { grid, blocks } = sized;
      const key = `${e.agent}\0${e.target}`;
      this.#sweeps.set(key, { grid, blocks, drawn: 0, lastDraw: -Infinity });
      if (!this.#o.tty || this.#live !== undefined || !this.#fits(grid, blocks)) return text;
      this.#live = key;
      return text + this.#frame(this.#sweeps.get(key)!);
    }
    if (e.type === 'host') {
      const key = `${e.agent}\0${e.target}`;
      const s = this.#sweeps.get(key);
      if (!s) return text;
      s.grid.add(e);
      if (key !== this.#live) return text;
      const now = this.#o.now();
      if (now - s.lastDraw < this.#o.intervalMs) return text;
      s.lastDraw = now;
      return text + this.#frame(s);
    }
    if (e.type === 'summary') {
      const key = `${e.agent}\0${e.target}`;
      const s = this.#sweeps.get(key);
      if (!s) return text;
      this.#sweeps.delete(key);
      if (key === this.#live) this.#live = undefined;
      // The final frame (in place on a terminal), then the counts and the live hosts.
      return this.#frame(s) + text;
    }
    return text;
  }

  /**
   * The grid sized to the terminal: one cell per address when its lines fit the width and the
   * height; else, for an IPv4 prefix shorter than /24, one character per /24 (a /16 in 17 lines
   * instead of 512); else the cells folded into fewer columns.
   */
  #grid(prefix: string): { grid: SweepGrid; blocks: boolean } | undefined {
    try {
      const first = new SweepGrid(prefix);
      if (first.columns <= this.#o.width && this.#fits(first)) return { grid: first, blocks: false };
      if (first.toBlockText() !== undefined && this.#o.width >= 24) return { grid: first, blocks: true };
      let columns = first.columns;
      while (columns > 1 && columns > this.#o.width) columns /= 2;
      return { grid: columns === first.columns ? first : new SweepGrid(first.prefix, { columns }), blocks: false };
    } catch {
      return undefined; // not a prefix we can draw: the text renderer still reports it
    }
  }

  #fits(grid: SweepGrid, blocks = false): boolean {
    const lines = blocks ? Math.ceil(grid.size / 256 / 16) + 2 : Math.ceil(grid.rows / 2);
    return lines + 1 < this.#o.height;
  }

  /** The frame: the bitmap and its caption; on a terminal, drawn over the previous frame. */
  #frame(s: Sweep): string {
    const ansi = this.#o.colour;
    const body = (s.blocks ? s.grid.toBlockText({ ansi })! : s.grid.toText({ ansi })) + s.grid.caption() + '\n';
    const lines = body.split('\n').length - 1;
    if (!this.#o.tty) return body;
    // \x1b[nF: to the start of the frame's first line; \x1b[K clears what a longer line left.
    const up = s.drawn > 0 ? `\x1b[${s.drawn}F` : '';
    s.drawn = lines;
    return up + body.replace(/\n/g, '\x1b[K\n');
  }
}
