/**
 * Message Batches and Files through Lamplight with the official SDK: each id is reachable and
 * listed only in the organization that created it, results and downloads stream through, and a
 * batch's results are recorded once each, at batch rates, however often they are read.
 */
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { randomBytes } from 'node:crypto';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { batchResultInteractionId } from '../../src/modules/proxy/batch-results';
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

const PROVIDER_KEY = 'sk-ant-api03-lamplight-batches-files-key-0123456789';
const FILES_BETA = { headers: { 'anthropic-beta': 'files-api-2025-04-14' } };

describe('message batches and files', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let owner: TestUser;
  let ours: Anthropic;
  let theirs: Anthropic;

  beforeAll(async () => {
    mock = await startMockAnthropic({ record: false });
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    baseURL = await listen(app);
    const client = async (name: string) => {
      const user = await registerUser(app, name);
      await storeProviderKey(app, user, PROVIDER_KEY); // the same Anthropic key: ids alone must not cross organizations
      return {
        user,
        client: new Anthropic({
          baseURL: `${baseURL}/spotlight/anthropic`,
          apiKey: (await createApiKey(app, user)).key,
          maxRetries: 0,
        }),
      };
    };
    ({ user: owner, client: ours } = await client('Batch Owner'));
    ({ client: theirs } = await client('Other Organization'));
  });
  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('creates, reads, lists, streams and records a batch, once per result, at batch rates, in its organization only', async () => {
    const batch = await ours.messages.batches.create({
      requests: [
        {
          custom_id: 'first',
          params: {
            model: 'claude-sonnet-4-6',
            max_tokens: 32,
            messages: [{ role: 'user', content: 'one' }],
            metadata: { user_id: 'batch-session-a' },
          },
        },
        {
          custom_id: 'second',
          params: { model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: 'two' }] },
        },
        {
          custom_id: 'broken',
          params: { model: 'claude-sonnet-4-6', max_tokens: 0, messages: [{ role: 'user', content: 'three' }] },
        },
      ],
    });
    expect(batch.results_url).toBe(`${baseURL}/spotlight/anthropic/v1/messages/batches/${batch.id}/results`);
    expect((await ours.messages.batches.retrieve(batch.id)).request_counts).toMatchObject({ succeeded: 2, errored: 1 });
    expect((await ours.messages.batches.list()).data.map((b) => b.id)).toContain(batch.id);

    // Another organization, on the same Anthropic key, cannot see or touch it.
    await expect(theirs.messages.batches.retrieve(batch.id)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(theirs.messages.batches.cancel(batch.id)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(theirs.messages.batches.delete(batch.id)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    expect((await theirs.messages.batches.list()).data.map((b) => b.id)).not.toContain(batch.id);
    await expect(theirs.messages.batches.results(batch.id)).rejects.toBeInstanceOf(Anthropic.NotFoundError);

    for (let read = 0; read < 2; read++) {
      const results: string[] = [];
      for await (const line of await ours.messages.batches.results(batch.id))
        results.push(`${line.custom_id}:${line.result.type}`);
      expect(results).toEqual(['first:succeeded', 'second:succeeded', 'broken:errored']);
    }

    const rows = await eventually(async () => {
      const found = await app.sql<LooseRecord>(
        `select i.*, s.external_id from interactions i join sessions s on s.id = i.session_id where i.organization_id = $1 order by i.id`,
        [owner.organizationId],
      );
      return found.length >= 3 ? found : undefined;
    });
    expect(rows).toHaveLength(3);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const first = byId.get(batchResultInteractionId(batch.id, 'first'))!;
    const second = byId.get(batchResultInteractionId(batch.id, 'second'))!;
    const broken = byId.get(batchResultInteractionId(batch.id, 'broken'))!;
    expect(first.external_id).toBe('batch-session-a');
    expect(second.external_id).toBe(batch.id);
    expect(first).toMatchObject({ outcome: 'ok', output_tokens: 12, final_output: 'Batch answer for first.' });
    // Claude Sonnet 4.6: $3 / $15 per million input / output tokens, half for batches: 1,500 and 7,500 nano-USD a token.
    for (const row of [first, second]) {
      expect(Number(row.cost_input_nano_usd)).toBe(row.input_tokens * 1_500);
      expect(Number(row.cost_output_nano_usd)).toBe(12 * 7_500);
      expect(Number(row.cost_total_nano_usd)).toBe(row.input_tokens * 1_500 + 12 * 7_500);
    }
    expect(broken).toMatchObject({ outcome: 'error', error_type: 'invalid_request_error', input_tokens: 0 });
    const [session] = await app.sql<{ request_count: string }>(`select request_count from sessions where id = $1`, [
      first.session_id,
    ]);
    expect(session.request_count).toBe('1');

    const cancelled = await ours.messages.batches.cancel(batch.id);
    expect(cancelled.cancel_initiated_at).not.toBeNull();
    expect(await ours.messages.batches.delete(batch.id)).toMatchObject({ id: batch.id, type: 'message_batch_deleted' });
    await expect(ours.messages.batches.retrieve(batch.id)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('refuses a batch naming a model the organization does not allow, before Anthropic', async () => {
    const policy = (allowedModels: string[] | null) =>
      app.request({
        method: 'PATCH',
        url: `/api/v1/organizations/${owner.organizationId}`,
        headers: owner.auth,
        payload: { settings: { allowedModels } },
      });
    expect((await policy(['claude-haiku-*'])).statusCode).toBe(200);
    try {
      const before = mock.stats.requests;
      await expect(
        ours.messages.batches.create({
          requests: [
            {
              custom_id: 'x',
              params: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
            },
          ],
        }),
      ).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
      expect(mock.stats.requests).toBe(before);
    } finally {
      expect((await policy(null)).statusCode).toBe(200);
    }
  });

  it('uploads, lists, reads, downloads byte for byte and deletes a file, in its organization only', async () => {
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_v, i) => i)), randomBytes(300 * 1024)]);
    const file = await ours.beta.files.upload(
      { file: await toFile(bytes, 'notes.bin', { type: 'application/octet-stream' }) },
      FILES_BETA,
    );
    expect(file).toMatchObject({ filename: 'notes.bin', size_bytes: bytes.length });
    expect((await ours.beta.files.list({}, FILES_BETA)).data.map((f) => f.id)).toContain(file.id);
    expect(await ours.beta.files.retrieveMetadata(file.id, {}, FILES_BETA)).toMatchObject({
      id: file.id,
      size_bytes: bytes.length,
    });
    const download = await ours.beta.files.download(file.id, {}, FILES_BETA);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    await expect(theirs.beta.files.retrieveMetadata(file.id, {}, FILES_BETA)).rejects.toBeInstanceOf(
      Anthropic.NotFoundError,
    );
    await expect(theirs.beta.files.download(file.id, {}, FILES_BETA)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(theirs.beta.files.delete(file.id, {}, FILES_BETA)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    expect((await theirs.beta.files.list({}, FILES_BETA)).data.map((f) => f.id)).not.toContain(file.id);

    expect(await ours.beta.files.delete(file.id, {}, FILES_BETA)).toMatchObject({ id: file.id });
    await expect(ours.beta.files.retrieveMetadata(file.id, {}, FILES_BETA)).rejects.toBeInstanceOf(
      Anthropic.NotFoundError,
    );
  });
});
