/**
 * A sweep drawn as replies arrive: one cell per address of the prefix (the shared SweepGrid's
 * layout, the same as the CLI's and Telegram's bitmap), lit when it answered, dark when silent.
 * Only the cells that changed are painted each frame; hovering names a cell's address and RTT.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SweepGrid } from '../../shared/render/sweep-grid.ts';
import { html, ms } from '../html.ts';

/** Colours of the three cell states (also what the tests count). */
export const LIT = '#1fa34a';
export const SILENT = '#3a3f4b';
export const PENDING = '#c9ced8';

export function ProbeCanvas(props: { entry: { grid: SweepGrid; fresh: number[] }; tick: number }) {
  const { grid } = props.entry;
  const ref = useRef<HTMLCanvasElement>(null);
  const [tip, setTip] = useState('');
  const cell = Math.max(1, Math.floor(512 / grid.columns));
  const gap = cell >= 6 ? 1 : 0;

  // First paint: every cell as it is now.
  useEffect(() => {
    const c = ref.current!.getContext('2d')!;
    c.fillStyle = PENDING;
    c.fillRect(0, 0, grid.columns * cell, grid.rows * cell);
    for (let i = 0; i < grid.size; i++) if (grid.state(i) !== 'pending') paint(c, i);
    props.entry.fresh.length = 0;
  }, [grid]);

  // Each frame: the cells that changed.
  useEffect(() => {
    const c = ref.current!.getContext('2d')!;
    const fresh = props.entry.fresh;
    for (const i of fresh) paint(c, i);
    fresh.length = 0;
  }, [props.tick]);

  function paint(c: CanvasRenderingContext2D, i: number): void {
    const { row, column } = grid.position(i);
    const s = grid.state(i);
    c.fillStyle = s === 'reachable' ? LIT : s === 'silent' ? SILENT : PENDING;
    c.fillRect(column * cell, row * cell, cell - gap, cell - gap);
  }

  function hover(e: MouseEvent): void {
    const el = ref.current!;
    const r = el.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * el.width;
    const y = ((e.clientY - r.top) / r.height) * el.height;
    const i = grid.indexAt(Math.floor(y / cell), Math.floor(x / cell));
    if (i < 0) return setTip('');
    const rtt = grid.rttMs(i);
    setTip(`${grid.addressAt(i)}: ${rtt === undefined ? 'pending' : rtt === null ? 'no answer' : `${ms(rtt)} ms`}`);
  }

  const counts = grid.counts();
  return html`<figure class="sweep">
    <figcaption>${grid.caption()}</figcaption>
    <canvas ref=${ref} class="sweep-canvas" width=${grid.columns * cell} height=${grid.rows * cell}
      data-up=${counts.reachable} data-silent=${counts.silent} data-columns=${grid.columns} data-cell=${cell}
      onMouseMove=${hover} onMouseLeave=${() => setTip('')} aria-label=${grid.caption()} role="img"></canvas>
    <div class="tip" aria-live="polite">${tip || '\u00a0'}</div>
    <div class="legend"><span class="sw lit"></span> answered <span class="sw silent"></span> silent <span class="sw pending"></span> pending</div>
  </figure>`;
}
