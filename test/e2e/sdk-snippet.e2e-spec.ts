import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { createApiKey, listen, registerUser, startTestApp, storeProviderKey, type TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

/** The first TypeScript block of sdk/README.md, exactly as a reader copies it. */
function readmeSnippet(): string {
  const match = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, 'sdk', 'README.md'), 'utf8'));
  if (!match) throw new Error('sdk/README.md has no ```ts block');
  return match[1];
}

describe("sdk/README.md's snippet", () => {
  let mock: MockAnthropic;
  let app: TestApp;

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('runs as written with Node, saved beside sdk/, and lists the sessions', async () => {
    const baseUrl = await listen(app);
    const user = await registerUser(app, 'Snippet Reader');
    await storeProviderKey(app, user, 'sk-ant-api03-lamplight-sdk-snippet-test-0123456789');
    const { key } = await createApiKey(app, user);
    const call = await app.request({
      method: 'POST',
      url: '/spotlight/anthropic/v1/messages',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'x-lamplight-session-id': 'snippet-session' },
      payload: { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(call.statusCode).toBe(200);

    const file = join(ROOT, `.sdk-snippet-${process.pid}.mts`);
    writeFileSync(file, readmeSnippet());
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, LAMPLIGHT_URL: baseUrl, LAMPLIGHT_API_KEY: key },
      });
      expect(stdout).toMatch(/^snippet-session \d+$/m);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
