/**
 * `npm run demo`: Lamplight against the mock Anthropic upstream, with no Anthropic key needed.
 * Starts the mock, starts Lamplight (embedded PostgreSQL unless DATABASE_URL is set), signs up a
 * demo user, creates a platform API key, stores a stand-in provider key, and sends a first
 * request and a first stream through the official SDK. Then it keeps running so you can try more
 * (Ctrl-C stops it); `--once` exits after the first requests.
 *
 * It runs beside a server started with `npm start`: its own data directory (DEMO_DATA_DIR, by
 * default `demo` under DATA_DIR) and its own port (DEMO_PORT, by default any free one).
 */
import Anthropic from '@anthropic-ai/sdk';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createApp } from '../src/app.factory';
import { loadAppConfig } from '../src/config/app-config';
import { loadDotEnv } from '../src/config/dotenv';
import { ConfigValidationError } from '../src/config/env.schema';
import { localUrl } from '../src/common/startup/banner';
import { lockDataDir } from '../src/common/startup/data-dir-lock';
import { assertPortAvailable } from '../src/common/startup/port';
import { startMockAnthropic } from './mock-anthropic';

const STAND_IN_PROVIDER_KEY = 'sk-ant-api03-demo-stand-in-key-for-the-mock-upstream';

async function main(): Promise<void> {
  loadDotEnv();
  const dataDir = process.env.DEMO_DATA_DIR ?? join(resolve(process.env.DATA_DIR || '.data'), 'demo');
  const mock = await startMockAnthropic({ record: false });
  const config = loadAppConfig({
    ...process.env,
    DATA_DIR: dataDir,
    PORT: process.env.DEMO_PORT ?? '0',
    ANTHROPIC_BASE_URL: mock.url,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  lockDataDir(config.dataDir);
  await assertPortAvailable(config.host, config.port);
  const { app } = await createApp({ config });
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const base = localUrl(config.host, typeof address === 'object' && address ? address.port : config.port);

  const call = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await app.inject({ method: method as 'POST', url: path, payload: body as object, headers });
    if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${response.body}`);
    return response.json<Record<string, string>>();
  };

  const email = `demo-${randomBytes(3).toString('hex')}@example.com`;
  const password = randomBytes(12).toString('base64url');
  const { accessToken } = await call('POST', '/api/v1/auth/register', { email, name: 'Demo User', password });
  const auth = { authorization: `Bearer ${accessToken}` };
  const { key } = await call('POST', '/api/v1/api-keys', { name: 'demo' }, auth);
  await call('POST', '/api/v1/provider-keys', { name: 'stand-in for the mock', key: STAND_IN_PROVIDER_KEY }, auth);

  const anthropic = new Anthropic({ baseURL: `${base}/spotlight/anthropic`, apiKey: key });
  const message = await anthropic.messages.create({
    model: 'claude-sonnet-5-5',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Hello through Lamplight!' }],
    metadata: { user_id: 'demo-session' },
  });
  const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  process.stdout.write(
    `\nLamplight is running at ${base} (Swagger UI: ${base}/docs), forwarding to a mock at ${mock.url}\n`,
  );
  process.stdout.write(`Signed up ${email} (password ${password}) and created the API key ${key}\n\n`);
  process.stdout.write(`messages.create → ${JSON.stringify(text)}\n  usage ${JSON.stringify(message.usage)}\n`);

  const stream = anthropic.messages.stream({
    model: 'claude-sonnet-5-5',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'And now as a stream, please.' }],
    metadata: { user_id: 'demo-session' },
  });
  process.stdout.write('messages.stream → ');
  stream.on('text', (delta) => process.stdout.write(delta));
  const final = await stream.finalMessage();
  process.stdout.write(`\n  usage ${JSON.stringify(final.usage)}\n\n`);
  process.stdout.write(
    [
      'Try it yourself:',
      `  curl -s ${base}/spotlight/anthropic/v1/messages -H 'x-api-key: ${key}' -H 'anthropic-version: 2023-06-01' \\`,
      `    -H 'content-type: application/json' -d '{"model":"claude-sonnet-5-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}'`,
      `  ANTHROPIC_BASE_URL=${base}/spotlight/anthropic ANTHROPIC_AUTH_TOKEN=${key} claude   # Claude Code, against the mock`,
      '',
      `The demo's data is in ${config.dataDir}. Ctrl-C stops it.`,
      '',
    ].join('\n'),
  );

  // Ctrl-C and SIGTERM: the app's shutdown hooks close it (and its embedded PostgreSQL) and exit.
  if (process.argv.includes('--once')) {
    await app.close();
    await mock.close();
    process.exit(0);
  }
}

main().catch((error: unknown) => {
  const reason =
    error instanceof ConfigValidationError
      ? error.message
      : error instanceof Error
        ? error.message || error.name
        : String(error);
  process.stderr.write(`demo failed: ${reason}\n`);
  process.exit(1);
});
