import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { type Browser, launchChromium } from '../support/browser';
import { proxyCall, sdk, setUpGateway, UNPRICED_MODEL, waitForInteractions } from '../support/analytics-fixtures';
import { addMember } from '../support/tenancy-fixtures';
import {
  createApiKey,
  eventually,
  expectProblem,
  listen,
  registerUser,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
const BUILD = join(ROOT, 'dist', 'console');
/** The console's budget: everything the first page load fetches, gzipped. */
const BUDGET_GZIP_BYTES = 250 * 1024;

// Every run saves its screenshots under .data/; UPDATE_SCREENSHOTS=1 refreshes the ones docs/ and the README show.
const SHOTS = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs') : join(ROOT, '.data', 'screenshots');

const XSS_PROMPT = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> **bold?**';
const XSS_TITLE = '<img src=y onerror="window.__xss=3">';
const XSS_MODEL = 'claude-<svg onload=window.__xss=4>';

/** Builds the console the way `npm run build` does, so the app under test serves the real bundle. */
function buildConsole(): void {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      join(ROOT, 'console', 'vite.config.mjs'),
    ],
    {
      cwd: ROOT,
      stdio: 'pipe',
      timeout: 120_000,
    },
  );
}

async function axeViolations(page: Page): Promise<string[]> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // evaluate() runs outside the page's content security policy, which forbids inline scripts.
  await page.evaluate(source);
  const results = await page.evaluate<{
    violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: string[] }> }>;
  }>("axe.run(document, { resultTypes: ['violations'] })");
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('the console', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const email = `console${Date.now()}@example.com`;
  const password = 'a console password of some length';
  let organizationId: string;
  let apiKey: string;
  let client: Anthropic;
  let demoSessionId: string;
  let member: TestUser;

  const cookieHeader = async () => (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');

  beforeAll(async () => {
    buildConsole();
    mkdirSync(SHOTS, { recursive: true });
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    baseURL = await listen(app);
    browser = await launchChromium({ width: 1280, height: 900 });
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    // Confirmations (delete, revoke) are accepted; any other dialog would be a script someone planted.
    page.on('dialog', (dialog) => {
      if (dialog.type() !== 'confirm') dialogs.push(dialog.message());
      void dialog.accept();
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await mock?.close();
  });

  it('fits its bundle budget: the page and what it loads at first are at most 250 KB gzipped', () => {
    const index = readFileSync(join(BUILD, 'index.html'), 'utf8');
    const files = [...index.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]);
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    // Nothing from another origin, ever.
    expect(index).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    const total =
      gzipSync(index).length +
      files.reduce((sum, f) => sum + gzipSync(readFileSync(join(BUILD, 'assets', f))).length, 0);
    expect(total).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
  });

  it('is served at / and its own paths, and leaves API paths and unknown paths their problem documents', async () => {
    for (const url of ['/', '/sessions', '/sessions/anything', '/settings/api-keys', '/signin']) {
      const response = await app.request({ method: 'GET', url });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 200 });
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('<div id="app">');
    }
    const script = readFileSync(join(BUILD, 'index.html'), 'utf8').match(/src="(\/assets\/[^"]+\.js)"/)?.[1] ?? '';
    const asset = await app.request({ method: 'GET', url: script, headers: { 'accept-encoding': 'gzip' } });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(asset.headers['cache-control']).toContain('immutable');
    for (const url of [
      '/api/v1/nothing-here',
      '/v1/messages',
      '/assets/missing.js',
      '/assets/..%2f..%2fpackage.json',
      '/sessions/a/b',
      '/nowhere',
    ]) {
      expectProblem(await app.request({ method: 'GET', url }), 404);
    }
    expect((await app.request({ method: 'GET', url: '/shared/shr_unknown' })).statusCode).toBe(404);
    expect((await app.request({ method: 'GET', url: '/docs-json' })).statusCode).toBe(200);
  });

  it('signs a new user up in the browser, with the session in an httpOnly cookie and no token in storage', async () => {
    await page.goto(`${baseURL}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/signup');
    await page.getByLabel('Name').fill('Console Owner');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText('No calls in this period').waitFor();

    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'lamplight_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(await page.evaluate('document.cookie')).not.toContain('lamplight_session');
    expect(await page.evaluate('JSON.stringify({ ...window.localStorage, ...window.sessionStorage })')).not.toMatch(
      /eyJ|lmp_/,
    );

    const me = await app.request({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: await cookieHeader() } });
    expect(me.statusCode).toBe(200);
    organizationId = me.json().user.defaultOrganizationId;
  });

  it('adds a provider key and creates an API key shown once', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Provider keys' }).click();
    await page.getByLabel('Name').fill('anthropic');
    await page.getByLabel('Anthropic API key').fill('sk-ant-api03-console-test-key-0123456789');
    await page.getByRole('button', { name: 'Test' }).click();
    await page.getByText('The key works.').waitFor();
    await page.getByLabel('Default').check();
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.getByRole('cell', { name: '…6789' }).waitFor();

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name').fill('console laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByLabel('New API key');
    await shown.waitFor();
    apiKey = await shown.inputValue();
    expect(apiKey).toMatch(/^lmp_/);
    await page.screenshot({ path: join(SHOTS, 'console-settings.png') });
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await page.getByRole('cell', { name: 'console laptop', exact: true }).waitFor();
    expect(await page.content()).not.toContain(apiKey);
  });

  it('shows proxied calls on the overview, unpriced ones as unpriced, and in the sessions table', async () => {
    client = sdk(baseURL, apiKey);
    const session = 'checkout-retry-backoff';
    await proxyCall(
      client,
      { session, model: 'claude-opus-4-6', usage: { input: 2_400, output: 610, write5m: 18_000 } },
      'Where is the **retry policy** defined?',
      {
        reply: 'In `src/payments/capture.ts`:\n\n```ts\nretryCapture();\n```\n\nIt calls itself with no delay.',
      },
    );
    await proxyCall(
      client,
      { session, model: 'claude-sonnet-4-6', usage: { input: 1_200, output: 1_300, cacheRead: 18_000 } },
      'Rewrite it with exponential backoff and jitter.',
      {
        reply: 'Done: waits **min(30 s, base · 2^attempt)** with full jitter.',
      },
    );
    await proxyCall(
      client,
      { session: 'nightly-report', model: UNPRICED_MODEL, usage: { input: 900, output: 300 } },
      'Summarise the nightly build.',
      { reply: 'All green.' },
    );
    await proxyCall(
      client,
      { session: 'hostile-session', model: XSS_MODEL, usage: { input: 5, output: 5 } },
      XSS_PROMPT,
      { reply: '<b onmouseover="window.__xss=5">x</b>' },
    );
    await waitForInteractions(app, organizationId, 4);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Spend by model' }).waitFor();
    const tile = (label: string) => page.locator('.tile', { hasText: label }).locator('.tile-value').textContent();
    expect(await tile('Requests')).toBe('4');
    expect(await page.locator('.tile', { hasText: 'Spend' }).locator('.tile-hint').textContent()).toBe(
      '+ 2 unpriced calls',
    );
    // One chart line per model, drawn on a canvas (with requests and latency charts beside them).
    expect(await page.locator('.chart canvas').count()).toBe(4);
    const spendLegend = await page.locator('.chart').first().textContent();
    for (const model of ['claude-opus-4-6', 'claude-sonnet-4-6']) expect(spendLegend).toContain(model);
    // All-unpriced models draw no spend line (unknown, not $0), but they do draw tokens.
    expect(spendLegend).not.toContain(UNPRICED_MODEL);
    expect(await page.locator('.chart').nth(1).textContent()).toContain(UNPRICED_MODEL);
    const unpricedRow = page.locator('tr', { hasText: UNPRICED_MODEL });
    expect(await unpricedRow.locator('td').last().textContent()).toBe('unpriced');
    await page.screenshot({ path: join(SHOTS, 'console-overview.png') });
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('link', { name: session }).waitFor();
    expect(await page.locator('table.sessions tbody tr').count()).toBe(3);
    expect(await axeViolations(page)).toEqual([]);

    // Search narrows the table, in the URL.
    await page.getByLabel('Search').fill('nightly');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/sessions\?q=nightly$/);
    await eventuallyCount(page, 'table.sessions tbody tr', 1);
    await page.goBack();
    await eventuallyCount(page, 'table.sessions tbody tr', 3);
  });

  it('opens a transcript with Markdown rendered, renames it, shares it and revokes the link', async () => {
    await page.getByRole('link', { name: 'checkout-retry-backoff' }).click();
    await page.getByRole('heading', { name: 'Transcript' }).waitFor();
    demoSessionId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
    expect(await page.locator('.bubble.user strong').first().textContent()).toBe('retry policy');
    expect(await page.locator('.bubble.assistant pre code').first().textContent()).toContain('retryCapture();');
    await page.locator('.call-details summary').first().click();
    expect(await page.locator('.call-details').first().textContent()).toContain('Time to first token');
    expect(await page.locator('.tree').textContent()).toContain('main agent — 2 calls');

    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Title').fill('Checkout: back off on capture timeouts');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Checkout: back off on capture timeouts' }).waitFor();
    const stored = await app.sql<{ title: string }>('select title from sessions where id = $1', [demoSessionId]);
    expect(stored[0].title).toBe('Checkout: back off on capture timeouts');

    await page.getByLabel('Expires').selectOption('86400');
    await page.getByLabel('Include the transcript').check();
    await page.getByRole('button', { name: 'Create share link' }).click();
    const link = page.getByLabel('Share link');
    await link.waitFor();
    const shareUrl = await link.inputValue();
    expect(shareUrl).toMatch(/\/shared\/shr_/);
    await page.screenshot({ path: join(SHOTS, 'console-session.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    const shared = await browser.context.newPage();
    const opened = await shared.goto(shareUrl.replace(/^https?:\/\/[^/]+/, baseURL));
    expect(opened?.status()).toBe(200);
    expect(await shared.textContent('h1')).toBe('Checkout: back off on capture timeouts');

    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('button', { name: 'Create share link' }).waitFor();
    const gone = await shared.goto(shareUrl.replace(/^https?:\/\/[^/]+/, baseURL));
    expect(gone?.status()).toBe(404);
    await shared.close();

    // Delete, then restore as the owner (an admin): the session is back, unshared.
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Session deleted' }).waitFor();
    const deleted = await app.sql<{ deleted_at: Date | null }>('select deleted_at from sessions where id = $1', [
      demoSessionId,
    ]);
    expect(deleted[0].deleted_at).not.toBeNull();
    expect(
      (
        await app.request({
          method: 'GET',
          url: `/api/v1/sessions/${demoSessionId}`,
          headers: { cookie: await cookieHeader() },
        })
      ).statusCode,
    ).toBe(404);
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('heading', { name: 'Checkout: back off on capture timeouts' }).waitFor();
    const restored = await app.sql<{ deleted_at: Date | null }>('select deleted_at from sessions where id = $1', [
      demoSessionId,
    ]);
    expect(restored[0].deleted_at).toBeNull();
  });

  it('renders stored XSS attempts in a prompt, a title and a model as text', async () => {
    const [hostile] = await app.sql<{ id: string }>(
      "select id from sessions where organization_id = $1 and external_id = 'hostile-session'",
      [organizationId],
    );
    const renamed = await app.request({
      method: 'PATCH',
      url: `/api/v1/sessions/${hostile.id}`,
      headers: { cookie: await cookieHeader(), 'x-lamplight-csrf': '1' },
      payload: { title: XSS_TITLE },
    });
    expect(renamed.statusCode).toBe(200);
    await page.goto(`${baseURL}/sessions/${hostile.id}`);
    await page.getByRole('heading', { name: 'Transcript' }).waitFor();
    expect(await page.textContent('h1')).toBe(XSS_TITLE);
    expect(await page.locator('.turn-head .mono').first().textContent()).toBe(XSS_MODEL);
    expect(await page.locator('.bubble.user').textContent()).toContain(
      '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>',
    );
    expect(await page.locator('.bubble.assistant').textContent()).toContain('<b onmouseover="window.__xss=5">x</b>');
    expect(
      await page
        .locator('main img, main script, main svg:not(.chart svg), main [onerror], main [onload], main [onmouseover]')
        .count(),
    ).toBe(0);
    await page.locator('.bubble.assistant').hover();
    await page.goto(`${baseURL}/sessions`);
    await page.getByRole('link', { name: XSS_TITLE }).waitFor();
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(dialogs).toEqual([]);
  });

  it("shows another organization's session as not found, and the back button returns", async () => {
    const { owner: other, key } = await setUpGateway(app, 'Other Org Owner');
    await proxyCall(
      sdk(baseURL, key),
      { session: 'other-secret-session', model: 'claude-sonnet-4-6', usage: { input: 1, output: 1 } },
      'secret plans',
    );
    await waitForInteractions(app, other.organizationId, 1);
    const [theirs] = await app.sql<{ id: string }>('select id from sessions where organization_id = $1', [
      other.organizationId,
    ]);

    await page.goto(`${baseURL}/sessions`);
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    for (const id of [theirs.id, 'other-secret-session']) {
      await page.goto(`${baseURL}/sessions/${id}`);
      await page.getByRole('heading', { name: 'Session not found' }).waitFor();
      expect(await page.content()).not.toContain('secret plans');
    }
    await page.goto(`${baseURL}/sessions/${demoSessionId}`);
    await page.getByRole('heading', { name: 'Transcript' }).waitFor();
    await page.getByRole('link', { name: 'Sessions' }).first().click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'Checkout: back off on capture timeouts' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/sessions/${demoSessionId}`);
  });

  it('filters sessions by member, model and outcome from the controls and the URL; the back button restores the previous filter', async () => {
    // A member of the organization makes a call of their own; the owner's key makes one that fails.
    member = await registerUser(app, 'Console Member');
    const invited = await app.request({
      method: 'POST',
      url: `/api/v1/organizations/${organizationId}/members`,
      headers: { cookie: await cookieHeader(), 'x-lamplight-csrf': '1' },
      payload: { email: member.email, role: 'member' },
    });
    expect(invited.statusCode).toBe(201);
    const accepted = await app.request({
      method: 'POST',
      url: `/api/v1/invitations/${invited.json().id}/accept`,
      headers: member.auth,
    });
    expect(accepted.statusCode).toBe(200);
    const asMember = new Anthropic({
      baseURL: `${baseURL}/spotlight/anthropic`,
      apiKey: null,
      authToken: member.token,
      maxRetries: 0,
      defaultHeaders: { 'x-organization-id': organizationId },
    });
    await proxyCall(
      asMember,
      { session: 'member-refactor', model: 'claude-haiku-4-5', usage: { input: 300, output: 90 } },
      'Refactor the invoice mailer.',
    );
    await proxyCall(
      client,
      { session: 'failing-deploy', model: 'claude-sonnet-4-6', usage: { input: 1, output: 1 }, failed: true },
      'Deploy it.',
    );
    await waitForInteractions(app, organizationId, 6);

    const rows = 'table.sessions tbody tr';
    await page.goto(`${baseURL}/sessions`);
    await eventuallyCount(page, rows, 5);
    await page.getByLabel('Member').selectOption({ label: 'Console Member' });
    await page.waitForURL(new RegExp(`/sessions\\?user=${member.id}$`));
    await eventuallyCount(page, rows, 1);
    await page.getByRole('link', { name: 'member-refactor' }).waitFor();
    await page.getByLabel('Outcome').selectOption('errors');
    await page.waitForURL(/outcome=errors/);
    await page.getByRole('heading', { name: 'No session matches' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // Back: the member filter alone again, its controls showing it; back once more: no filter.
    await page.goBack();
    await eventuallyCount(page, rows, 1);
    expect(await page.getByLabel('Outcome').inputValue()).toBe('any');
    expect(await page.getByLabel('Member').inputValue()).toBe(member.id);
    await page.goBack();
    await eventuallyCount(page, rows, 5);
    expect(await page.getByLabel('Member').inputValue()).toBe('');

    // Straight from a bookmarked URL.
    await page.goto(`${baseURL}/sessions?outcome=errors`);
    await eventuallyCount(page, rows, 1);
    await page.getByRole('link', { name: 'failing-deploy' }).waitFor();
    expect(await page.locator(rows).first().textContent()).toContain('1 error');
    await page.goto(`${baseURL}/sessions?model=claude-opus-4-6`);
    await eventuallyCount(page, rows, 1);
    expect(await page.getByLabel('Model').inputValue()).toBe('claude-opus-4-6');
    // The model box suggests every model the organization called, not just those on screen.
    expect(await page.locator('#session-models option[value="claude-haiku-4-5"]').count()).toBe(1);
    await page.getByLabel('Model').fill('claude-haiku-4-5');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/model=claude-haiku-4-5$/);
    await page.getByRole('link', { name: 'member-refactor' }).waitFor();
    await eventuallyCount(page, rows, 1);
    await page.getByLabel('Sort').selectOption('cost');
    await page.waitForURL(/sort=cost/);
    await page.getByRole('link', { name: 'Clear filters' }).click();
    await page.waitForURL(/\/sessions$/);
    await eventuallyCount(page, rows, 5);
    await page.screenshot({ path: join(SHOTS, 'console-sessions.png') });
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 400, height: 860 });
    await page.screenshot({ path: join(SHOTS, 'console-sessions-400px.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('lets an admin list deleted sessions and restore one; a member gets no deleted list', async () => {
    const [nightly] = await app.sql<{ id: string }>(
      "select id from sessions where organization_id = $1 and external_id = 'nightly-report'",
      [organizationId],
    );
    const removed = await app.request({
      method: 'DELETE',
      url: `/api/v1/sessions/${nightly.id}`,
      headers: { cookie: await cookieHeader(), 'x-lamplight-csrf': '1' },
    });
    expect(removed.statusCode).toBe(204);
    await page.goto(`${baseURL}/sessions`);
    await eventuallyCount(page, 'table.sessions tbody tr', 4);
    await page.getByRole('navigation', { name: 'Which sessions' }).getByRole('link', { name: 'Deleted' }).click();
    await page.waitForURL(/view=deleted/);
    await page.getByRole('heading', { name: 'Deleted sessions' }).waitFor();
    await eventuallyCount(page, 'table.sessions tbody tr', 1);
    expect(await page.locator('table.sessions').textContent()).toContain('nightly-report');
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Restore nightly-report' }).click();
    await page.getByRole('status').filter({ hasText: 'Restored' }).waitFor();
    await page.getByRole('heading', { name: 'No deleted sessions' }).waitFor();
    const [back] = await app.sql<{ deleted_at: Date | null }>('select deleted_at from sessions where id = $1', [
      nightly.id,
    ]);
    expect(back.deleted_at).toBeNull();
    await page.goBack();
    await eventuallyCount(page, 'table.sessions tbody tr', 5);

    // A member: the API refuses the list, and the console offers no deleted view, even from its URL.
    expectProblem(
      await app.request({
        method: 'GET',
        url: '/api/v1/sessions?deleted=true',
        headers: { ...member.auth, 'x-organization-id': organizationId },
      }),
      403,
      'DELETED_SESSIONS_ADMINS_ONLY',
    );
    const ownerCookies = await page.context().cookies();
    await page.context().clearCookies();
    await page
      .context()
      .addCookies([
        { name: 'lamplight_session', value: member.token, url: baseURL, httpOnly: true, sameSite: 'Strict' },
      ]);
    // The member works in this organization (their own personal one is their default).
    await page.evaluate(`window.localStorage.setItem('lamplight.organization', ${JSON.stringify(organizationId)})`);
    try {
      await page.goto(`${baseURL}/sessions?view=deleted`);
      await page.getByRole('heading', { name: 'Sessions', exact: true }).waitFor();
      // The live list of this organization (the member's own session in it), with no way to the deleted ones.
      await page.getByRole('link', { name: 'member-refactor' }).waitFor();
      await eventuallyCount(page, 'table.sessions tbody tr', 5);
      expect(await page.getByRole('navigation', { name: 'Which sessions' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /^Restore/ }).count()).toBe(0);
    } finally {
      await page.evaluate("window.localStorage.removeItem('lamplight.organization')");
      await page.context().clearCookies();
      await page.context().addCookies(ownerCookies);
    }
  });

  it('collapses a long tool result in the transcript, and the keyboard expands and collapses it', async () => {
    const longResult = Array.from({ length: 60 }, (_, i) => `PASS test/unit/case-${i}.spec.ts (${i} ms)`).join('\n');
    await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      system: `MOCK:${JSON.stringify({ text: 'Running the tests again.', toolUse: { name: 'bash', input: { command: 'npm test' } } })}`,
      metadata: { user_id: 'tool-session' },
      messages: [
        { role: 'user', content: 'Run the tests.' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_01', name: 'bash', input: { command: 'npm test' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: longResult }] },
      ],
    });
    await waitForInteractions(app, organizationId, 7);
    const [tool] = await app.sql<{ id: string }>(
      "select id from sessions where organization_id = $1 and external_id = 'tool-session'",
      [organizationId],
    );
    await page.goto(`${baseURL}/sessions/${tool.id}`);
    await page.getByRole('heading', { name: 'Transcript' }).waitFor();
    // The short tool call is shown whole; the long result is collapsed behind a button.
    expect(await page.locator('.tool-use').textContent()).toContain('bash {"command":"npm test"}');
    const toggle = page.locator('.tool-result').getByRole('button', { name: /^Expand/ });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    const text = page.locator('.tool-result pre');
    expect(await text.textContent()).not.toContain('case-59');
    expect(await toggle.getAttribute('aria-controls')).toBe(await text.getAttribute('id'));
    await toggle.focus();
    await page.keyboard.press('Enter');
    const collapse = page.locator('.tool-result').getByRole('button', { name: 'Collapse' });
    expect(await collapse.getAttribute('aria-expanded')).toBe('true');
    expect(await text.textContent()).toContain('case-59');
    await page.keyboard.press('Space');
    await page
      .locator('.tool-result')
      .getByRole('button', { name: /^Expand/ })
      .waitFor();
    expect(await text.textContent()).not.toContain('case-59');
    await page.locator('.tool-result').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'console-session-tools.png') });
    expect(await axeViolations(page)).toEqual([]);
  });

  it('is usable 400 px wide, with nothing wider than the screen', async () => {
    await page.setViewportSize({ width: 400, height: 860 });
    for (const path of [
      '/',
      '/sessions',
      '/sessions?view=deleted',
      `/sessions/${demoSessionId}`,
      '/settings/api-keys',
    ]) {
      await page.goto(`${baseURL}${path}`);
      await page.locator('main h1').first().waitFor();
      await page.locator('.loading').waitFor({ state: 'detached' });
      const width = await page.evaluate('document.documentElement.scrollWidth');
      expect({ path, width }).toEqual({ path, width: 400 });
    }
    await page.goto(`${baseURL}/`);
    await page.getByRole('heading', { name: 'Spend by model' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-overview-400px.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  describe('spend by API key and member, latency, and spend limits', () => {
    /** How many calls the organization has stored so far (earlier cases make some). */
    const storedCalls = async () =>
      Number(
        (
          await app.sql<{ n: string }>(`select count(*)::text as n from interactions where organization_id = $1`, [
            organizationId,
          ])
        )[0].n,
      );
    let admin: TestUser;
    let member: TestUser;
    let adminKey: string;

    it('splits the overview by API key and by member, and draws requests, latency and time to first token', async () => {
      const login = await app.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
      const owner = { auth: { authorization: `Bearer ${login.json().accessToken}` } } as TestUser;
      admin = await registerUser(app, 'Ada Admin');
      member = await registerUser(app, 'Mo Member');
      await addMember(app, owner, organizationId, admin, 'admin');
      await addMember(app, owner, organizationId, member, 'member');
      adminKey = (await createApiKey(app, admin, { name: 'ci pipeline' }, organizationId)).key;
      const usage = { input: 3_000, output: 400 };
      // Earlier cases stored calls too: wait for these two, not for a count they already reach.
      const storedBefore = await storedCalls();
      await proxyCall(
        sdk(baseURL, adminKey),
        { session: 'ci-build', model: 'claude-sonnet-4-6', usage },
        'Fix the build',
        {
          stream: true,
        },
      );
      await proxyCall(client, { session: 'ci-build', model: 'claude-opus-4-6', usage }, 'Review the fix', {
        stream: true,
      });
      await waitForInteractions(app, organizationId, storedBefore + 2);
      // What each member made, counted from the stored calls (earlier cases made the owner's).
      const callsBy = async (userId: string) =>
        (
          await app.sql<{ n: string }>(
            `select count(*)::text as n from interactions where organization_id = $1 and user_id = $2`,
            [organizationId, userId],
          )
        )[0].n;
      const ownerId = (await app.request({ method: 'GET', url: '/api/v1/auth/me', headers: owner.auth })).json().user
        .id;

      await page.goto(`${baseURL}/?by=api_key`);
      await page.getByRole('heading', { name: 'Spend by API key' }).waitFor();
      const spendChart = page.locator('.chart').first();
      await spendChart.locator('canvas').waitFor();
      for (const name of ['console laptop', 'ci pipeline']) {
        expect(await spendChart.textContent()).toContain(name);
        await page.getByRole('cell', { name: new RegExp(`^${name} \\(lmp_`) }).waitFor();
      }
      expect(await page.getByRole('link', { name: 'By API key' }).getAttribute('aria-current')).toBe('true');
      expect(await axeViolations(page)).toEqual([]);

      await page.getByRole('link', { name: 'By member' }).click();
      await page.waitForURL(/\/\?by=member$/);
      await page.getByRole('heading', { name: 'Spend by member' }).waitFor();
      const memberRow = (name: string) => page.locator('.table-wrap tr', { hasText: name }).locator('td');
      await memberRow('Ada Admin').first().waitFor();
      await page.locator('.chart').first().locator('canvas').waitFor();
      expect(await callsBy(admin.id)).toBe('1');
      expect(await memberRow('Ada Admin').nth(1).textContent()).toBe(await callsBy(admin.id));
      expect(await memberRow('Console Owner').nth(1).textContent()).toBe(await callsBy(ownerId));
      expect(await page.locator('.chart').first().textContent()).toContain('Ada Admin');

      // Requests and errors, and latency with time to first token: lines drawn on canvases.
      const latencyChart = page.getByRole('img', { name: 'Latency and time to first token over time, p50 and p95' });
      await latencyChart.locator('canvas').waitFor();
      for (const label of ['Latency p50', 'Latency p95', 'Time to first token p50', 'Time to first token p95'])
        expect(await latencyChart.textContent()).toContain(label);
      const ttft = await page.locator('.tile', { hasText: 'Latency' }).locator('.tile-hint').textContent();
      expect(ttft).toMatch(/^p95 \d+ ms · first token \d+ ms$/);
      expect(await page.getByRole('img', { name: 'Requests and errors over time' }).locator('canvas').count()).toBe(1);
      await page.screenshot({ path: join(SHOTS, 'console-overview-by-member.png'), fullPage: true });
    });

    it('sets a limit for a member on the spend-limits page, and shows it with its utilization after calls', async () => {
      await page.goto(`${baseURL}/settings/limits`);
      await page.getByRole('heading', { name: 'Spend limits' }).waitFor();
      await page.getByText('No limits yet').waitFor();
      expect(await axeViolations(page)).toEqual([]);

      const form = page.getByRole('form', { name: 'Set a limit' });
      await form.getByLabel('Applies to').selectOption('user');
      await form.getByLabel(/^Member/).selectOption(admin.id);
      await form.getByLabel('Period').selectOption('monthly');
      await form.getByLabel('Amount (USD)').fill('0.05');
      await form.getByRole('button', { name: 'Save limit' }).click();
      await page.getByText('Limit saved.').waitFor();
      const row = page.getByRole('region', { name: 'Spend limits' }).locator('tr', { hasText: 'Ada Admin' });
      await row.waitFor();
      expect(await row.textContent()).toContain('$0.05');
      expect(await row.locator('.meter-text').textContent()).toBe('0%');
      // A call with Ada's key counts against the limit on her.
      const storedBefore = await storedCalls();
      await proxyCall(sdk(baseURL, adminKey), {
        session: 'ci-build',
        model: 'claude-sonnet-4-6',
        usage: { input: 3_000, output: 400 },
      });
      await waitForInteractions(app, organizationId, storedBefore + 1);
      const used = await eventually(async () => {
        await page.reload();
        await row.waitFor();
        const value = Number(await row.locator('meter').getAttribute('value'));
        return value > 0 ? value : undefined;
      }, 10_000);
      expect(await row.locator('.meter-text').textContent()).toBe(`${Math.round(used * 1000) / 10}%`);

      // The amount changes in place.
      await page.getByRole('button', { name: /^Change amount of the limit on Ada Admin/ }).click();
      await page.getByLabel(/^New amount for Ada Admin/).fill('0.10');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await row.getByText('$0.10').waitFor();

      // Spend per member beside the limit.
      const report = page.locator('.card', {
        has: page.getByRole('heading', { name: 'Spend per API key and member' }),
      });
      await report.locator('tr', { hasText: 'Ada Admin' }).locator('meter').waitFor();
      expect(await report.locator('tr', { hasText: 'ci pipeline' }).count()).toBe(1);
      await page.screenshot({ path: join(SHOTS, 'console-spend-limits.png'), fullPage: true });
      expect(await axeViolations(page)).toEqual([]);

      // Bookmarkable: the report period is in the URL.
      await report.getByRole('link', { name: 'Today' }).click();
      await page.waitForURL(/\/settings\/limits\?period=daily$/);
      await report.getByText(/^From /).waitFor();

      // Usable 400 px wide.
      await page.setViewportSize({ width: 400, height: 860 });
      await page.reload();
      await page.getByRole('heading', { name: 'Spend limits' }).waitFor();
      await page.locator('.loading').waitFor({ state: 'detached' });
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBe(400);
      await page.screenshot({ path: join(SHOTS, 'console-spend-limits-400px.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });

      // An organization-wide limit, then one deleted.
      await form.getByLabel('Applies to').selectOption('organization');
      expect(await form.getByLabel('Period').inputValue()).toBe('monthly');
      await form.getByLabel('Amount (USD)').fill('100');
      await form.getByRole('button', { name: 'Save limit' }).click();
      await page
        .getByRole('cell', { name: /^Organization The whole organization/ })
        .first()
        .waitFor();
      await form.getByLabel('Applies to').selectOption('organization');
      await form.getByLabel('Period').selectOption('daily');
      await form.getByLabel('Amount (USD)').fill('1');
      await form.getByRole('button', { name: 'Save limit' }).click();
      await eventuallyCount(page, '[aria-label="Spend limits"] tbody tr', 3);
      await page.getByRole('button', { name: 'Delete the limit on The whole organization' }).first().click();
      await page.getByRole('button', { name: 'Confirm delete' }).click();
      await eventuallyCount(page, '[aria-label="Spend limits"] tbody tr', 2);
    });

    it('shows a member the limits read only, with no way to change them', async () => {
      const saved = await page.context().cookies();
      const opened = await app.request({
        method: 'POST',
        url: '/api/v1/auth/cookie/login',
        headers: { 'x-lamplight-csrf': '1' },
        payload: { email: member.email, password: member.password },
      });
      const cookie = /^lamplight_session=([^;]+)/.exec(String(opened.headers['set-cookie']))?.[1] ?? '';
      await page.context().clearCookies();
      await page.context().addCookies([{ name: 'lamplight_session', value: cookie, url: baseURL }]);
      try {
        await page.goto(`${baseURL}/`);
        await page.locator('#org-switcher').selectOption(organizationId);
        await page.goto(`${baseURL}/settings/limits`);
        await page.getByText(/^Read only: you see the organization's limits and your own/).waitFor();
        await page
          .getByRole('cell', { name: /^Organization The whole organization/ })
          .first()
          .waitFor();
        // Another member's limit is not theirs to see; nothing can be changed.
        expect(await page.locator('tr', { hasText: 'Ada Admin' }).locator('meter').count()).toBe(0);
        expect(await page.getByRole('button', { name: /Save limit|Change amount|Delete the limit/ }).count()).toBe(0);
        expect(await page.getByLabel('Webhook URL for alerts').isDisabled()).toBe(true);
        expect(await axeViolations(page)).toEqual([]);
        // The overview offers no split by key or member to a member.
        await page.goto(`${baseURL}/?by=member`);
        await page.getByText('Spend by API key and by member is shown to owners and admins.').waitFor();
      } finally {
        await page.context().clearCookies();
        await page.context().addCookies(saved);
      }
    });
  });

  it('switches organization: every call then names it in X-Organization-Id, and the keyboard reaches the page first', async () => {
    const created = await app.request({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: { cookie: await cookieHeader(), 'x-lamplight-csrf': '1' },
      payload: { name: 'Second Team' },
    });
    expect(created.statusCode).toBe(201);
    const second = created.json().id as string;
    await page.goto(`${baseURL}/settings/organization`);
    await page.getByLabel('Organization', { exact: true }).waitFor();
    // The first Tab lands on the skip link, which moves focus to the page's content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Skip to content');
    const sent: Array<string | undefined> = [];
    page.on('request', (request) => {
      if (
        new URL(request.url()).pathname.startsWith('/api/') ||
        new URL(request.url()).pathname.startsWith('/spotlight/')
      )
        sent.push(request.headers()['x-organization-id']);
    });
    await page.getByLabel('Organization', { exact: true }).selectOption(second);
    await page.getByText('No calls in this period').waitFor();
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent)).toEqual(new Set([second]));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click();
    await page.getByText('No sessions yet').waitFor();
    await page.getByLabel('Organization', { exact: true }).selectOption(organizationId);
    await page.getByRole('heading', { name: 'Spend by model' }).waitFor();
  });

  it('signs out: the cookie is cleared and the console asks to sign in again', async () => {
    await page.goto(`${baseURL}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await page.context().cookies()).find((c) => c.name === 'lamplight_session')).toBeUndefined();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong email or password').waitFor();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('refuses a cookie-signed change without the CSRF header or from another origin; bearer tokens are unaffected', async () => {
    const cookie = await cookieHeader();
    expect(cookie).toContain('lamplight_session=');
    const create = (headers: Record<string, string>) =>
      app.request({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: { cookie, ...headers },
        payload: { name: 'csrf probe' },
      });
    expectProblem(await create({}), 403, 'CSRF_CHECK_FAILED');
    expectProblem(await create({ 'x-lamplight-csrf': '1', origin: 'https://evil.example' }), 403, 'CSRF_CHECK_FAILED');
    expect((await create({ 'x-lamplight-csrf': '1', origin: baseURL, host: new URL(baseURL).host })).statusCode).toBe(
      201,
    );
    expect((await create({ 'x-lamplight-csrf': '1' })).statusCode).toBe(201);
    // Reads need no header; sign-in itself needs it too (no login CSRF).
    expect((await app.request({ method: 'GET', url: '/api/v1/api-keys', headers: { cookie } })).statusCode).toBe(200);
    expectProblem(
      await app.request({ method: 'POST', url: '/api/v1/auth/cookie/login', payload: { email, password } }),
      403,
      'CSRF_CHECK_FAILED',
    );
    // A bearer token wins over the cookie and needs no CSRF header.
    const login = await app.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    const bearer = { authorization: `Bearer ${login.json().accessToken}` };
    expect(
      (
        await app.request({
          method: 'POST',
          url: '/api/v1/api-keys',
          headers: { ...bearer, cookie: 'lamplight_session=garbage' },
          payload: { name: 'bearer' },
        })
      ).statusCode,
    ).toBe(201);
    // The body of a cookie sign-in never carries the token.
    const opened = await app.request({
      method: 'POST',
      url: '/api/v1/auth/cookie/login',
      headers: { 'x-lamplight-csrf': '1' },
      payload: { email, password },
    });
    expect(opened.statusCode).toBe(200);
    expect(opened.body).not.toMatch(/eyJ/);
    expect(String(opened.headers['set-cookie'])).toMatch(
      /^lamplight_session=eyJ[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
  });

  it('answers hostile cookies and CSRF headers with 401 or 403, never a server error or a change', async () => {
    const before = await app.sql<{ n: string }>('select count(*)::text as n from api_keys where organization_id = $1', [
      organizationId,
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.option(fc.string({ maxLength: 50 }), { nil: undefined }),
        fc.option(fc.oneof(fc.webUrl(), fc.string({ maxLength: 50 })), { nil: undefined }),
        async (value, csrf, origin) => {
          const cookie = `lamplight_session=${headerSafe(value).replace(/;/g, '')}`;
          const headers: Record<string, string> = { cookie };
          if (csrf !== undefined) headers['x-lamplight-csrf'] = headerSafe(csrf);
          if (origin !== undefined) headers.origin = headerSafe(origin);
          const response = await app.request({
            method: 'POST',
            url: '/api/v1/api-keys',
            headers,
            payload: { name: 'fuzz' },
          });
          expect([401, 403]).toContain(response.statusCode);
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        },
      ),
      { numRuns: 60 },
    );
    const after = await app.sql<{ n: string }>('select count(*)::text as n from api_keys where organization_id = $1', [
      organizationId,
    ]);
    expect(after[0].n).toBe(before[0].n);
  });
});

/** Only what an HTTP header value can carry: printable ASCII. */
function headerSafe(text: string): string {
  return [...text].filter((c) => c >= ' ' && c <= '~').join('');
}

async function eventuallyCount(page: Page, selector: string, count: number): Promise<void> {
  // Polled from here: the console's content security policy forbids the page evaluating strings.
  const deadline = Date.now() + 10_000;
  while ((await page.locator(selector).count()) !== count) {
    if (Date.now() > deadline)
      throw new Error(`${selector}: expected ${count} elements, found ${await page.locator(selector).count()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
