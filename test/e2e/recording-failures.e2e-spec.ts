/**
 * The recorder's fallbacks, each forced for real: content capture failing on an answer it cannot
 * read (the call is still recorded, without content), and a row the database refuses for what it
 * holds meeting an outage — held in memory, left to the journal, then replayed from the journal
 * files — without ever wedging the good rows behind it; and a batch of several organizations,
 * written in one statement or (tables distributed by organization) one per organization, a refused
 * row holding up no good one.
 */
import Anthropic from '@anthropic-ai/sdk';
import { Client, type Pool } from 'pg';
import { PG_POOL } from '../../src/database/pg-pool';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { ContentStatus } from '../../src/modules/recording/interaction.entity';
import type { InteractionRecord } from '../../src/modules/recording/interaction-record';
import { InteractionWriter } from '../../src/modules/recording/interaction-writer.repository';
import { RECORDER_LIMITS, RecorderService } from '../../src/modules/recording/recorder.service';
import { RetentionRepository } from '../../src/modules/retention/retention.repository';
import { callRecord } from '../support/analytics-fixtures';
import { sleep, startSeverableLink, type SeverableLink } from '../support/reliability-fixtures';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  testDatabaseUrl,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const PROVIDER_KEY = 'sk-ant-api03-lamplight-recording-failures-key-0123456789';
const METRICS_TOKEN = 'metrics-token-for-recording-failures-0123';

// Capturing content fails for the calls that ask for it (a stand-in for any failure in capture).
jest.mock('../../src/modules/proxy/content-capture', () => {
  const actual = jest.requireActual('../../src/modules/proxy/content-capture');
  return {
    ...actual,
    captureContent: (body: unknown, ...rest: unknown[]) => {
      if (JSON.stringify(body).includes('FAIL-CAPTURE')) throw new RangeError('capture failed on purpose');
      return actual.captureContent(body, ...rest);
    },
  };
});

/** The SQLSTATE a write failed with, undefined when it succeeded. */
const refusal = (write: Promise<unknown>) =>
  write.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );

/** Whether a promise is still pending after `ms`. */
const stillPending = async (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => false,
      () => false,
    ),
    sleep(ms).then(() => true),
  ]);

describe('recorder fallbacks', () => {
  let app: TestApp;
  let owner: TestUser;
  let key: string;
  let baseURL: string;
  let mock: MockAnthropic;
  let link: SeverableLink;
  /** Straight to the database, not through the link the app uses. */
  let direct: Client;
  const sql = async <T = Record<string, unknown>>(text: string, values?: unknown[]) =>
    (await direct.query(text, values)).rows as T[];

  const metric = async (name: string, target: TestApp = app) => {
    const metrics = await target.request({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics.body)?.[1] ?? 0);
  };

  beforeAll(async () => {
    mock = await startMockAnthropic({ record: false });
    direct = new Client({ connectionString: testDatabaseUrl() });
    await direct.connect();
    link = await startSeverableLink(testDatabaseUrl());
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url, METRICS_TOKEN }, link.through(testDatabaseUrl()));
    baseURL = await listen(app);
    owner = await registerUser(app, 'Fallback Owner');
    key = (await createApiKey(app, owner)).key;
    await storeProviderKey(app, owner, PROVIDER_KEY);
  });
  afterAll(async () => {
    link.restore();
    await app.close();
    await link.close();
    await direct.end();
    await mock.close();
  });

  it('records a call whose content cannot be captured without content, with its usage, and counts it', async () => {
    const before = await metric('lamplight_recorder_capture_failures_total');
    const client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
    const { data, response } = await client.messages
      .create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        system: `MOCK:${JSON.stringify({ usage: { input_tokens: 21, output_tokens: 8 } })}`,
        messages: [{ role: 'user', content: 'FAIL-CAPTURE hello' }],
        metadata: { user_id: 'capture-fails' },
      })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.type).toBe('message');
    const [row] = await eventually(async () => {
      const rows = await sql(
        `select i.outcome, i.input_tokens, i.output_tokens, i.user_query, i.final_output, i.content, i.content_status from interactions i join sessions s on s.id = i.session_id where s.external_id = 'capture-fails'`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(row).toEqual({
      outcome: 'ok',
      input_tokens: 21,
      output_tokens: 8,
      user_query: null,
      final_output: null,
      content: null,
      content_status: ContentStatus.CaptureFailed,
    });
    expect(await metric('lamplight_recorder_capture_failures_total')).toBe(before + 1);
    expect(app.logs.filter((line) => line.includes('Content capture failed'))).toHaveLength(1);
  });

  it('never wedges on a row the database refuses: held through an outage, left to the journal, replayed from it; the good rows are stored', async () => {
    const recorder = app.app.get(RecorderService);
    const [session] = await sql<{ id: string }>(`select id from sessions where organization_id = $1 limit 1`, [
      owner.organizationId,
    ]);
    const record = (inputTokens: number, upstreamRequestId: string): InteractionRecord =>
      callRecord(owner, session.id, upstreamRequestId, { inputTokens });
    const deadBefore = await metric('lamplight_recorder_dead_lettered_total');
    const replayedBefore = await metric('lamplight_recorder_replayed_total');
    const capacity = RECORDER_LIMITS.queueCapacity;
    link.sever();
    try {
      // The database is away and the queue holds nothing: every record is left to the journal alone.
      RECORDER_LIMITS.queueCapacity = 0;
      const batch = [record(5, 'req_good_1'), record(3_000_000_000, 'req_poison'), record(7, 'req_good_2')];
      await Promise.all(batch.map((r) => recorder.record(r)));
      await sleep(1_500); // a retry meets the outage
    } finally {
      RECORDER_LIMITS.queueCapacity = capacity;
      link.restore();
    }
    const stored = await eventually(async () => {
      const rows = await sql<{ upstream_request_id: string }>(
        `select upstream_request_id from interactions where upstream_request_id in ('req_good_1', 'req_good_2', 'req_poison') order by upstream_request_id`,
      );
      return rows.length === 2 ? rows : undefined;
    }, 10_000);
    expect(stored.map((row) => row.upstream_request_id)).toEqual(['req_good_1', 'req_good_2']);
    expect(await metric('lamplight_recorder_dead_lettered_total')).toBe(deadBefore + 1);
    expect(await metric('lamplight_recorder_replayed_total')).toBeGreaterThanOrEqual(replayedBefore + 3);
    const letters = readFileSync((recorder as unknown as { deadLetters: { file: string } }).deadLetters.file, 'utf8')
      .trim()
      .split('\n');
    expect(letters.map((line) => JSON.parse(line).record.upstreamRequestId)).toContain('req_poison');
    // Nothing is left behind: a later call is stored as usual.
    await recorder.record(record(9, 'req_after'));
    await recorder.flush();
    expect(await sql(`select 1 from interactions where upstream_request_id = 'req_after'`)).toHaveLength(1);
  });

  /**
   * A batch of two organizations through `target`'s recorder: the statements it ran (the ids each
   * carried, and the organization it named when written one per organization), what was stored,
   * dead-lettered and counted on the sessions.
   */
  const mixedBatch = async (target: TestApp, label: string) => {
    const recorder = target.app.get(RecorderService);
    const pool = target.app.get<Pool>(PG_POOL);
    const first = await registerUser(target, `First ${label}`);
    const second = await registerUser(target, `Second ${label}`);
    const sessionOf = async (user: TestUser) => {
      const [row] = await sql<{ id: string }>(
        `insert into sessions (id, created_at, organization_id, user_id, external_id, device, last_activity_at)
         values (gen_random_uuid(), now(), $1, $2, $3, '{}'::jsonb, now()) returning id`,
        [user.organizationId, user.id, `batch-${randomUUID()}`],
      );
      return row.id;
    };
    const sessions = new Map([
      [first.organizationId, await sessionOf(first)],
      [second.organizationId, await sessionOf(second)],
    ]);
    const record = (
      user: TestUser,
      inputTokens: number,
      upstreamRequestId: string,
      sessionId = sessions.get(user.organizationId)!,
    ): InteractionRecord => callRecord(user, sessionId, `${upstreamRequestId}_${label}`, { inputTokens });
    /** The recorder's statements while `work` runs. */
    const statements = async (work: () => Promise<void>) => {
      const spy = jest.spyOn(pool, 'query');
      try {
        await work();
        return spy.mock.calls
          .map(([config]) => config as unknown as { name?: string; values?: unknown[] })
          .filter((config) => config.name?.startsWith('lamplight_write_'))
          .map((config) => ({
            name: config.name,
            organization: config.values![2],
            // An array literal of rows, each beginning with its call's id.
            ids: [...(config.values![0] as string).matchAll(/"\(([0-9a-f-]{36}),/g)].map((match) => match[1]),
          }));
      } finally {
        spy.mockRestore();
      }
    };
    const recordAll = async (records: InteractionRecord[]) => {
      await Promise.all(records.map((r) => recorder.record(r)));
      await recorder.flush();
    };

    const single = [1, 2, 3].map((n) => record(first, n, `req_single_${n}`));
    const singleWritten = await statements(() => recordAll(single));

    const deadBefore = await metric('lamplight_recorder_dead_lettered_total', target);
    const mixed = [
      record(first, 5, 'req_mixed_a1'),
      record(second, 3_000_000_000, 'req_mixed_poison'),
      record(second, 6, 'req_mixed_b1'),
      record(first, 7, 'req_mixed_a2'),
    ];
    const mixedWritten = await statements(() => recordAll(mixed));
    const stored = await sql<{ organization_id: string; upstream_request_id: string }>(
      `select organization_id, upstream_request_id from interactions where upstream_request_id like $1 order by upstream_request_id`,
      [`req_mixed_%_${label}`],
    );
    const totals = await sql<{ organization_id: string; request_count: number }>(
      `select organization_id, request_count::int from sessions where id = any($1::uuid[]) order by request_count desc`,
      [[...sessions.values()]],
    );
    // Whatever the statements, the same rows are stored and counted.
    expect(stored).toEqual([
      { organization_id: first.organizationId, upstream_request_id: `req_mixed_a1_${label}` },
      { organization_id: first.organizationId, upstream_request_id: `req_mixed_a2_${label}` },
      { organization_id: second.organizationId, upstream_request_id: `req_mixed_b1_${label}` },
    ]);
    expect(totals).toEqual([
      { organization_id: first.organizationId, request_count: 5 },
      { organization_id: second.organizationId, request_count: 1 },
    ]);
    expect(await metric('lamplight_recorder_dead_lettered_total', target)).toBe(deadBefore + 1);

    // A call whose session does not exist, one naming another organization's session and one of
    // an organization that does not exist are refused (interactions has no foreign keys: the
    // statement checks), the call beside them stored, and the other organization's session untouched.
    const orphans = [
      record(first, 8, 'req_orphan_good'),
      record(first, 9, 'req_orphan_missing', randomUUID()),
      record(first, 10, 'req_orphan_foreign', sessions.get(second.organizationId)),
      { ...record(first, 11, 'req_orphan_organization'), organizationId: randomUUID() },
    ];
    await recordAll(orphans);
    const orphansStored = await sql<{ upstream_request_id: string }>(
      `select upstream_request_id from interactions where upstream_request_id like $1`,
      [`req_orphan_%_${label}`],
    );
    expect(orphansStored).toEqual([{ upstream_request_id: `req_orphan_good_${label}` }]);
    expect(await metric('lamplight_recorder_dead_lettered_total', target)).toBe(deadBefore + 4);
    const totalsAfter = await sql<{ organization_id: string; request_count: number }>(
      `select organization_id, request_count::int from sessions where id = any($1::uuid[]) order by request_count desc`,
      [[...sessions.values()]],
    );
    expect(totalsAfter).toEqual([
      { organization_id: first.organizationId, request_count: 6 },
      { organization_id: second.organizationId, request_count: 1 },
    ]);
    for (const orphan of orphans.slice(1))
      expect(await refusal(target.app.get(InteractionWriter).write([orphan]))).toBe('23502');
    return { first, second, single, singleWritten, mixed, mixedWritten };
  };

  it("a purge waits for a statement writing an organization's calls and removes them; a statement that starts during a purge finds the organization gone and stores nothing", async () => {
    const retention = app.app.get(RetentionRepository);
    const writer = app.app.get(InteractionWriter);
    const organizationWithSession = async (name: string) => {
      const user = await registerUser(app, name);
      const [session] = await sql<{ id: string }>(
        `insert into sessions (id, created_at, organization_id, user_id, external_id, device, last_activity_at)
         values (gen_random_uuid(), now(), $1, $2, 'purge-race', '{}'::jsonb, now()) returning id`,
        [user.organizationId, user.id],
      );
      // Deleted long enough ago for a purge.
      await sql(`update organizations set deleted_at = now() - interval '40 days' where id = $1`, [
        user.organizationId,
      ]);
      return { user, sessionId: session.id };
    };
    const callsOf = async (organizationId: string) =>
      (await sql(`select 1 from interactions where organization_id = $1`, [organizationId])).length;
    const other = new Client({ connectionString: testDatabaseUrl() });
    await other.connect();
    try {
      // The recorder's statement first, its transaction left open: the purge waits for it, then removes its call.
      const writing = await organizationWithSession('Purged While Writing');
      await other.query('BEGIN');
      const openWriter = new InteractionWriter(other as unknown as Pool, { databaseDistributed: false });
      expect(await openWriter.write([callRecord(writing.user, writing.sessionId, 'req_purge_race_first')])).toBe(1);
      const purge = retention.purgeOrganization(writing.user.organizationId);
      expect(await stillPending(purge, 500)).toBe(true);
      await other.query('COMMIT');
      expect(await purge).toBe(true);
      expect(await callsOf(writing.user.organizationId)).toBe(0);
      expect(await sql(`select 1 from organizations where id = $1`, [writing.user.organizationId])).toHaveLength(0);

      // The purge first, its transaction left open (its statements, as purgeOrganization runs them):
      // the recorder's statement waits for it, then finds no organization and refuses the call.
      const purged = await organizationWithSession('Purged Before Writing');
      await other.query('BEGIN');
      await other.query(`select id from organizations where id = $1 for update`, [purged.user.organizationId]);
      await other.query(`delete from interactions where organization_id = $1`, [purged.user.organizationId]);
      await other.query(`delete from organizations where id = $1`, [purged.user.organizationId]);
      const write = refusal(writer.write([callRecord(purged.user, purged.sessionId, 'req_purge_race_second')]));
      expect(await stillPending(write, 500)).toBe(true);
      await other.query('COMMIT');
      expect(await write).toBe('23502');
      expect(await callsOf(purged.user.organizationId)).toBe(0);
    } finally {
      await other.end();
    }
  });

  it('writes a batch of several organizations in one statement, and isolates a row the database refuses by halves, holding up no good row', async () => {
    const { single, singleWritten, mixed, mixedWritten } = await mixedBatch(app, 'spanning');
    expect(singleWritten).toEqual([
      { name: 'lamplight_write_batch', organization: undefined, ids: single.map((r) => r.id) },
    ]);
    const [a1, poison, b1, a2] = mixed.map((r) => r.id);
    // The whole batch, then halves until the refused row stands alone (twice: with and without content).
    expect(mixedWritten.map((s) => s.ids)).toEqual([
      [a1, poison, b1, a2],
      [a1, poison],
      [a1],
      [poison],
      [poison],
      [b1, a2],
    ]);
    expect(new Set(mixedWritten.map((s) => s.name))).toEqual(new Set(['lamplight_write_batch']));
  });

  it('with DATABASE_DISTRIBUTED=true, writes one statement per organization (one for a single organization), a row one organization refuses holding up none of the others', async () => {
    const distributed = await startTestApp({
      ANTHROPIC_BASE_URL: mock.url,
      METRICS_TOKEN,
      DATABASE_DISTRIBUTED: 'true',
    });
    try {
      const { first, second, single, singleWritten, mixed, mixedWritten } = await mixedBatch(
        distributed,
        'distributed',
      );
      const name = 'lamplight_write_organization_batch';
      expect(singleWritten).toEqual([{ name, organization: first.organizationId, ids: single.map((r) => r.id) }]);
      const [a1, poison, b1, a2] = mixed.map((r) => r.id);
      // The first organization's calls: one statement, never written again after the other's failed.
      expect(mixedWritten.filter((s) => s.organization === first.organizationId)).toEqual([
        { name, organization: first.organizationId, ids: [a1, a2] },
      ]);
      // The other's: all of it, then halves until the refused row stands alone (twice: with and without content).
      expect(mixedWritten.filter((s) => s.organization === second.organizationId).map((s) => s.ids)).toEqual([
        [poison, b1],
        [poison],
        [poison],
        [b1],
      ]);
      expect(mixedWritten).toHaveLength(5);
    } finally {
      await distributed.close();
    }
  });
});
