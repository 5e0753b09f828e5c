/**
 * Nothing answered is lost to a hard kill: a real gateway process under load (JSON and streamed
 * calls through the official SDK) is killed with SIGKILL; a new process on the same DATA_DIR
 * replays the journal. Every call a client saw answered whole is then stored exactly once.
 */
import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { ensureBuilt, setUpGatewayTenant, startGatewayProcess, type GatewayProcess } from '../support/gateway-process';
import { eventually, testDatabaseUrl } from '../support/test-app';

const PROVIDER_KEY = 'sk-ant-api03-lamplight-kill-test-key-0123456789';
const CALLS = 300;
const CONCURRENCY = 12;
const KILL_AFTER_ANSWERED = 110;

describe('recording across SIGKILL', () => {
  let mock: MockAnthropic;
  let db: Client;
  const processes: GatewayProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    mock = await startMockAnthropic({ record: false });
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  }, 180_000);
  afterAll(async () => {
    for (const gateway of processes) gateway.kill();
    await db.end();
    await mock.close();
  });

  it('stores every call answered before the kill exactly once, JSON and streamed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lamplight-kill-'));
    const env = {
      ANTHROPIC_BASE_URL: mock.url,
      DATA_DIR: dataDir,
      PROXY_RATE_LIMIT_PER_MINUTE: '0',
      PROXY_CONCURRENCY_LIMIT: '0',
    };
    const first = await startGatewayProcess(env);
    processes.push(first);
    const tenant = await setUpGatewayTenant(first, 'Kill Owner', PROVIDER_KEY);
    const client = new Anthropic({ baseURL: `${first.url}/spotlight/anthropic`, apiKey: tenant.key, maxRetries: 0 });

    const answered: string[] = [];
    let failed = 0;
    let next = 0;
    const call = async (index: number): Promise<void> => {
      const body = {
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        system: `MOCK:${JSON.stringify({ deltas: 6, deltaDelayMs: 2 })}`,
        messages: [{ role: 'user' as const, content: `call ${index}` }],
        metadata: { user_id: `kill-session-${index % 7}` },
      };
      try {
        if (index % 2 === 0) {
          const { data, request_id } = await client.messages.create({ ...body, stream: true }).withResponse();
          let stopped = false;
          for await (const event of data) if (event.type === 'message_stop') stopped = true;
          if (stopped) answered.push(request_id!);
        } else {
          const { data, request_id } = await client.messages.create(body).withResponse();
          if (data.type === 'message') answered.push(request_id!);
        }
      } catch {
        failed += 1;
      }
    };
    const worker = async () => {
      while (next < CALLS) await call(next++);
    };
    const killed = (async () => {
      await eventually(() => (answered.length >= KILL_AFTER_ANSWERED ? true : undefined), 60_000);
      first.child.kill('SIGKILL');
      await first.exited;
    })();
    await Promise.all([killed, ...Array.from({ length: CONCURRENCY }, worker)]);
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(answered.length).toBeGreaterThanOrEqual(KILL_AFTER_ANSWERED);
    expect(failed).toBeGreaterThan(0); // the kill cut calls short: it really landed mid-load

    // A new process on the same data directory replays what the killed one journaled.
    const second = await startGatewayProcess(env);
    processes.push(second);
    const stored = await eventually(async () => {
      const { rows } = await db.query<{ upstream_request_id: string; copies: string }>(
        `select upstream_request_id, count(*) as copies from interactions where organization_id = $1 group by upstream_request_id`,
        [tenant.organizationId],
      );
      const ids = new Set(rows.map((row) => row.upstream_request_id));
      return answered.every((id) => ids.has(id)) ? rows : undefined;
    }, 20_000);
    expect(stored.filter((row) => Number(row.copies) !== 1)).toEqual([]);
    const storedIds = new Set(stored.map((row) => row.upstream_request_id));
    expect(answered.filter((id) => !storedIds.has(id))).toEqual([]);
    // Calls cut by the kill after Anthropic answered may be recorded too (they were made and billed); no more than were sent.
    expect(stored.length).toBeLessThanOrEqual(CALLS);
    // The session totals count each stored call once.
    const [{ requests }] = (
      await db.query<{ requests: string }>(
        `select sum(request_count) as requests from sessions where organization_id = $1`,
        [tenant.organizationId],
      )
    ).rows;
    expect(Number(requests)).toBe(stored.length);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 180_000);
});
