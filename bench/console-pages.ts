import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

/** Debian's Chromium, as the tests drive it (no Playwright browser download). */
const CHROMIUM = '/usr/bin/chromium';

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
}

/**
 * P12: how long the console's overview and sessions page take to become usable in a real browser,
 * from navigation to the charts drawn (overview, last 30 days) or the table's rows shown (sessions):
 * the page, its assets and every API call it makes. Signed in with the console's cookie.
 */
export async function consolePageTimes(
  base: string,
  accessToken: string,
  runs: number,
): Promise<Record<'overview' | 'sessions', { p50: number; p95: number }>> {
  const profile = mkdtempSync(join(tmpdir(), 'lamplight-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  try {
    await context.addCookies([
      { name: 'lamplight_session', value: accessToken, url: base, httpOnly: true, sameSite: 'Strict' },
    ]);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const time = async (path: string, ready: (page: Page) => Promise<unknown>): Promise<number> => {
      const started = performance.now();
      await page.goto(`${base}${path}`);
      await ready(page);
      return performance.now() - started;
    };
    const pages = {
      overview: () => time('/?range=30d', (p) => p.locator('.chart canvas').nth(1).waitFor()),
      sessions: () => time('/sessions', (p) => p.locator('table.sessions tbody tr').first().waitFor()),
    };
    const out = {} as Record<'overview' | 'sessions', { p50: number; p95: number }>;
    for (const [name, measure] of Object.entries(pages) as Array<[keyof typeof pages, () => Promise<number>]>) {
      await measure(); // warm: the assets are cached after the first load, as for a returning user
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) samples.push(await measure());
      out[name] = { p50: percentile(samples, 0.5), p95: percentile(samples, 0.95) };
    }
    return out;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
