/**
 * A system Chromium, driven headless from the command line: the page under test is loaded into
 * an iframe of the width to check (a headless window is at least 500 px wide, an iframe is its
 * own viewport, so its media queries see 375 px), and a script writes the measurements into the
 * DOM that `--dump-dom` prints. No CDP library is needed for that, nor any download: .ci/run
 * installs Debian's chromium.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Chromium binary on PATH, or undefined. */
export function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** What the page looks like in a viewport of the given width. */
export interface PageMetrics {
  scrollWidth: number;
  clientWidth: number;
  /** Elements of class `meshprobe-matrix`: height and right edge. */
  matrices: { height: number; right: number }[];
  /** Every image: whether it loaded (natural width > 0) and its right edge. */
  images: { loaded: boolean; right: number }[];
  /** Widest element's right edge. */
  widest: number;
}

const PROBE = `(() => {
  const f = document.getElementById('f');
  const d = f.contentDocument;
  const box = (e) => e.getBoundingClientRect();
  const r = {
    scrollWidth: d.documentElement.scrollWidth, clientWidth: d.documentElement.clientWidth,
    matrices: [...d.querySelectorAll('.meshprobe-matrix')].map((e) => ({ height: box(e).height, right: box(e).right })),
    images: [...d.images].map((i) => ({ loaded: i.complete && i.naturalWidth > 0, right: box(i).right })),
    widest: Math.max(0, ...[...d.querySelectorAll('body *')].map((e) => box(e).right)),
  };
  document.body.setAttribute('data-metrics', btoa(unescape(encodeURIComponent(JSON.stringify(r)))));
})()`;

/** Loads `html` in a `width`-pixel viewport of headless Chromium and measures it. */
export async function measureHtml(chromium: string, html: string, width: number): Promise<PageMetrics> {
  const dir = await mkdtemp(join(tmpdir(), 'mp-chromium-'));
  try {
    await writeFile(join(dir, 'page.html'), html);
    await writeFile(join(dir, 'frame.html'), `<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="page.html" style="width:${width}px;height:900px;border:0"></iframe><script>addEventListener('load', () => ${PROBE});</script></body></html>`);
    const dom = await run(chromium, [...FLAGS, `--window-size=${Math.max(width + 40, 600)},1000`, '--dump-dom', `file://${join(dir, 'frame.html')}`]);
    const m = /data-metrics="([^"]+)"/.exec(dom);
    if (!m) throw new Error(`chromium printed no metrics: ${dom.slice(0, 300)}`);
    return JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as PageMetrics;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a PNG screenshot of `html` in a `width`-pixel viewport to `out` (docs/screenshots). */
export async function screenshotHtml(chromium: string, html: string, width: number, height: number, out: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mp-chromium-'));
  try {
    await writeFile(join(dir, 'page.html'), html);
    // The window is at least 500 px wide: the page sits in a frame of the phone's width.
    await writeFile(join(dir, 'frame.html'), `<!DOCTYPE html><html><body style="margin:0;background:#ccc"><iframe src="page.html" style="width:${width}px;height:${height}px;border:0;background:#fff"></iframe></body></html>`);
    await run(chromium, [...FLAGS, `--window-size=${Math.max(width, 500)},${height}`, `--screenshot=${out}`, `file://${join(dir, 'frame.html')}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--allow-file-access-from-files', '--virtual-time-budget=5000', '--no-first-run', '--disable-dev-shm-usage'];

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}
