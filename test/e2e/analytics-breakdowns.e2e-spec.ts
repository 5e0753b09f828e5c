import fc from 'fast-check';
import { InteractionWriter } from '../../src/modules/recording/interaction-writer.repository';
import type { InteractionRecord } from '../../src/modules/recording/interaction-record';
import { callRecords, getJson, UNPRICED_MODEL } from '../support/analytics-fixtures';
import { addMember, createOrganization } from '../support/tenancy-fixtures';
import {
  createApiKey,
  expectProblem,
  registerUser,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app';

/**
 * Usage by API key and by member, and latency percentiles, read from the rollups the recorder's
 * batch statement keeps (usage_hourly_principals, latency_hourly), each organization its own.
 */
describe('analytics by API key, by member, and of latency', () => {
  let app: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let ownerKey: string;
  let adminKey: string;

  /** Calls written with the recorder's own writer, each with its key, member, latency and TTFT. */
  async function write(
    user: TestUser,
    calls: Array<{
      at: string;
      model?: string;
      keyId: string | null;
      userId: string | null;
      latency: number;
      ttft?: number;
      input?: number;
    }>,
  ): Promise<InteractionRecord[]> {
    const records = await callRecords(
      app,
      user,
      calls.map((c) => ({
        session: 'breakdowns',
        model: c.model ?? 'claude-sonnet-4-6',
        usage: { input: c.input ?? 1000, output: 100 },
        at: c.at,
      })),
    );
    records.forEach((r, i) => {
      r.apiKeyId = calls[i].keyId;
      r.userId = calls[i].userId;
      r.latencyMs = calls[i].latency;
      r.timeToFirstTokenMs = calls[i].ttft ?? null;
      r.stream = calls[i].ttft !== undefined;
    });
    expect(await app.app.get(InteractionWriter, { strict: false }).write(records)).toBe(records.length);
    return records;
  }

  beforeAll(async () => {
    app = await startTestApp();
    owner = await registerUser(app, 'Breakdown Owner');
    admin = await registerUser(app, 'Breakdown Admin');
    await addMember(app, owner, owner.organizationId, admin, 'admin');
    ownerKey = (await createApiKey(app, owner, { name: 'owner key' })).id;
    adminKey = (await createApiKey(app, admin, { name: 'admin key' }, owner.organizationId)).id;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  const org = () => ({ 'x-organization-id': owner.organizationId });

  it('splits calls, tokens and exact cost by API key and by member, per day in the zone, unpriced apart', async () => {
    const records = await write(owner, [
      { at: '2026-11-19T09:10:00Z', keyId: ownerKey, userId: owner.id, latency: 100 },
      { at: '2026-11-19T23:30:00Z', keyId: ownerKey, userId: owner.id, latency: 100 },
      { at: '2026-11-20T10:00:00Z', keyId: adminKey, userId: admin.id, latency: 100 },
      { at: '2026-11-20T10:05:00Z', keyId: adminKey, userId: admin.id, latency: 100, model: UNPRICED_MODEL },
      { at: '2026-11-20T11:00:00Z', keyId: null, userId: owner.id, latency: 100, input: 7 },
    ]);
    const cost = (i: number) => (records[i].cost ? Number(records[i].cost.totalNanoUsd) / 1e9 : 0);
    const query = 'start=2026-11-19T00:00:00Z&end=2026-11-21T00:00:00Z&granularity=day&tz=Europe/Paris';
    const byKey = await getJson(app, owner, `/spotlight/analytics/principals?by=api_key&${query}`);
    expect(byKey.status).toBe(200);
    const keyRow = (id: string | null) => byKey.body.principals.find((p: { id: string | null }) => p.id === id);
    expect(keyRow(ownerKey)).toMatchObject({ requests: 2, unpriced_requests: 0, input_tokens: 2000 });
    expect(keyRow(ownerKey).cost_usd).toBeCloseTo(cost(0) + cost(1), 9);
    expect(keyRow(adminKey)).toMatchObject({ requests: 2, unpriced_requests: 1, cost_usd: cost(2) });
    expect(keyRow(null)).toMatchObject({ requests: 1, input_tokens: 7 });
    // The range's start, then Paris midnights: 23:30 UTC on the 19th is the 20th in Paris.
    expect(byKey.body.series.map((b: { bucket_start: string }) => b.bucket_start)).toEqual([
      '2026-11-19T00:00:00.000Z',
      '2026-11-19T23:00:00.000Z',
    ]);
    expect(byKey.body.series[0].principals).toEqual([expect.objectContaining({ id: ownerKey, requests: 1 })]);

    const byMember = await getJson(app, owner, `/spotlight/analytics/principals?by=member&${query}`);
    const memberRow = (id: string) => byMember.body.principals.find((p: { id: string }) => p.id === id);
    expect(memberRow(owner.id)).toMatchObject({ requests: 3, input_tokens: 2007 });
    expect(memberRow(admin.id)).toMatchObject({ requests: 2, unpriced_requests: 1 });
    expect(byMember.body.principals).toHaveLength(2);
    // Highest cost first.
    const costs = byMember.body.principals.map((p: { cost_usd: number }) => p.cost_usd);
    expect([...costs].sort((a, b) => b - a)).toEqual(costs);
  });

  it('gives latency and time-to-first-token p50 and p95 within 5% of the exact values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 120_000 }), { minLength: 1, maxLength: 40 }),
        async (latencies) => {
          const user = await registerUser(app, 'Latency Owner');
          await write(
            user,
            latencies.map((latency, i) => ({
              at: '2026-11-20T12:00:00Z',
              keyId: null,
              userId: user.id,
              latency,
              ...(i % 2 === 0 ? { ttft: Math.max(1, Math.floor(latency / 3)) } : {}),
            })),
          );
          const exact = (values: number[], q: number) =>
            [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(q * values.length)) - 1];
          const got = await getJson(
            app,
            user,
            '/spotlight/analytics/latency?granularity=hour&start=2026-11-20T11:00:00Z&end=2026-11-20T14:00:00Z',
          );
          const ttfts = latencies.filter((_, i) => i % 2 === 0).map((l) => Math.max(1, Math.floor(l / 3)));
          expect(got.body.totals.requests).toBe(latencies.length);
          expect(got.body.totals.ttft_requests).toBe(ttfts.length);
          for (const [field, values, q] of [
            ['latency_p50_ms', latencies, 0.5],
            ['latency_p95_ms', latencies, 0.95],
            ['ttft_p50_ms', ttfts, 0.5],
            ['ttft_p95_ms', ttfts, 0.95],
          ] as const) {
            const want = exact(values, q);
            // Within 5% of the exact value, or a millisecond for the smallest ones (whole ms).
            expect(Math.abs(got.body.totals[field] - want)).toBeLessThanOrEqual(Math.max(1, want * 0.05));
          }
          const hour = got.body.series.find(
            (b: { bucket_start: string }) => b.bucket_start === '2026-11-20T12:00:00.000Z',
          );
          expect(hour).toEqual({ bucket_start: '2026-11-20T12:00:00.000Z', ...got.body.totals });
        },
      ),
      { numRuns: 8 },
    );
  });

  it('keeps each organization to its own rollups; members read latency but not the split by key or member', async () => {
    const stranger = await registerUser(app, 'Stranger');
    const strangerOrg = await createOrganization(app, stranger, { name: 'Elsewhere' });
    const strangerHeaders = { 'x-organization-id': strangerOrg.id };
    for (const by of ['api_key', 'member']) {
      const own = await getJson(app, stranger, `/spotlight/analytics/principals?by=${by}`, strangerHeaders);
      expect(own.status).toBe(200);
      expect(own.body.principals).toEqual([]);
    }
    expect((await getJson(app, stranger, '/spotlight/analytics/latency', strangerHeaders)).body.totals).toEqual({
      requests: 0,
      latency_p50_ms: null,
      latency_p95_ms: null,
      ttft_requests: 0,
      ttft_p50_ms: null,
      ttft_p95_ms: null,
    });
    for (const url of ['/spotlight/analytics/principals?by=member', '/spotlight/analytics/latency']) {
      expectProblem(
        await app.request({ method: 'GET', url, headers: { ...stranger.auth, ...org() } }),
        403,
        'NOT_A_MEMBER',
      );
    }
    const member = await registerUser(app, 'Plain Member');
    await addMember(app, owner, owner.organizationId, member, 'member');
    expect((await getJson(app, member, '/spotlight/analytics/latency', org())).status).toBe(200);
    expectProblem(
      await app.request({
        method: 'GET',
        url: '/spotlight/analytics/principals?by=member',
        headers: { ...member.auth, ...org() },
      }),
      403,
    );
    expect((await getJson(app, admin, '/spotlight/analytics/principals?by=member', org())).status).toBe(200);
    expectProblem(
      await app.request({ method: 'GET', url: '/spotlight/analytics/principals?by=model', headers: owner.auth }),
      400,
    );
  });
});
