/**
 * The page's files (web/): one HTML shell, one script bundled by esbuild from web/main.ts (the
 * shared grammar and renderers included), one stylesheet. Built into web/dist/ at `npm install`
 * (`npm run build:web`, the `prepare` script); a hub started from a checkout without that build
 * bundles in memory once, on the first request, when esbuild (a devDependency) is there.
 * Everything is compressed once (brotli and gzip) and served by Accept-Encoding; names carry a
 * content hash, so the script and stylesheet are cached for good and the HTML never.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

/** The repository's web/ folder (sources and dist/). */
export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web');

/** One served file, compressed ahead of time. */
export interface WebAsset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  brotli: Buffer;
  etag: string;
  immutable: boolean;
}

/** The files by URL path (`/`, `/assets/app.<hash>.js`, …). */
export type WebAssets = Map<string, WebAsset>;

/**
 * The policy of every page response: scripts and styles from this origin only (no inline
 * script, no eval), requests to this origin only, images from here or drawn by the page.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function asset(type: string, body: Buffer, immutable: boolean): WebAsset {
  return {
    type,
    body,
    gzip: gzipSync(body, { level: 9 }),
    brotli: brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    immutable,
  };
}

function hashOf(b: Buffer | Uint8Array): string {
  return createHash('sha256').update(b).digest('hex').slice(0, 12);
}

/** Built files by name: `index.html`, `app.<hash>.js`, `app.<hash>.css`. */
type Built = Map<string, Buffer>;

/**
 * Bundles web/main.ts with esbuild and fills in the HTML shell. zod's locales (all but English)
 * and its JSON-Schema import are left out: the page never uses them, and they weigh 40 KB.
 */
export async function buildWeb(root = WEB_ROOT): Promise<Built> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(root, 'main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [
      {
        name: 'slim-zod',
        setup(b) {
          b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";', loader: 'js' }));
          b.onLoad({ filter: /zod[\\/]v4[\\/]classic[\\/]from-json-schema\.js$/ }, () => ({
            contents: 'export function fromJSONSchema() { throw new Error("fromJSONSchema is not in the web bundle"); }',
            loader: 'js',
          }));
        },
      },
    ],
  });
  const js = Buffer.from(result.outputFiles[0]!.contents);
  // uPlot's own rules (legend, cursor) first, so that the page's may refine them.
  const uplotCss = await readFile(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'));
  const css = Buffer.concat([uplotCss, Buffer.from('\n'), await readFile(join(root, 'style.css'))]);
  const jsName = `app.${hashOf(js)}.js`;
  const cssName = `app.${hashOf(css)}.css`;
  const html = (await readFile(join(root, 'index.html'), 'utf8')).replace('{{script}}', `/assets/${jsName}`).replace('{{style}}', `/assets/${cssName}`);
  return new Map([
    ['index.html', Buffer.from(html)],
    [jsName, js],
    [cssName, css],
  ]);
}

/** Writes a build to web/dist/ (the `prepare` script). */
export async function writeWebDist(root = WEB_ROOT): Promise<string[]> {
  const built = await buildWeb(root);
  const dist = join(root, 'dist');
  await mkdir(dist, { recursive: true });
  for (const [name, body] of built) await writeFile(join(dist, name), body);
  return [...built.keys()];
}

async function readDist(root: string): Promise<Built> {
  const dist = join(root, 'dist');
  const out: Built = new Map();
  for (const name of await readdir(dist)) out.set(name, await readFile(join(dist, name)));
  if (!out.has('index.html')) throw new Error(`${dist} has no index.html`);
  return out;
}

/**
 * The page's files: bundled now when esbuild is installed (a checkout: always the sources as
 * they are), else web/dist/ (an install without devDependencies). Rejects with a one-line
 * reason when neither is there.
 */
export async function loadWebAssets(root = WEB_ROOT): Promise<WebAssets> {
  let built: Built;
  try {
    built = await buildWeb(root);
  } catch (buildErr) {
    try {
      built = await readDist(root);
    } catch {
      const why = buildErr instanceof Error ? buildErr.message.split('\n')[0] : String(buildErr);
      throw new Error(`the web UI is not built (${why}); run npm run build:web`);
    }
  }
  const assets: WebAssets = new Map();
  for (const [name, body] of built) {
    if (name === 'index.html') assets.set('/', asset('text/html; charset=utf-8', body, false));
    else if (name.endsWith('.js')) assets.set(`/assets/${name}`, asset('text/javascript; charset=utf-8', body, true));
    else if (name.endsWith('.css')) assets.set(`/assets/${name}`, asset('text/css; charset=utf-8', body, true));
  }
  return assets;
}
