import Anthropic from '@anthropic-ai/sdk';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { verifyWebhook } from '../../src/modules/spend-limits/webhook-security';
import { createOrganization, orgHeader } from '../support/tenancy-fixtures';
import { Client } from 'pg';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  testDatabaseUrl,
  type TestApp,
} from '../support/test-app';

const CONSOLE = '/api/v1/spend-limits';
const ENV = { SPEND_WEBHOOKS_ALLOW_PRIVATE: 'true', PROXY_RATE_LIMIT_PER_MINUTE: '0' };

interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
}

/**
 * Alert webhooks are delivered from the database: a delivery an instance could not make is
 * retried by whichever instance runs when it is due, once, and the signing secret is stored sealed.
 */
describe('spend alert webhooks across restarts', () => {
  let mock: MockAnthropic;
  let receiver: Server;
  let receiverUrl: string;
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  let failures = 1;
  const apps: TestApp[] = [];
  let db: Client;
  const sql = async <T>(text: string, values: unknown[] = []) => (await db.query(text, values)).rows as T[];

  beforeAll(async () => {
    mock = await startMockAnthropic();
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = failures-- > 0 ? 503 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });

  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await db.end();
    await new Promise((resolve) => receiver.close(resolve));
    await mock.close();
  });

  it('an instance stopped mid-retry leaves the delivery to the next ones, which make it once, signed with the secret sealed at rest', async () => {
    // The first instance retries only after 3 s: it is stopped before then.
    const first = await startTestApp({ ...ENV, ANTHROPIC_BASE_URL: mock.url, SPEND_WEBHOOK_RETRY_BASE_MS: '3000' });
    apps.push(first);
    const url = await listen(first);
    const owner = await registerUser(first, 'Webhook Owner');
    const org = await createOrganization(first, owner, { name: 'Durable hooks' });
    const headers = { ...owner.auth, ...orgHeader(org.id) };
    await first.request({
      method: 'POST',
      url: '/api/v1/provider-keys',
      headers,
      payload: { name: 'anthropic', key: 'sk-ant-api03-spend-webhooks-durable-key-ffffffff' },
    });
    const key = await createApiKey(first, owner, { name: 'durable' }, org.id);
    expect(
      (
        await first.request({
          method: 'PATCH',
          url: `${CONSOLE}/settings`,
          headers,
          payload: { webhookUrl: receiverUrl, alertThresholds: [50] },
        })
      ).statusCode,
    ).toBe(200);
    const rotated = await first.request({ method: 'POST', url: `${CONSOLE}/settings/webhook-secret`, headers });
    const secret = rotated.json().secret as string;
    expect(secret).toMatch(/^whsec_/);

    // Shown once: stored sealed, nowhere in plain text, never in the settings again.
    const [stored] = await sql<{ webhook_secret: string | null; webhook_secret_sealed: string | null }>(
      `select webhook_secret, webhook_secret_sealed from spend_limit_settings where organization_id = $1`,
      [org.id],
    );
    expect(stored.webhook_secret).toBeNull();
    expect(stored.webhook_secret_sealed).toMatch(/^v1:/);
    expect(stored.webhook_secret_sealed).not.toContain(secret);
    const settings = await first.request({ method: 'GET', url: `${CONSOLE}/settings`, headers });
    expect(settings.json()).toMatchObject({ webhookSecretSet: true });
    expect(settings.body).not.toContain(secret);

    const created = await first.request({
      method: 'POST',
      url: CONSOLE,
      headers,
      payload: { scopeType: 'organization', period: 'monthly', amount: 0.02 },
    });
    expect(created.statusCode).toBe(201);
    // $0.015 of $0.02: past 50 %.
    await new Anthropic({
      baseURL: `${url}/spotlight/anthropic`,
      apiKey: key.key,
      maxRetries: 0,
      defaultHeaders: { 'x-lamplight-session-id': 'durable' },
    }).messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 1000,
      messages: [
        { role: 'user', content: `MOCK:${JSON.stringify({ usage: { input_tokens: 10, output_tokens: 1000 } })} go` },
      ],
    });
    const deliveries = () =>
      sql<DeliveryRow>(
        `select id, status, attempts, next_attempt_at, last_status_code from spend_webhook_deliveries where organization_id = $1`,
        [org.id],
      );
    const [pending] = await eventually(async () => {
      const rows = await deliveries();
      return rows.length === 1 && rows[0].attempts === 1 && rows[0].last_status_code === 503 ? rows : undefined;
    }, 15_000);
    expect(pending.status).toBe('pending');
    expect(pending.next_attempt_at!.getTime()).toBeGreaterThan(Date.now());
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    expect(received).toHaveLength(1);

    // As an older Lamplight stored it: the secret in plain text. The next instance seals it at start.
    await sql(
      `update spend_limit_settings set webhook_secret = $2, webhook_secret_sealed = null where organization_id = $1`,
      [org.id, secret],
    );
    // Two instances start; whichever claims the due delivery makes it, once.
    for (let i = 0; i < 2; i++)
      apps.push(await startTestApp({ ...ENV, ANTHROPIC_BASE_URL: mock.url, SPEND_WEBHOOK_RETRY_BASE_MS: '50' }));
    const [delivered] = await eventually(async () => {
      const rows = await deliveries();
      return rows[0]?.status === 'delivered' ? rows : undefined;
    }, 15_000);
    expect(delivered).toMatchObject({
      id: pending.id,
      status: 'delivered',
      attempts: 2,
      last_status_code: 204,
      next_attempt_at: null,
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(received).toHaveLength(2);
    expect(received.map((r) => r.headers['x-lamplight-delivery-id'])).toEqual([pending.id, pending.id]);
    for (const r of received) {
      expect(
        verifyWebhook(secret, String(r.headers['x-lamplight-signature']), r.body, Math.floor(Date.now() / 1000)),
      ).toBe(true);
    }
    expect(JSON.parse(received[1].body)).toMatchObject({ id: pending.id, data: { threshold_percent: 50 } });
    const [sealed] = await sql<{ webhook_secret: string | null; webhook_secret_sealed: string | null }>(
      `select webhook_secret, webhook_secret_sealed from spend_limit_settings where organization_id = $1`,
      [org.id],
    );
    expect(sealed.webhook_secret).toBeNull();
    expect(sealed.webhook_secret_sealed).toMatch(/^v1:/);
  });
});
