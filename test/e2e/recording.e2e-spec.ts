import Anthropic from '@anthropic-ai/sdk';
import { MikroORM } from '@mikro-orm/postgresql';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type Pool } from 'pg';
import { request as httpRequest } from 'undici';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { findFreePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres';
import { createOrmOptions } from '../../src/database/orm-options';
import { PG_POOL } from '../../src/database/pg-pool';
import { InteractionWriter } from '../../src/modules/recording/interaction-writer.repository';
import { callRecords, UNPRICED_MODEL, type Call } from '../support/analytics-fixtures';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
  type LooseRecord,
} from '../support/test-app';

const PROVIDER_KEY = 'sk-ant-api03-lamplight-recording-test-key-0123456789';
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

async function setUpOrganization(app: TestApp): Promise<{ owner: TestUser; key: string }> {
  const owner = await registerUser(app, 'Recorder Owner');
  const key = (await createApiKey(app, owner)).key;
  await storeProviderKey(app, owner, PROVIDER_KEY);
  return { owner, key };
}

async function query<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

function streamCall(baseURL: string, key: string, sessionId: string, scenario: object) {
  return httpRequest(`${baseURL}/spotlight/anthropic/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'x-api-key': key,
      'x-lamplight-session-id': sessionId,
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      stream: true,
      messages: [{ role: 'user', content: `MOCK:${JSON.stringify(scenario)} go` }],
    }),
  });
}

describe('recording', () => {
  let mock: MockAnthropic;

  beforeAll(async () => {
    mock = await startMockAnthropic();
  });
  afterAll(() => mock.close());

  describe('content, pricing and metrics', () => {
    let app: TestApp;
    let baseURL: string;
    let owner: TestUser;
    let key: string;

    beforeAll(async () => {
      app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url, METRICS_TOKEN, CONTENT_MAX_BYTES: '2048' });
      baseURL = await listen(app);
      ({ owner, key } = await setUpOrganization(app));
    });
    afterAll(() => app.close());

    const rowsOf = (externalId: string) =>
      eventually(async () => {
        const rows = await app.sql<LooseRecord>(
          `select i.* from interactions i join sessions s on s.id = i.session_id where s.organization_id = $1 and s.external_id = $2`,
          [owner.organizationId, externalId],
        );
        return rows.length > 0 ? rows : undefined;
      });

    it('records an unknown model with a null cost and counts it as unpriced', async () => {
      const client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
      await client.messages.create({
        model: 'claude-model-from-the-future',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
        metadata: { user_id: 'unpriced-session' },
      });
      const [row] = await rowsOf('unpriced-session');
      expect(row.cost_total_nano_usd).toBeNull();
      expect(row.cost_input_nano_usd).toBeNull();
      expect(row.input_tokens).toBeGreaterThan(0);
      const [session] = await app.sql(`select unpriced_requests, cost_nano_usd from sessions where id = $1`, [
        row.session_id,
      ]);
      expect(session).toEqual({ unpriced_requests: '1', cost_nano_usd: '0' });
      const [hour] = await app.sql(
        `select requests, unpriced_requests from usage_hourly where organization_id = $1 and model = $2`,
        [owner.organizationId, 'claude-model-from-the-future'],
      );
      expect(hour).toEqual({ requests: '1', unpriced_requests: '1' });

      const metrics = await app.request({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toMatch(/lamplight_interactions_unpriced_total\{model="claude-model-from-the-future"\} 1/);
      expect(metrics.body).toMatch(/lamplight_recorder_written_total [1-9]/);
      expect(metrics.body).toContain('lamplight_proxy_request_duration_seconds_bucket');
      expect((await app.request({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    });

    it('gives calls time-ordered ids (UUID version 7) that carry the time the call was recorded', async () => {
      const client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
      for (let i = 0; i < 3; i++) {
        await client.messages.create({
          model: 'claude-sonnet-4-6',
          max_tokens: 16,
          messages: [{ role: 'user', content: `call ${i}` }],
          metadata: { user_id: 'time-ordered-ids' },
        });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const rows = await eventually(async () => {
        const found = await rowsOf('time-ordered-ids');
        return found.length === 3 ? found : undefined;
      });
      const byStart = [...rows].sort((a, b) => +new Date(a.started_at as string) - +new Date(b.started_at as string));
      const ids = byStart.map((r) => r.id as string);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // Ordered as the calls were made, by their text as by their bytes.
      expect([...ids].sort()).toEqual(ids);
      for (const row of byStart) {
        const millis = parseInt((row.id as string).replace(/-/g, '').slice(0, 12), 16);
        // Made when the call is recorded, a moment after it started (the mock answers at once).
        expect(Math.abs(millis - +new Date(row.started_at as string))).toBeLessThan(1_000);
      }
    });

    it('records text with NUL characters without them, and a literal backslash-u0000 as written', async () => {
      const client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
      await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'nul\u0000here and C:\\u0000dir' }],
        metadata: { user_id: 'nul-session' },
      });
      const [row] = await rowsOf('nul-session');
      expect(row.user_query).toBe('nulhere and C:\\u0000dir');
      expect(JSON.stringify(row.content)).toContain('nulhere and C:\\\\u0000dir');
    });

    it('truncates content over the size cap with a marker', async () => {
      const client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
      await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: [{ role: 'user', content: `long question ${'x'.repeat(10_000)}` }],
        metadata: { user_id: 'big-session' },
      });
      const [row] = await rowsOf('big-session');
      expect(row.content_truncated).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(row.content))).toBeLessThanOrEqual(2048 + 64);
      expect(JSON.stringify(row.content)).toContain('…[truncated]');
      expect(row.user_query.length).toBeLessThan(2100);
    });

    it('keeps usage only when the organization turns content storage off', async () => {
      const off = await app.request({
        method: 'PATCH',
        url: `/api/v1/organizations/${owner.organizationId}`,
        headers: owner.auth,
        payload: { settings: { storeContent: false } },
      });
      expect(off.statusCode).toBe(200);
      const client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
      await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'a private question' }],
        metadata: { user_id: 'private-session' },
      });
      const [row] = await rowsOf('private-session');
      expect(row).toMatchObject({ content: null, user_query: null, final_output: null, outcome: 'ok' });
      expect(row.output_tokens).toBeGreaterThan(0);
    });
  });

  describe('upstream failures', () => {
    let app: TestApp;
    let baseURL: string;
    let owner: TestUser;
    let key: string;

    beforeAll(async () => {
      app = await startTestApp({
        ANTHROPIC_BASE_URL: mock.url,
        UPSTREAM_HEADERS_TIMEOUT_MS: '500',
        UPSTREAM_IDLE_TIMEOUT_MS: '500',
      });
      baseURL = await listen(app);
      ({ owner, key } = await setUpOrganization(app));
    });
    afterAll(() => app.close());

    const rowOf = (externalId: string) =>
      eventually(async () => {
        const [row] = await app.sql<LooseRecord>(
          `select i.* from interactions i join sessions s on s.id = i.session_id where s.organization_id = $1 and s.external_id = $2`,
          [owner.organizationId, externalId],
        );
        return row;
      });

    it('answers 504 when no headers arrive in time', async () => {
      const response = await streamCall(baseURL, key, 'no-headers', { stallBeforeHeaders: true });
      expect(response.statusCode).toBe(504);
      expect(await response.body.json()).toMatchObject({ type: 'error', error: { type: 'timeout_error' } });
      expect(await rowOf('no-headers')).toMatchObject({ outcome: 'upstream_error', http_status: 504 });
    });

    it('ends a stream that stalls with an error event, and records upstream_error with the usage so far', async () => {
      const response = await streamCall(baseURL, key, 'stalled', { stallAfterFrames: 4, usage: { input_tokens: 77 } });
      expect(response.statusCode).toBe(200);
      const text = await response.body.text();
      expect(text).toContain('event: message_start');
      expect(text.trimEnd().split('\n\n').at(-1)).toMatch(/^event: error\ndata: .*"type":"error"/);
      expect(await rowOf('stalled')).toMatchObject({ outcome: 'upstream_error', input_tokens: 77 });
    });

    it('records a connection reset mid-stream as upstream_error, distinct from a cancel', async () => {
      const response = await streamCall(baseURL, key, 'reset', { resetAfterFrames: 3, usage: { input_tokens: 55 } });
      await response.body.text().catch(() => undefined);
      expect(await rowOf('reset')).toMatchObject({ outcome: 'upstream_error', input_tokens: 55 });
    });

    it('passes an upstream error event through and records upstream_error', async () => {
      const response = await streamCall(baseURL, key, 'error-event', { errorEventAfterFrames: 3 });
      const text = await response.body.text();
      expect(text).toContain('overloaded_error');
      expect(await rowOf('error-event')).toMatchObject({ outcome: 'upstream_error', error_type: 'overloaded_error' });
    });
  });

  describe('shutdown', () => {
    it('lets live streams finish and flushes every interaction before closing', async () => {
      const app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
      const baseURL = await listen(app);
      const { owner, key } = await setUpOrganization(app);
      const calls = [1, 2, 3].map((n) => streamCall(baseURL, key, `drain-${n}`, { deltas: 10, deltaDelayMs: 60 }));
      const responses = await Promise.all(calls);
      const bodies = responses.map((r) => r.body.text());
      const closing = app.close();
      const texts = await Promise.all(bodies);
      await closing;
      for (const text of texts) expect(text).toContain('event: message_stop');
      const rows = await query<{ outcome: string }>(
        (app as unknown as { databaseUrl?: string }).databaseUrl ?? process.env.LAMPLIGHT_TEST_DATABASE_URL!,
        `select i.outcome from interactions i join sessions s on s.id = i.session_id where s.organization_id = $1 and s.external_id like 'drain-%'`,
        [owner.organizationId],
      );
      expect(rows.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok']);
    });
  });

  describe('concurrent batches', () => {
    let app: TestApp;
    let owners: TestUser[];

    beforeAll(async () => {
      app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
      owners = [];
      for (const name of ['Concurrent Writer', 'Second Writer', 'Third Writer'])
        owners.push(await registerUser(app, name));
    });
    afterAll(() => app.close());

    it('writes four overlapping batches of three organizations at once, in one statement and one per organization, each call counted exactly once in its session and its hour', async () => {
      // The app writes a batch in one statement; DATABASE_DISTRIBUTED=true writes one per organization. Both at once.
      const writers = [
        app.app.get(InteractionWriter, { strict: false }),
        new InteractionWriter(app.app.get<Pool>(PG_POOL), { databaseDistributed: true }),
      ];
      const models = ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7', UNPRICED_MODEL];
      const hour = Date.parse('2026-11-01T00:00:00Z');
      let seed = 7;
      const next = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
      // Each round: four batches at once over different-sized, overlapping sets of sessions and rollup rows.
      const calls = (size: number): Call[] =>
        Array.from({ length: size }, () => ({
          session: `lock-${next(40)}`,
          model: models[next(models.length)],
          usage: { input: 1 + next(50), output: 1 + next(50) },
          at: new Date(hour + next(24) * 3_600_000 + next(3_600_000)).toISOString(),
        }));
      /** The organizations' calls interleaved, as a batch of the recorder holds them. */
      const batch = async (size: number) => {
        const records = (await Promise.all(owners.map((owner) => callRecords(app, owner, calls(size))))).flat();
        for (let i = records.length - 1; i > 0; i--) {
          const j = next(i + 1);
          [records[i], records[j]] = [records[j], records[i]];
        }
        return records;
      };
      const rounds = 20;
      const failures: string[] = [];
      let total = 0;
      for (let round = 0; round < rounds; round++) {
        const batches = await Promise.all(Array.from({ length: 4 }, () => batch(10 + next(100))));
        total += batches.reduce((sum, records) => sum + records.length, 0);
        const outcomes = await Promise.allSettled(batches.map((records, i) => writers[(round + i) % 2].write(records)));
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected')
            failures.push(`${(outcome.reason as { code?: string }).code}: ${String(outcome.reason)}`);
        }
      }
      expect(failures).toEqual([]);
      const organizations = owners.map((owner) => owner.organizationId);
      const [counted] = await app.sql<{ interactions: string }>(
        `select count(*)::text as interactions from interactions where organization_id = any($1)`,
        [organizations],
      );
      expect(Number(counted.interactions)).toBe(total);
      // Every session's and every hour's totals match the calls stored for it: none missed, none twice.
      const sessionMismatches = await app.sql(
        `select s.external_id, s.request_count, count(i.id) as stored
         from sessions s left join interactions i on i.organization_id = s.organization_id and i.session_id = s.id
         where s.organization_id = any($1) group by s.organization_id, s.id having s.request_count <> count(i.id)`,
        [organizations],
      );
      const hourMismatches = await app.sql(
        `select coalesce(u.organization_id, i.organization_id) as organization, coalesce(u.hour, i.hour) as hour,
           coalesce(u.model, i.model) as model, u.requests, i.stored
         from (select * from usage_hourly where organization_id = any($1)) u
         full join (select organization_id, date_trunc('hour', started_at, 'UTC') as hour, model, count(*) as stored
                    from interactions where organization_id = any($1) group by 1, 2, 3) i
           on i.organization_id = u.organization_id and i.hour = u.hour and i.model = u.model
         where u.requests is distinct from i.stored`,
        [organizations],
      );
      const principalAndLatencyMismatches = await app.sql(
        `select i.organization_id, i.hour, i.stored, p.requests as by_principal, l.requests as by_latency
         from (select organization_id, date_trunc('hour', started_at, 'UTC') as hour, count(*) as stored
               from interactions where organization_id = any($1) group by 1, 2) i
         left join (select organization_id, hour, sum(requests) as requests from usage_hourly_principals group by 1, 2) p
           on p.organization_id = i.organization_id and p.hour = i.hour
         left join (select organization_id, hour, sum(requests) as requests from latency_hourly where metric = 'latency' group by 1, 2) l
           on l.organization_id = i.organization_id and l.hour = i.hour
         where p.requests is distinct from i.stored or l.requests is distinct from i.stored`,
        [organizations],
      );
      expect({ sessionMismatches, hourMismatches, principalAndLatencyMismatches }).toEqual({
        sessionMismatches: [],
        hourMismatches: [],
        principalAndLatencyMismatches: [],
      });
    });
  });

  describe('a database outage during a call', () => {
    let database: EmbeddedDatabase;
    let directory: string;
    let port: number;

    afterAll(async () => {
      await database?.stop().catch(() => undefined);
    });

    it('still gives the client its whole response, and stores the interaction exactly once when the database returns', async () => {
      directory = mkdtempSync(join(tmpdir(), 'lamplight-outage-'));
      chmodSync(directory, 0o755); // the embedded server runs as the postgres user
      port = await findFreePort();
      database = await startEmbeddedPostgres(join(directory, 'pg'), 'lamplight', () => undefined, port);
      const orm = await MikroORM.init({
        ...createOrmOptions(database.url),
        allowGlobalContext: true,
        logger: () => undefined,
      });
      await orm.migrator.up();
      await orm.close(true);

      const app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url, DATA_DIR: join(directory, 'data') }, database.url);
      try {
        const baseURL = await listen(app);
        const { key } = await setUpOrganization(app);
        const response = await streamCall(baseURL, key, 'outage', {
          deltas: 12,
          deltaDelayMs: 80,
          usage: { input_tokens: 999 },
        });
        expect(response.statusCode).toBe(200);
        const body = response.body.text();
        await database.stop();
        const text = await body;
        expect(text).toContain('event: message_stop');
        const upstreamId = mock.requests.at(-1)!.id;
        expect(Buffer.from(text).equals(mock.sentBytes.get(upstreamId)!)).toBe(true);

        await eventually(async () => {
          const metrics = await app.request({ method: 'GET', url: '/metrics' });
          return /lamplight_recorder_spooled_total [1-9]/.test(metrics.body) ? true : undefined;
        });

        database = await startEmbeddedPostgres(join(directory, 'pg'), 'lamplight', () => undefined, port);
        const rows = await eventually(async () => {
          const found = await query<{ input_tokens: number }>(
            database.url,
            `select input_tokens from interactions where upstream_request_id = $1`,
            [upstreamId],
          ).catch(() => []);
          return found.length > 0 ? found : undefined;
        }, 10_000);
        expect(rows).toEqual([{ input_tokens: 999 }]);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect(
          await query(database.url, `select id from interactions where upstream_request_id = $1`, [upstreamId]),
        ).toHaveLength(1);
        const [session] = await query<{ request_count: string }>(
          database.url,
          `select request_count from sessions where external_id = 'outage'`,
        );
        expect(session.request_count).toBe('1');
      } finally {
        await app.close().catch(() => undefined);
      }
    });
  });
});
