/**
 * Recording under hostile input: whatever a call carries (lone surrogates, NUL, 4-byte characters
 * at every cut around CONTENT_MAX_BYTES, deep and huge JSON), every answered call is recorded
 * exactly once, never answered 5xx, and another organization's calls in the same batch are not
 * touched. A row the database refuses all the same is isolated, dead-lettered and counted.
 */
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'undici';
import { DEFAULT_REPLY_TEXT, startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { TRUNCATION_MARKER } from '../../src/common/text/storable-text';
import { ContentStatus } from '../../src/modules/recording/interaction.entity';
import {
  BATCH_ROW_COLUMNS,
  batchRowsLiteral,
  type BatchRow,
} from '../../src/modules/recording/interaction-writer.repository';
import { RecorderService } from '../../src/modules/recording/recorder.service';
import { callRecord } from '../support/analytics-fixtures';
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

const PROVIDER_KEY = 'sk-ant-api03-lamplight-hostile-input-key-0123456789';
const METRICS_TOKEN = 'metrics-token-for-hostile-tests-0123456789';
const CONTENT_MAX_BYTES = 96;

/** Text that breaks naive storage: lone surrogates, NUL, 4-byte characters, escapes, anything. */
const hostileText = (maxLength: number) =>
  fc
    .string({
      unit: fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constantFrom(
            '\u0000',
            '\ud800',
            '\udbff',
            '\udc00',
            '\udfff',
            '😀',
            '𝄞',
            '\u{10ffff}',
            'é',
            '\\',
            '"',
            '\\u0000',
            'a',
          ),
        },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) },
        {
          weight: 1,
          arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((point) => String.fromCodePoint(point)),
        },
      ),
      maxLength,
    })
    .filter((text) => !text.includes('MOCK:'));

interface HostileCall {
  userText: string;
  replyText: string;
  systemExtra: string;
  userId: string;
  model: string;
  toolInput: string;
  stream: boolean;
  padding: number;
}

const hostileCall: fc.Arbitrary<HostileCall> = fc.record({
  userText: hostileText(140),
  replyText: hostileText(140),
  systemExtra: hostileText(20),
  // A plain id, or Claude Code's JSON form with a device id: both recorded (the session's id and device).
  userId: fc.oneof(
    hostileText(40),
    fc
      .record({ device: hostileText(40), session: hostileText(40) })
      .map(({ device, session }) => JSON.stringify({ device_id: device, account_uuid: '', session_id: session })),
  ),
  model: fc.oneof(
    fc.constant('claude-sonnet-4-6'),
    hostileText(300).map((text) => `claude-${text}`),
  ),
  toolInput: hostileText(30),
  stream: fc.boolean(),
  // Moves every character across the cut at CONTENT_MAX_BYTES.
  padding: fc.integer({ min: 0, max: CONTENT_MAX_BYTES }),
});

const isStorable = (text: string | null) => text === null || (text.isWellFormed() && !text.includes('\u0000'));
const formed = (text: string) => text.toWellFormed().replaceAll('\u0000', '');

describe('recording hostile input', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let hostile: { owner: TestUser; key: string };
  let bystander: { owner: TestUser; key: string };

  const setUp = async (name: string) => {
    const owner = await registerUser(app, name);
    const key = (await createApiKey(app, owner)).key;
    await storeProviderKey(app, owner, PROVIDER_KEY);
    return { owner, key };
  };
  const metric = async (name: string) => {
    const metrics = await app.request({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics.body)?.[1] ?? 0);
  };
  const rowsByRequestId = async (ids: string[]) =>
    app.sql<LooseRecord>(
      `select i.*, s.external_id, s.device from interactions i join sessions s on s.id = i.session_id where i.upstream_request_id = any($1::text[])`,
      [ids],
    );

  beforeAll(async () => {
    mock = await startMockAnthropic({ record: false });
    app = await startTestApp({
      ANTHROPIC_BASE_URL: mock.url,
      METRICS_TOKEN,
      CONTENT_MAX_BYTES: String(CONTENT_MAX_BYTES),
    });
    baseURL = await listen(app);
    hostile = await setUp('Hostile Owner');
    bystander = await setUp('Bystander Owner');
  });
  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('records every call exactly once, whatever its text, streamed or not, and leaves the other organization untouched', async () => {
    const client = (key: string) =>
      new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
    const hostileClient = client(hostile.key);
    const bystanderClient = client(bystander.key);
    const sent: { requestId: string; call: HostileCall }[] = [];
    const bystanderIds: string[] = [];

    await fc.assert(
      fc.asyncProperty(hostileCall, async (call) => {
        const userText = `${'a'.repeat(call.padding)}${call.userText}`;
        const body = {
          model: call.model,
          max_tokens: 64,
          system: `MOCK:${JSON.stringify({ text: `${'b'.repeat(call.padding)}${call.replyText}`, deltas: 3 })} ${call.systemExtra}`,
          metadata: { user_id: call.userId },
          messages: [
            { role: 'user' as const, content: 'first turn' },
            {
              role: 'assistant' as const,
              content: [{ type: 'tool_use' as const, id: 'toolu_1', name: 'probe', input: { q: call.toolInput } }],
            },
            {
              role: 'user' as const,
              content: [
                { type: 'tool_result' as const, tool_use_id: 'toolu_1', content: call.toolInput },
                { type: 'text' as const, text: userText },
              ],
            },
          ],
        };
        const hostileCallDone = (async () => {
          if (call.stream) {
            const { data, response, request_id } = await hostileClient.messages
              .create({ ...body, stream: true })
              .withResponse();
            expect(response.status).toBe(200);
            const events: string[] = [];
            for await (const event of data) events.push(event.type);
            expect(events.at(-1)).toBe('message_stop');
            return request_id!;
          }
          const { response, request_id } = await hostileClient.messages.create(body).withResponse();
          expect(response.status).toBe(200);
          return request_id!;
        })();
        const bystanderDone = bystanderClient.messages
          .create({
            model: 'claude-sonnet-4-6',
            max_tokens: 16,
            messages: [{ role: 'user', content: 'a plain question' }],
            metadata: { user_id: 'bystander-session' },
          })
          .withResponse();
        const [requestId, plain] = await Promise.all([hostileCallDone, bystanderDone]);
        expect(plain.response.status).toBe(200);
        sent.push({ requestId, call });
        bystanderIds.push(plain.request_id!);
      }),
      { numRuns: 100 },
    );

    const stored = await eventually(async () => {
      const rows = await rowsByRequestId(sent.map((s) => s.requestId));
      return rows.length >= sent.length ? rows : undefined;
    }, 10_000);
    expect(stored).toHaveLength(sent.length);
    const byId = new Map(stored.map((row) => [row.upstream_request_id, row]));
    for (const { requestId, call } of sent) {
      const row = byId.get(requestId)!;
      expect(row.organization_id).toBe(hostile.owner.organizationId);
      expect(row.outcome).toBe('ok');
      for (const text of [
        row.user_query,
        row.final_output,
        row.model,
        row.external_id,
        JSON.stringify(row.content),
        JSON.stringify(row.device),
      ]) {
        expect(isStorable(text)).toBe(true);
      }
      expect([ContentStatus.Complete, ContentStatus.Truncated]).toContain(row.content_status);
      // An empty text is no query at all.
      const query = row.user_query === null ? '' : String(row.user_query);
      if (row.user_query === null) expect(formed(`${'a'.repeat(call.padding)}${call.userText}`)).toBe('');
      expect(Buffer.byteLength(query)).toBeLessThanOrEqual(CONTENT_MAX_BYTES);
      // What is kept is the text as sent (made well-formed), cut on a code point with the marker.
      const kept =
        query.endsWith(TRUNCATION_MARKER) && row.content_truncated ? query.slice(0, -TRUNCATION_MARKER.length) : query;
      expect(formed(`${'a'.repeat(call.padding)}${call.userText}`).startsWith(kept)).toBe(true);
    }

    const plain = await eventually(async () => {
      const rows = await rowsByRequestId(bystanderIds);
      return rows.length >= bystanderIds.length ? rows : undefined;
    });
    expect(plain).toHaveLength(bystanderIds.length);
    for (const row of plain) {
      expect(row).toMatchObject({
        organization_id: bystander.owner.organizationId,
        external_id: 'bystander-session',
        user_query: 'a plain question',
        outcome: 'ok',
      });
      expect(row.final_output).toBe(DEFAULT_REPLY_TEXT);
    }
    // Nothing was held back as an outage or refused.
    expect(await metric('lamplight_recorder_spooled_total')).toBe(0);
    expect(await metric('lamplight_recorder_dead_lettered_total')).toBe(0);
  });

  it("reads every text field of the batch row literal back as PostgreSQL stores it, in the type's column order", async () => {
    const attributes = await app.sql<{ attname: string }>(
      `select attname from pg_attribute where attrelid = (select typrelid from pg_type where typname = 'interaction_batch_row')
       and attnum > 0 and not attisdropped order by attnum`,
    );
    expect(attributes.map((a) => a.attname)).toEqual([...BATCH_ROW_COLUMNS]);
    const textColumns = [
      'model',
      'stop_reason',
      'error_type',
      'pricing_version',
      'upstream_request_id',
      'agent_id',
      'parent_agent_id',
      'user_query',
      'final_output',
    ] as const;
    const base = Object.fromEntries(BATCH_ROW_COLUMNS.map((c) => [c, null])) as BatchRow;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record(
            Object.fromEntries(textColumns.map((c) => [c, fc.option(hostileText(60))])) as Record<
              (typeof textColumns)[number],
              fc.Arbitrary<string | null>
            >,
          ),
          { minLength: 1, maxLength: 5 },
        ),
        fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
        async (rows, tokens) => {
          const literal = batchRowsLiteral(
            rows.map((texts) => ({ ...base, ...texts, input_tokens: tokens, stream: true })),
          );
          const read = await app.sql<LooseRecord>(
            `select ${textColumns.join(', ')}, input_tokens, stream from unnest($1::interaction_batch_row[])`,
            [literal],
          );
          expect(read).toEqual(
            rows.map((texts) => ({
              ...Object.fromEntries(textColumns.map((c) => [c, texts[c] === null ? null : formed(texts[c])])),
              input_tokens: tokens,
              stream: true,
            })),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('records calls nested 10,000 and 100,000 deep and a 4 MB prompt, with bounded content', async () => {
    const ids: string[] = [];
    for (const depth of [10_000, 100_000]) {
      const deep = `${'['.repeat(depth)}"bottom"${']'.repeat(depth)}`;
      const raw = `{"model":"claude-sonnet-4-6","max_tokens":16,"metadata":{"user_id":"deep-${depth}"},"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":${deep}},{"type":"text","text":"deep"}]}]}`;
      const response = await httpRequest(`${baseURL}/spotlight/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': hostile.key },
        body: raw,
      });
      expect(response.statusCode).toBe(200);
      await response.body.json();
      ids.push(String(response.headers['request-id']));
    }
    const client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: hostile.key, maxRetries: 0 });
    const huge = await client.messages
      .create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        metadata: { user_id: 'huge' },
        messages: [{ role: 'user', content: '😀'.repeat(1024 * 1024) }],
      })
      .withResponse();
    ids.push(huge.request_id!);

    const rows = await eventually(async () => {
      const found = await rowsByRequestId(ids);
      return found.length >= ids.length ? found : undefined;
    });
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.content_status).toBe(ContentStatus.Truncated);
      expect(Buffer.byteLength(JSON.stringify(row.content))).toBeLessThanOrEqual(CONTENT_MAX_BYTES * 2);
      expect(row.input_tokens).toBeGreaterThan(0);
    }
    expect(rows.find((row) => row.external_id === 'huge')!.user_query).toMatch(/^(😀)+…\[truncated\]$/u);
  });

  it('stores a row the database refuses without its content, and dead-letters what was sent, between good calls of two organizations', async () => {
    const recorder = app.app.get(RecorderService);
    const deadBefore = await metric('lamplight_recorder_dead_lettered_total');
    const withoutBefore = await metric('lamplight_recorder_stored_without_content_total');
    const good = (owner: TestUser, external: string) =>
      new Anthropic({
        baseURL: `${baseURL}/spotlight/anthropic`,
        apiKey: owner === hostile.owner ? hostile.key : bystander.key,
        maxRetries: 0,
      }).messages
        .create({
          model: 'claude-sonnet-4-6',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'good call' }],
          metadata: { user_id: external },
        })
        .withResponse();
    // Usage past the int column: what an upstream that misbehaves could report. The database refuses it as data.
    const poison = new Anthropic({
      baseURL: `${baseURL}/spotlight/anthropic`,
      apiKey: hostile.key,
      maxRetries: 0,
    }).messages
      .create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        system: `MOCK:${JSON.stringify({ usage: { input_tokens: 3_000_000_000 } })}`,
        messages: [{ role: 'user', content: 'poison' }],
        metadata: { user_id: 'poison' },
      })
      .withResponse();
    const calls = await Promise.all([
      good(hostile.owner, 'good-a'),
      good(bystander.owner, 'good-b'),
      poison,
      good(hostile.owner, 'good-a'),
      good(bystander.owner, 'good-b'),
    ]);
    for (const call of calls) expect(call.response.status).toBe(200);
    await recorder.flush();

    const goodIds = calls.filter((_c, i) => i !== 2).map((c) => c.request_id!);
    expect(await rowsByRequestId(goodIds)).toHaveLength(4);
    expect(await rowsByRequestId([calls[2].request_id!])).toHaveLength(0);
    expect(await metric('lamplight_recorder_dead_lettered_total')).toBe(deadBefore + 1);
    expect(await metric('lamplight_recorder_stored_without_content_total')).toBe(withoutBefore);

    // A row refused for its content alone: stored without it, the original dead-lettered.
    const [template] = await app.sql<{ id: string }>(`select id from interactions where upstream_request_id = $1`, [
      goodIds[0],
    ]);
    expect(template).toBeDefined();
    const row = (
      await app.sql<LooseRecord>(`select organization_id, session_id from interactions where id = $1`, [template.id])
    )[0];
    const record = callRecord(
      { organizationId: row.organization_id as string, id: null },
      row.session_id as string,
      'req_refused_content',
      {
        inputTokens: 7,
        outputTokens: 3,
        userQuery: 'kept out',
        finalOutput: 'kept out',
        // JSON cannot carry a BigInt: serialising the batch fails for this row alone.
        content: { request: [{ count: 10n }] },
      },
    );
    const journaled = recorder.record(record);
    await journaled;
    await recorder.flush();
    const [stored] = await app.sql<LooseRecord>(
      `select user_query, content, content_status, input_tokens from interactions where id = $1`,
      [record.id],
    );
    expect(stored).toEqual({ user_query: null, content: null, content_status: 'dropped', input_tokens: 7 });
    expect(await metric('lamplight_recorder_stored_without_content_total')).toBe(withoutBefore + 1);
    expect(await metric('lamplight_recorder_dead_lettered_total')).toBe(deadBefore + 2);
    // The dead-letter file's path is private to the recorder.
    const file = app.app.get<RecorderService, { deadLetters: { file: string } }>(RecorderService).deadLetters.file;
    const letters = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(letters.map((l) => l.code)).toEqual(['22003', 'TypeError']);
    expect(letters[0].record.upstreamRequestId).toBe(calls[2].request_id);
    // What JSON cannot carry is named in its place; the rest of the record is kept.
    expect(letters[1].record).toMatchObject({
      id: record.id,
      userQuery: 'kept out',
      content: '[not JSON-serialisable]',
    });
  });
});
