import type Anthropic from '@anthropic-ai/sdk';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { type Browser, launchChromium } from '../support/browser';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import {
  type Call,
  proxyCall,
  sdk,
  setUpGateway,
  sumCalls,
  totalTokensOf,
  waitForInteractions,
} from '../support/analytics-fixtures';
import { listen, startTestApp, type TestApp, type TestUser } from '../support/test-app';

// Every run saves its screenshots under .data/; UPDATE_SCREENSHOTS=1 refreshes the ones docs/api-tour.md shows.
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS
  ? join(__dirname, '..', '..', 'docs', 'share-page.png')
  : join(__dirname, '..', '..', '.data', 'screenshots', 'share-page.png');

const SESSION = 'checkout-service-refactor';
const TITLE = 'Checkout: back off on capture timeouts';
const TURNS: { call: Call; query: string; reply: string }[] = [
  {
    call: { session: SESSION, model: 'claude-opus-4-6', usage: { input: 2_412, output: 618, write5m: 18_240 } },
    query:
      'The checkout service retries payment captures in a tight loop when the gateway times out. Where is the retry policy defined?',
    reply:
      'In src/payments/capture.ts: retryCapture() calls itself with no delay and no cap. The policy object in config/retry.ts is never read.',
  },
  {
    call: {
      session: SESSION,
      model: 'claude-opus-4-6',
      usage: { input: 1_180, output: 1_304, cacheRead: 18_240, write1h: 4_096 },
    },
    query:
      'Rewrite it with exponential backoff and jitter, capped at 30 seconds, and read the limits from config/retry.ts.',
    // Markdown, as models answer: rendered, not shown as markup.
    reply:
      'Done. `retryCapture()` now waits **min(30 s, base · 2^attempt)** with full jitter and stops after maxAttempts from config/retry.ts.',
  },
  {
    call: { session: SESSION, model: 'claude-sonnet-4-6', usage: { input: 860, output: 412, cacheRead: 22_336 } },
    query: 'Add tests for the timeout path: a gateway that times out twice, then succeeds.',
    reply:
      'Added capture.retry.spec.ts with a fake clock: two timeouts, then success after 3 s of backoff; and a case that gives up after 5 attempts.',
  },
  {
    call: { session: SESSION, model: 'claude-haiku-4-5-20251001', usage: { input: 530, output: 96 } },
    query: 'Write the commit message.',
    reply: 'payments: back off exponentially with jitter when captures time out',
  },
];

/** The page's integer format, written independently: 1234567 → "1,234,567". */
const int = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
/** The page's dollar format: every significant decimal of the nano-USD amount, at least two. */
function dollars(nano: number): string {
  const [whole, fraction] = (nano / 1e9).toFixed(9).split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `$${int(Number(whole))}.${trimmed.length < 2 ? trimmed.padEnd(2, '0') : trimmed}`;
}

describe('the share page', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let owner: TestUser;
  let client: Anthropic;
  let withContent: { share_token: string; share_url: string };
  let usageOnly: { share_token: string; share_url: string };
  const expected = sumCalls(TURNS.map((t) => t.call));

  const createLink = async (session: string, payload: object = {}) => {
    const response = await app.request({
      method: 'POST',
      url: `/spotlight/analytics/sessions/${encodeURIComponent(session)}/share`,
      headers: { ...owner.auth, host: new URL(baseURL).host },
      payload,
    });
    expect(response.statusCode).toBe(201);
    return response.json();
  };

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    baseURL = await listen(app);
    let key: string;
    ({ owner, key } = await setUpGateway(app, 'Page Owner'));
    client = sdk(baseURL, key);
    for (const turn of TURNS) await proxyCall(client, turn.call, turn.query, { reply: turn.reply });
    await proxyCall(
      client,
      { session: 'quiet-session', model: 'claude-sonnet-4-6', usage: { input: 11, output: 22 } },
      'A private question',
      { reply: 'A private answer' },
    );
    await proxyCall(
      client,
      { session: '<img src=x onerror=alert(1)>', model: 'claude-sonnet-4-6', usage: { input: 1, output: 1 } },
      '</pre><script>alert("query")</script>',
      { reply: '<b onmouseover="alert(2)">bold</b>' },
    );
    await waitForInteractions(app, owner.organizationId, TURNS.length + 2);
    const titled = await app.request({
      method: 'PATCH',
      url: `/api/v1/sessions/${SESSION}`,
      headers: owner.auth,
      payload: { title: TITLE },
    });
    expect(titled.statusCode).toBe(200);
    withContent = await createLink(SESSION, { include_content: true, expires_in_seconds: 7 * 86_400 });
    usageOnly = await createLink('quiet-session');
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('is served as HTML with the session’s figures, calls and transcript, and nothing that loads or runs', async () => {
    const response = await app.request({ method: 'GET', url: `/shared/${withContent.share_token}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-robots-tag']).toBe('noindex, nofollow');
    const page = response.body;
    expect(page).toMatch(/^<!doctype html>/);
    // Nothing loads; the only links are the page's own anchors (calls to turns and back).
    expect(page).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref="(?!#)|url\(/i);
    expect(page).toContain(`data-figure="requests">${TURNS.length}<`);
    expect(page).toContain(`data-figure="total-tokens">${int(totalTokensOf(expected))}<`);
    expect(page).toContain(`data-figure="cost">${dollars(expected.cost.total)}<`);
    expect(page).toContain(`data-figure="input-tokens">${int(expected.input)}<`);
    expect(page).toContain(`data-figure="cache-read-tokens">${int(expected.cacheRead)}<`);
    expect(page).toContain(`data-figure="cache-write-1h-tokens">${int(expected.write1h)}<`);
    for (const turn of TURNS) expect(page).toContain(turn.query);
    for (const turn of [TURNS[0], TURNS[2], TURNS[3]]) expect(page).toContain(turn.reply.replace(/&/g, '&amp;'));
    expect(page).toContain(
      'Done. <code>retryCapture()</code> now waits <strong>min(30 s, base · 2^attempt)</strong> with full jitter',
    );
    expect(page).toContain(
      `<h1 data-figure="title">${TITLE}</h1><div class="external-id" data-figure="session-id">${SESSION}</div>`,
    );
    for (let turn = 1; turn <= TURNS.length; turn++) {
      expect(page).toContain(`<a href="#turn-${turn}">${turn}</a>`);
      expect(page).toContain(`id="turn-${turn}"><header><a href="#call-${turn}">Turn ${turn}</a>`);
    }
    const ids = [
      owner.organizationId,
      owner.id,
      ...(
        await app.sql<{ id: string }>(`select id from sessions where organization_id = $1`, [owner.organizationId])
      ).map((r) => r.id),
    ];
    for (const id of ids) expect(page).not.toContain(id);
  });

  it('leaves the conversation out when the link does not include content', async () => {
    const response = await app.request({ method: 'GET', url: `/shared/${usageOnly.share_token}` });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('quiet-session');
    expect(response.body).toContain('data-figure="total-tokens">33<');
    expect(response.body).not.toContain('A private');
    expect(response.body).toContain('Conversation content is not shared.');
  });

  it('escapes whatever the session holds', async () => {
    const link = await createLink('<img src=x onerror=alert(1)>', { include_content: true });
    const response = await app.request({ method: 'GET', url: `/shared/${link.share_token}` });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toMatch(/<script|<img|<b[\s>]/i);
    expect(response.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // The transcript is Markdown with raw HTML kept as text.
    expect(response.body).toContain('&lt;/pre&gt;&lt;script&gt;alert("query")&lt;/script&gt;');
    expect(response.body).toContain('&lt;b onmouseover="alert(2)"&gt;bold&lt;/b&gt;');
  });

  it('answers unknown, removed and expired links with a 404 page', async () => {
    const unknown = await app.request({ method: 'GET', url: `/shared/shr_${'x'.repeat(32)}` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(unknown.headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect(unknown.body).toContain('This shared session is not available');
    expect(unknown.body).not.toMatch(/<script/i);

    const garbage = await app.request({ method: 'GET', url: '/shared/%3Cscript%3E' });
    expect(garbage.statusCode).toBe(404);
    expect(garbage.body).not.toContain('<script>');

    await app.sql(
      `update share_links set expires_at = now() - interval '1 second' where token_digest = encode(sha256(convert_to($1::text, 'UTF8')), 'hex')`,
      [usageOnly.share_token],
    );
    expect((await app.request({ method: 'GET', url: `/shared/${usageOnly.share_token}` })).statusCode).toBe(404);
    await app.sql(
      `update share_links set expires_at = null where token_digest = encode(sha256(convert_to($1::text, 'UTF8')), 'hex')`,
      [usageOnly.share_token],
    );
    expect((await app.request({ method: 'GET', url: `/shared/${usageOnly.share_token}` })).statusCode).toBe(200);
    const removed = await app.request({
      method: 'DELETE',
      url: '/spotlight/analytics/sessions/quiet-session/share',
      headers: owner.auth,
    });
    expect(removed.statusCode).toBe(200);
    expect((await app.request({ method: 'GET', url: `/shared/${usageOnly.share_token}` })).statusCode).toBe(404);
  });

  describe('in Chromium', () => {
    let context: BrowserContext;
    let browser: Browser;

    beforeAll(async () => {
      browser = await launchChromium({ width: 1280, height: 900 });
      context = browser.context;
    });

    afterAll(async () => {
      await browser?.close();
    });

    it('opens the share_url, shows the session’s figures with nothing loaded from elsewhere, and is screenshotted', async () => {
      const page = await context.newPage();
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));

      expect(withContent.share_url).toBe(`${baseURL}/shared/${withContent.share_token}`);
      const response = await page.goto(withContent.share_url, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(await page.title()).toBe(`${TITLE} · Shared session · Lamplight`);
      const figure = (name: string) => page.locator(`[data-figure="${name}"]`).innerText();
      expect(await page.locator('h1').innerText()).toBe(TITLE);
      expect(await figure('session-id')).toBe(SESSION);
      expect(await figure('requests')).toBe(String(TURNS.length));
      expect(await figure('total-tokens')).toBe(int(totalTokensOf(expected)));
      expect(await figure('cost')).toBe(dollars(expected.cost.total));
      expect(await figure('input-tokens')).toBe(int(expected.input));
      expect(await figure('output-tokens')).toBe(int(expected.output));
      expect(await figure('cache-read-tokens')).toBe(int(expected.cacheRead));
      expect(await figure('cache-write-5m-tokens')).toBe(int(expected.write5m));
      expect(await figure('cache-write-1h-tokens')).toBe(int(expected.write1h));
      const rows = page.locator('table').nth(1).locator('tbody tr');
      expect(await rows.count()).toBe(TURNS.length);
      expect(await rows.nth(0).innerText()).toContain('claude-opus-4-6');
      expect(await page.locator('.turn').count()).toBe(TURNS.length);
      expect(await page.locator('.turn').nth(1).innerText()).toContain(
        'now waits min(30 s, base · 2^attempt) with full jitter',
      );
      expect(await page.locator('.turn').nth(1).locator('strong').innerText()).toBe('min(30 s, base · 2^attempt)');
      // A call's number leads to its turn.
      await rows.nth(2).locator('a').click();
      expect(new URL(page.url()).hash).toBe('#turn-3');
      // The stylesheet applied (the CSP allows it by hash): the cards are laid out as a grid.
      expect(
        await page.locator('.cards').evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).display),
      ).toBe('grid');
      // At a laptop's width every table fits without scrolling sideways.
      const overflowing = await page
        .locator('.table-wrap')
        .evaluateAll((els) => els.filter((el) => el.scrollWidth > el.clientWidth).length);
      expect(overflowing).toBe(0);
      expect(requests).toEqual([withContent.share_url]);
      expect(problems).toEqual([]);

      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);

      // On a 400 px wide phone nothing scrolls sideways: the tables become one card per row.
      await page.setViewportSize({ width: 400, height: 800 });
      await page.goto(withContent.share_url, { waitUntil: 'load' });
      const widths = await page.locator('html').evaluate((root) => ({
        page: root.scrollWidth,
        viewport: root.ownerDocument.defaultView!.innerWidth,
        overflowing: [...root.querySelectorAll('.table-wrap, .turn')].filter((el) => el.scrollWidth > el.clientWidth)
          .length,
      }));
      expect(widths).toEqual({ page: 400, viewport: 400, overflowing: 0 });
      expect(
        await page
          .locator('table')
          .nth(1)
          .locator('tbody tr')
          .nth(0)
          .locator('td')
          .nth(2)
          .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el, '::before').content),
      ).toBe('"Model"');
      await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-400px.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });

      const missing = await page.goto(`${baseURL}/shared/shr_${'n'.repeat(32)}`);
      expect(missing?.status()).toBe(404);
      expect(await page.locator('h1').innerText()).toBe('This shared session is not available');
      await page.close();
    });
  });
});
