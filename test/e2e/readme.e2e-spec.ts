import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { listen, startTestApp, type TestApp } from '../support/test-app';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The README's fenced blocks in the given language, in order. */
function blocks(language: string): string[] {
  return [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === language).map((m) => m[2]);
}

/**
 * The README's walkthrough, run as written: its `sh` blocks, in order, in one shell, against a
 * server forwarding to the mock upstream, which is what its two start commands (`bash` blocks,
 * long-running) set up. No Anthropic key anywhere.
 */
describe('the README', () => {
  let mock: MockAnthropic;
  let app: TestApp;

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url, NODE_ENV: 'development' });
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('starts the walkthrough on the mock upstream, with no Anthropic key', () => {
    const commands = blocks('bash').map((block) => block.trim());
    expect(commands).toEqual(
      expect.arrayContaining([
        'npm run demo',
        'npm run mock-upstream',
        'ANTHROPIC_BASE_URL=http://127.0.0.1:4010 npm start',
      ]),
    );
    // The mock's default port is the one the start command names.
    expect(readFileSync(join(__dirname, '..', '..', 'mock-upstream', 'main.ts'), 'utf8')).toContain(
      "process.env.MOCK_ANTHROPIC_PORT ?? '4010'",
    );
    expect(README.split('\n').length).toBeLessThanOrEqual(200);
  });

  it('runs every shell block of the walkthrough, in order, as written', async () => {
    const script = ['set -euo pipefail', ...blocks('sh')].join('\n');
    expect(blocks('sh').length).toBeGreaterThanOrEqual(5);
    const base = await listen(app);
    const { stdout } = await promisify(execFile)('bash', ['-c', script], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, L: base },
      timeout: 60_000,
    });
    // One session throughout: two proxied calls and a task, renamed, analysed and shared.
    expect(stdout).toContain('"externalId": "first-hour"');
    expect(stdout).toContain('"taskCount": 2');
    expect(stdout).toContain('"title": "My first hour"');
    expect(stdout).toContain('"status": "completed"');
    expect(stdout).toMatch(/"session_id": "first-hour",\s+"title": "My first hour"/);
    expect(stdout).toContain('event: message_stop');
    expect(stdout).toMatch(/^200 text\/html/m);
  });
});
