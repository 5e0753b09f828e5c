import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { type Browser, launchChromium } from '../support/browser';
import { OPENAPI_TAGS } from '../../src/openapi/document';
import { createApiKey, listen, registerUser, startTestApp, type TestApp, type TestUser } from '../support/test-app';

// Every run saves its screenshot under .data/; UPDATE_SCREENSHOTS=1 refreshes the committed one.
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS
  ? join(__dirname, '..', '..', 'docs', 'swagger-ui.png')
  : join(__dirname, '..', '..', '.data', 'screenshots', 'swagger-ui.png');

/** Swagger UI as people use it: browse, authorize once, try a call, come back later. */
describe('Swagger UI at /docs', () => {
  let app: TestApp;
  let baseURL: string;
  let user: TestUser;
  let apiKey: string;
  let context: BrowserContext;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp();
    baseURL = await listen(app);
    user = await registerUser(app, 'Swagger Visitor');
    apiKey = (await createApiKey(app, user, { name: 'swagger ui' })).key;
    browser = await launchChromium({ width: 1280, height: 1000 });
    context = browser.context;
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Expands an operation, presses "Try it out", fills header parameters, executes; returns the status cell and body. */
  async function tryItOut(page: Page, tag: string, operationId: string, headers: Record<string, string> = {}) {
    const operation = page.locator(`#operations-${tag.replace(/ /g, '_')}-${operationId}`);
    if (!(await operation.locator('.opblock-body').isVisible()))
      await operation.locator('.opblock-summary').first().click();
    const tryOut = operation.locator('button.try-out__btn');
    if ((await tryOut.innerText()).trim() === 'Try it out') await tryOut.click();
    // Clear the previous answer, so the one read below is this call's.
    const clear = operation.locator('button.btn-clear');
    if (await clear.isVisible()) await clear.click();
    await operation.locator('.live-responses-table').waitFor({ state: 'detached' });
    for (const [name, value] of Object.entries(headers)) {
      await operation.locator(`tr[data-param-name="${name}"][data-param-in="header"] input`).fill(value);
    }
    await operation.locator('button.execute').click();
    const live = operation.locator('.live-responses-table tbody .response');
    await live.first().waitFor({ timeout: 15_000 });
    return {
      status: (await live.first().locator('.response-col_status').innerText()).trim(),
      body: await live
        .first()
        .locator('.response-col_description pre.microlight, .response-col_description pre')
        .first()
        .innerText(),
      operation,
    };
  }

  it('shows every tag, authorizes with a JWT, runs getMe, keeps the authorization across a reload, and is screenshotted', async () => {
    const page = await context.newPage();
    const outside: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(baseURL)) outside.push(request.url());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    const response = await page.goto(`${baseURL}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Lamplight API');
    await page.locator('.opblock-tag').first().waitFor();
    const tags = await page.locator('.opblock-tag').evaluateAll((els) => els.map((el) => el.getAttribute('data-tag')));
    expect(tags).toEqual(OPENAPI_TAGS.map((tag) => tag.name));
    // Each tag's description from the document is on the page.
    expect(await page.locator('#operations-tag-Sessions').innerText()).toContain('external id');

    // Authorize with a real JWT in the bearer scheme; the API key scheme is offered beside it.
    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor();
    const schemes = dialog.locator('.auth-container');
    expect(await schemes.count()).toBe(2);
    expect(await dialog.innerText()).toContain('x-lamplight-api-key');
    const bearer = schemes.filter({ has: page.locator('h4 code', { hasText: /^bearer$/ }) });
    await bearer.locator('#auth-bearer-value').fill(user.token);
    await bearer.locator('button.authorize').click();
    await bearer.getByRole('button', { name: 'Remove authorization' }).waitFor();
    expect(await bearer.locator('h6').innerText()).toBe('Authorized');
    await dialog.locator('button.close-modal').click();

    const me = await tryItOut(page, 'Auth', 'getMe');
    expect(me.status).toBe('200');
    expect(JSON.parse(me.body)).toMatchObject({ user: { email: user.email } });
    // The curl Swagger UI shows carries the token it sent.
    expect(await me.operation.locator('.curl-command').innerText()).toContain(`Bearer ${user.token}`);

    // X-Organization-Id is a field of organization-scoped operations.
    const keys = await tryItOut(page, 'API keys', 'listApiKeys', { 'X-Organization-Id': user.organizationId });
    expect(keys.status).toBe('200');
    expect(await keys.operation.locator('.curl-command').innerText()).toContain(
      `X-Organization-Id: ${user.organizationId}`,
    );
    // An organization the user is not a member of is refused: the header really is sent.
    const otherOrg = await tryItOut(page, 'API keys', 'listApiKeys', { 'X-Organization-Id': randomUUID() });
    expect(otherOrg.status).toBe('403');
    expect(JSON.parse(otherOrg.body)).toMatchObject({ status: 403 });

    // The picture: getMe tried out, its 200 answer in view.
    await page.locator('#operations-Auth-getMe').evaluate((el) => {
      el.scrollIntoView({ block: 'start' });
      el.ownerDocument.defaultView!.scrollBy(0, -70);
    });
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);

    // After a reload the authorization is still there: getMe works without authorizing again.
    await page.reload({ waitUntil: 'load' });
    await page.locator('.opblock-tag').first().waitFor();
    await page.locator('.auth-wrapper button.authorize').click();
    const kept = page
      .locator('.dialog-ux .modal-ux .auth-container')
      .filter({ has: page.locator('h4 code', { hasText: /^bearer$/ }) });
    await kept.getByRole('button', { name: 'Remove authorization' }).waitFor();
    expect(await kept.locator('h6').innerText()).toBe('Authorized');
    await page.locator('.dialog-ux button.close-modal').click();
    const again = await tryItOut(page, 'Auth', 'getMe');
    expect(again.status).toBe('200');
    expect(JSON.parse(again.body)).toMatchObject({ user: { email: user.email } });

    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('takes a platform API key instead of a JWT', async () => {
    const page = await context.newPage();
    await page.goto(`${baseURL}/docs`, { waitUntil: 'load' });
    await page.locator('.opblock-tag').first().waitFor();
    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    const bearer = dialog.locator('.auth-container').filter({ has: page.locator('h4 code', { hasText: /^bearer$/ }) });
    const key = dialog.locator('.auth-container').filter({ has: page.locator('h4 code', { hasText: /^apiKey$/ }) });
    // The JWT from the previous visit is still there; sign it out and use the API key alone.
    await bearer.getByRole('button', { name: 'Remove authorization' }).click();
    await key.locator('#api_key_value').fill(apiKey);
    await key.locator('button.authorize').click();
    await key.getByRole('button', { name: 'Remove authorization' }).waitFor();
    await dialog.locator('button.close-modal').click();

    const me = await tryItOut(page, 'Auth', 'getMe');
    expect(me.status).toBe('200');
    expect(JSON.parse(me.body)).toMatchObject({ user: { email: user.email } });
    const curl = await me.operation.locator('.curl-command').innerText();
    expect(curl).toContain(`x-lamplight-api-key: ${apiKey}`);
    expect(curl).not.toContain('Authorization');
    await page.close();
  });
});
