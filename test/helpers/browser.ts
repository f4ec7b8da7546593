/**
 * A real headless Chromium (Debian's `chromium` package, installed by .ci/run) driven through
 * playwright-core, for the web UI's end-to-end tests. Tests skip with the reason when it is
 * not installed. Every page records its console errors and failed requests, and the tests
 * assert there are none.
 */
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Where Debian puts the browser (the /usr/bin/chromium wrapper execs the first). */
const CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The browser binary, or undefined. */
export function chromiumPath(): string | undefined {
  return process.env['MESHPROBE_TEST_CHROMIUM'] ?? CANDIDATES.find((p) => existsSync(p));
}

/** null when a browser can be launched here, else why not (for t.skip / test's skip option). */
export function browserSkipReason(): string | null {
  return chromiumPath() ? null : 'no chromium here (apt-get install chromium; .ci/run installs it)';
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath()!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/**
 * A page whose console errors and page errors are collected in `problems` while it shows a
 * page of `origin` (default: any), so that a sign-in provider's own pages do not count.
 */
export async function watchedPage(context: BrowserContext, origin?: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  const ours = () => origin === undefined || page.url().startsWith(origin);
  page.on('console', (m) => {
    if (m.type() === 'error' && ours()) problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => {
    if (ours()) problems.push(`page error: ${e.message}`);
  });
  return { page, problems };
}
