import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { SpendAlertsService } from '../../src/modules/spend-limits/spend-alerts.service';
import { SpendLimitsRepository } from '../../src/modules/spend-limits/spend-limits.repository';
import { verifyWebhook } from '../../src/modules/spend-limits/webhook-security';
import { setNow } from '../support/analytics-fixtures';
import { addMember, createOrganization, orgHeader } from '../support/tenancy-fixtures';
import {
  createApiKey,
  eventually,
  expectProblem,
  listen,
  registerUser,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const ADMIN = '/v1/organizations/spend_limits';
const CONSOLE = '/api/v1/spend-limits';
const MODEL = 'claude-sonnet-4-6';
/** One call as these tests make it: 10 input and 1,000 output tokens of Sonnet 4.6 = $0.01503. */
const CALL_COST_MICRO = 15_030;
const scenario = (extra: Record<string, unknown> = {}) =>
  `MOCK:${JSON.stringify({ usage: { input_tokens: 10, output_tokens: 1000 }, ...extra })} go`;

/**
 * Spend limits hold: each instance admits a call only if its worst case fits in the lease the
 * instance holds on counters in PostgreSQL that every instance shares, and settles it with the
 * true cost; over a limit the SDK gets a RateLimitError with retry-after until the period resets.
 * A counter is settled once every instance has flushed its spend and given its lease back (near
 * a cap at once, far from it after a second without calls).
 */
describe('spend limits', () => {
  let mock: MockAnthropic;
  let one: TestApp;
  let two: TestApp;
  let owner: TestUser;
  let key: { id: string; key: string };
  let urls: string[];

  const client = (baseURL: string, apiKey: string, headers: Record<string, string> = {}) =>
    new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey, maxRetries: 0, defaultHeaders: headers });
  const ask = (baseURL: string, session: string, extra: Record<string, unknown> = {}, apiKey = key.key) =>
    client(baseURL, apiKey, { 'x-lamplight-session-id': session }).messages.create({
      model: MODEL,
      max_tokens: 1000,
      messages: [{ role: 'user', content: scenario(extra) }],
    });
  const setLimit = (
    app: TestApp,
    body: Record<string, unknown>,
    headers: Record<string, string> = { 'x-api-key': key.key },
  ) => app.request({ method: 'POST', url: ADMIN, headers, payload: body });
  const counter = async (limitId: string) =>
    (
      await one.sql<{ spent: string; reserved: string }>(
        `select spent, reserved from spend_counters where counter_key = $1`,
        [limitId],
      )
    ).map((r) => ({ spent: Number(r.spent), reserved: Number(r.reserved) }));
  const settled = (app: TestApp, limitId: string) =>
    eventually(async () => {
      const rows = await counter(limitId);
      return rows.length > 0 && rows.every((r) => r.reserved === 0) ? rows : undefined;
    }, 15_000).finally(() => app.app.get(SpendAlertsService).idle());

  beforeAll(async () => {
    mock = await startMockAnthropic();
    one = await startTestApp({
      ANTHROPIC_BASE_URL: mock.url,
      SPEND_WEBHOOKS_ALLOW_PRIVATE: 'true',
      SPEND_WEBHOOK_RETRY_BASE_MS: '50',
      PROXY_RATE_LIMIT_PER_MINUTE: '0',
      PROXY_CONCURRENCY_LIMIT: '0',
    });
    two = await startTestApp({
      ANTHROPIC_BASE_URL: mock.url,
      PROXY_RATE_LIMIT_PER_MINUTE: '0',
      PROXY_CONCURRENCY_LIMIT: '0',
    });
    urls = [await listen(one), await listen(two)];
    owner = await registerUser(one, 'Spend Owner');
    const stored = await one.request({
      method: 'POST',
      url: '/api/v1/provider-keys',
      headers: owner.auth,
      payload: { name: 'anthropic', key: 'sk-ant-api03-spend-limits-test-key-aaaaaaaa' },
    });
    expect(stored.statusCode).toBe(201);
    key = await createApiKey(one, owner, { name: 'spender' });
  });

  afterAll(async () => {
    await two?.close();
    await one?.close();
    await mock?.close();
  });

  it('holds a nearly spent member limit under 50 concurrent calls over two instances: spend ends within the limit', async () => {
    const set = await setLimit(one, { scope: { type: 'user', user_id: owner.id }, amount: '100', period: 'daily' });
    expect(set.statusCode).toBe(200);
    const limit = set.json();
    expect(limit).toMatchObject({
      type: 'spend_limit',
      amount: '100',
      currency: 'USD',
      period: 'daily',
      scope: { type: 'user', user_id: owner.id },
      is_enabled: true,
    });
    const limitId = String(limit.id).replace(/^spl_/, '');
    // Later tests run without this limit, whatever happens here.
    const cleanup = () =>
      one.request({ method: 'DELETE', url: `${ADMIN}/${limit.id}`, headers: { 'x-api-key': key.key } });
    try {
      // The other instance learns of the new limit by NOTIFY; until then it may not enforce it.
      await eventually(async () => {
        const response = await two.request({
          method: 'GET',
          url: `${ADMIN}/${limit.id}`,
          headers: { 'x-api-key': key.key },
        });
        return response.statusCode === 200 ? true : undefined;
      });

      await ask(urls[0], 'warm-up');
      await settled(one, limitId);
      // $0.95 of $1.00 spent: room for three calls at their true cost, two at their worst case.
      await one.sql(`update spend_counters set spent = 950000 where counter_key = $1`, [limitId]);
      const before = mock.requests.length;

      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => ask(urls[i % 2], `concurrent-${i % 5}`, { delayMs: 100 })),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter(
        (r) => r.status === 'rejected' && r.reason instanceof Anthropic.RateLimitError,
      ).length;
      const other = results.flatMap((r) =>
        r.status === 'rejected' && !(r.reason instanceof Anthropic.RateLimitError) ? [String(r.reason)] : [],
      );
      expect(other).toEqual([]);
      expect(ok + refused).toBe(50);
      expect(ok).toBeGreaterThanOrEqual(1);
      expect(refused).toBeGreaterThanOrEqual(40);
      expect(mock.requests.length - before).toBe(ok);

      const [final] = await settled(one, limitId);
      // The bound: spent never exceeds the amount, because each call's worst case was admitted
      // only from headroom leased on the shared counter (near the cap, leases are exact).
      expect(final.spent).toBeLessThanOrEqual(1_000_000);
      expect(final.spent).toBe(950_000 + ok * CALL_COST_MICRO);
    } finally {
      expect((await cleanup()).statusCode).toBe(200);
    }
  });

  it('refuses every one of 50 concurrent calls to a session at 19 of its 20 tokens (they were all answered before)', async () => {
    await ask(urls[0], 'nineteen', { usage: { input_tokens: 10, output_tokens: 9 } });
    await eventually(async () => {
      const [row] = await one.sql<{ used: string }>(
        `select (input_tokens + output_tokens)::text as used from sessions where organization_id = $1 and external_id = 'nineteen'`,
        [owner.organizationId],
      );
      return row?.used === '19' ? true : undefined;
    });
    const patched = await one.request({
      method: 'PATCH',
      url: '/api/v1/sessions/nineteen',
      headers: owner.auth,
      payload: { tokenBudget: 20 },
    });
    expect(patched.statusCode).toBe(200);
    const before = mock.requests.length;
    await eventually(async () => {
      const probe = await ask(urls[1], 'nineteen').catch((e: unknown) => e);
      return probe instanceof Anthropic.RateLimitError ? true : undefined;
    });
    expect(mock.requests.length).toBe(before);
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => ask(urls[i % 2], 'nineteen')));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof Anthropic.RateLimitError)).toBe(true);
    expect(mock.requests.length).toBe(before);
    const [row] = await one.sql<{ used: string }>(
      `select (input_tokens + output_tokens)::text as used from sessions where organization_id = $1 and external_id = 'nineteen'`,
      [owner.organizationId],
    );
    expect(row.used).toBe('19');
  });

  describe('over a limit', () => {
    let team: { id: string };
    let dev: TestUser;
    let devKey: { id: string; key: string };

    beforeAll(async () => {
      team = await createOrganization(one, owner, { name: 'Limited Team' });
      dev = await registerUser(one, 'Developer');
      await addMember(one, owner, team.id, dev, 'admin');
      const stored = await one.request({
        method: 'POST',
        url: '/api/v1/provider-keys',
        headers: { ...owner.auth, ...orgHeader(team.id) },
        payload: { name: 'anthropic', key: 'sk-ant-api03-spend-limits-team-key-bbbbbbbb' },
      });
      expect(stored.statusCode).toBe(201);
      devKey = await createApiKey(one, dev, { name: 'dev key' }, team.id);
    });

    afterEach(() => jest.restoreAllMocks());

    it('gives the SDK a RateLimitError with retry-after until the period resets, the scope and figures in its message', async () => {
      const restore = setNow(one, '2026-11-30T12:00:00Z');
      try {
        const created = await one.request({
          method: 'POST',
          url: CONSOLE,
          headers: { ...owner.auth, ...orgHeader(team.id) },
          payload: { scopeType: 'api_key', scopeId: devKey.id, period: 'daily', amount: 0.02 },
        });
        expect(created.statusCode).toBe(201);
        const first = await client(urls[0], devKey.key, { 'x-lamplight-session-id': 'over' })
          .messages.create({ model: MODEL, max_tokens: 1000, messages: [{ role: 'user', content: scenario() }] })
          .withResponse();
        const reset = String(Date.parse('2026-12-01T00:00:00Z') / 1000);
        // Claude Code's usage-limit headers: allowed, nothing spent yet, no threshold passed.
        expect(Object.fromEntries(first.response.headers)).toMatchObject({
          'anthropic-ratelimit-unified-status': 'allowed',
          'anthropic-ratelimit-unified-representative-claim': 'overage',
          'anthropic-ratelimit-unified-overage-status': 'allowed',
          'anthropic-ratelimit-unified-overage-utilization': '0',
          'anthropic-ratelimit-unified-reset': reset,
          'anthropic-ratelimit-unified-overage-reset': reset,
          'x-lamplight-spend-limit-scope': 'api_key',
          'x-lamplight-spend-limit-period': 'daily',
        });
        expect(first.response.headers.get('anthropic-ratelimit-unified-overage-surpassed-threshold')).toBeNull();
        await settled(one, created.json().id);
        const error = await ask(urls[0], 'over', {}, devKey.key).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Anthropic.RateLimitError);
        const rate = error as InstanceType<typeof Anthropic.RateLimitError>;
        expect(rate.headers?.get('retry-after')).toBe(String(12 * 3600));
        expect(rate.headers?.get('x-should-retry')).toBe('false');
        // The rejected shape Claude Code prints the message of, without a line of its own.
        expect(Object.fromEntries(rate.headers ?? [])).toMatchObject({
          'anthropic-ratelimit-unified-status': 'rejected',
          'anthropic-ratelimit-unified-reset': reset,
          'anthropic-ratelimit-unified-overage-reset': reset,
          'anthropic-ratelimit-unified-overage-utilization': '1',
          'anthropic-ratelimit-unified-overage-surpassed-threshold': '1',
          'anthropic-ratelimit-unified-overage-period': 'daily',
          'anthropic-ratelimit-unified-overage-disabled-reason': 'org_spend_cap_reached',
          'x-lamplight-spend-limit-scope': 'api_key',
          'x-lamplight-spend-limit-utilization': '1.0000',
        });
        expect(rate.headers?.get('anthropic-ratelimit-unified-representative-claim')).toBeNull();
        expect(rate.headers?.get('anthropic-ratelimit-unified-overage-status')).toBeNull();
        expect(rate.error).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
        expect(rate.message).toContain("this API key's daily spend limit of $0.02");
        expect(rate.message).toContain('$0.02 spent');
        expect(rate.message).toContain('It resets Dec 1, 00:00 UTC (2026-12-01T00:00:00.000Z)');
        expect(rate.message).toContain('ask an owner or admin of your organization to raise it');
        // The console shows the spend beside the limit.
        const listed = await one.request({
          method: 'GET',
          url: CONSOLE,
          headers: { ...owner.auth, ...orgHeader(team.id) },
        });
        expect(listed.json().data[0]).toMatchObject({
          amount: 0.02,
          usage: { spent: CALL_COST_MICRO / 1e6, reserved: 0, periodEnd: '2026-12-01T00:00:00.000Z' },
        });
        await one.request({
          method: 'DELETE',
          url: `${CONSOLE}/${created.json().id}`,
          headers: { ...owner.auth, ...orgHeader(team.id) },
        });
      } finally {
        restore();
      }
    });

    it("rolls a monthly limit over at midnight in the organization's time zone, not UTC's", async () => {
      const headers = { ...owner.auth, ...orgHeader(team.id) };
      expect(
        (
          await one.request({
            method: 'PATCH',
            url: `${CONSOLE}/settings`,
            headers,
            payload: { timeZone: 'Asia/Tokyo' },
          })
        ).json(),
      ).toMatchObject({ timeZone: 'Asia/Tokyo' });
      // 23:59 on 31 January in Tokyo is 14:59 UTC.
      let restore = setNow(one, '2026-01-31T14:59:00Z');
      const created = await one.request({
        method: 'POST',
        url: CONSOLE,
        headers,
        payload: { scopeType: 'organization', period: 'monthly', amount: 0.02 },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json().usage).toMatchObject({
        periodStart: '2025-12-31T15:00:00.000Z',
        periodEnd: '2026-01-31T15:00:00.000Z',
      });
      try {
        await ask(urls[0], 'tokyo', {}, devKey.key);
        await settled(one, created.json().id);
        const refused = (await ask(urls[0], 'tokyo', {}, devKey.key).catch((e: unknown) => e)) as InstanceType<
          typeof Anthropic.RateLimitError
        >;
        expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
        expect(refused.headers?.get('retry-after')).toBe('60');
      } finally {
        restore();
      }
      restore = setNow(one, '2026-01-31T15:00:30Z');
      try {
        await expect(ask(urls[0], 'tokyo', {}, devKey.key)).resolves.toMatchObject({ type: 'message' });
      } finally {
        restore();
      }
      await one.request({ method: 'DELETE', url: `${CONSOLE}/${created.json().id}`, headers });
    });
  });

  it('warns as a cap nears: allowed_warning past 75 %, the threshold passed, utilization kept below 1', async () => {
    const org = await createOrganization(one, owner, { name: 'Warned' });
    const headers = { ...owner.auth, ...orgHeader(org.id) };
    await one.request({
      method: 'POST',
      url: '/api/v1/provider-keys',
      headers,
      payload: { name: 'anthropic', key: 'sk-ant-api03-spend-limits-warn-key-cccccccc' },
    });
    const orgKey = await createApiKey(one, owner, { name: 'warned' }, org.id);
    const created = await one.request({
      method: 'POST',
      url: CONSOLE,
      headers,
      payload: { scopeType: 'organization', period: 'weekly', amount: 0.06 },
    });
    const statuses: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await client(urls[1], orgKey.key, { 'x-lamplight-session-id': 'warn' })
        .messages.create({ model: MODEL, max_tokens: 1000, messages: [{ role: 'user', content: scenario() }] })
        .withResponse();
      statuses.push(response.headers.get('anthropic-ratelimit-unified-status'));
      await settled(two, created.json().id);
    }
    // Before each call: $0, $0.015, $0.030 of $0.06 spent (0 %, 25 %, 50 %) …
    expect(statuses).toEqual(['allowed', 'allowed', 'allowed']);
    const [c] = await counter(created.json().id);
    await one.sql(`update spend_counters set spent = $2 where counter_key = $1`, [created.json().id, 48_500]);
    const { response } = await client(urls[1], orgKey.key, { 'x-lamplight-session-id': 'warn' })
      .messages.create({
        model: MODEL,
        max_tokens: 100,
        messages: [
          { role: 'user', content: `MOCK:${JSON.stringify({ usage: { input_tokens: 1, output_tokens: 1 } })} go` },
        ],
      })
      .withResponse();
    expect(c.spent).toBe(3 * CALL_COST_MICRO);
    // … and 80.8 % now.
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'anthropic-ratelimit-unified-status': 'allowed_warning',
      'anthropic-ratelimit-unified-overage-status': 'allowed_warning',
      'anthropic-ratelimit-unified-representative-claim': 'overage',
      'anthropic-ratelimit-unified-overage-utilization': '0.81',
      'anthropic-ratelimit-unified-overage-surpassed-threshold': '0.75',
      'x-lamplight-spend-limit-utilization': '0.8083',
    });

    // Spend per API key and per member this week, beside the limit on each.
    expect(
      (
        await one.request({
          method: 'POST',
          url: CONSOLE,
          headers,
          payload: { scopeType: 'api_key', scopeId: orgKey.id, period: 'weekly', amount: 10 },
        })
      ).statusCode,
    ).toBe(201);
    const report = await eventually(async () => {
      const body = (await one.request({ method: 'GET', url: `${CONSOLE}/spend?period=weekly`, headers })).json();
      return body.apiKeys?.[0]?.calls === 4 ? body : undefined;
    });
    expect(report).toMatchObject({
      period: 'weekly',
      timeZone: 'UTC',
      apiKeys: [{ id: orgKey.id, calls: 4, unpricedCalls: 0, limit: { scopeType: 'api_key', amount: 10 } }],
      members: [{ id: owner.id, calls: 4, limit: null }],
    });
    expect(report.apiKeys[0].spentUsd).toBeCloseTo((3 * CALL_COST_MICRO + 18) / 1e6, 6);
    expectProblem(await one.request({ method: 'GET', url: `${CONSOLE}/spend?period=session`, headers }), 400);
  });

  it("describes the fullest cap that resets, once blocked the one that resets last; a session's token budget and the upstream's own quota never reach Claude Code's headers", async () => {
    const org = await createOrganization(one, owner, { name: 'Several caps' });
    const headers = { ...owner.auth, ...orgHeader(org.id) };
    await one.request({
      method: 'POST',
      url: '/api/v1/provider-keys',
      headers,
      payload: { name: 'anthropic', key: 'sk-ant-api03-spend-limits-caps-key-eeeeeeee' },
    });
    const orgKey = await createApiKey(one, owner, { name: 'caps' }, org.id);
    const call = (session: string, extra: Record<string, unknown> = {}) =>
      client(urls[0], orgKey.key, { 'x-lamplight-session-id': session })
        .messages.create({ model: MODEL, max_tokens: 1000, messages: [{ role: 'user', content: scenario(extra) }] })
        .withResponse();
    const unified = (h: Headers) => [...h.keys()].filter((name) => name.startsWith('anthropic-ratelimit-unified-'));
    // Monday 30 November: the month ends the next day, the week on Monday 7 December.
    const restore = setNow(one, '2026-11-30T12:00:00Z');
    try {
      // No cap: none of the headers, not even the ones Anthropic sent about the provider key's own quota.
      const free = await call('caps', { unifiedUsage: true });
      expect(unified(free.response.headers)).toEqual([]);
      expect(free.response.headers.get('x-lamplight-spend-limit-scope')).toBeNull();
      expect(free.response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');

      // A session's token budget: Lamplight's figures only (it never resets and is not the member's credits).
      expect(
        (
          await one.request({
            method: 'PATCH',
            url: '/api/v1/sessions/caps',
            headers,
            payload: { tokenBudget: 100_000 },
          })
        ).statusCode,
      ).toBe(200);
      const budgeted = await call('caps', { unifiedUsage: true });
      expect(unified(budgeted.response.headers)).toEqual([]);
      expect(Object.fromEntries(budgeted.response.headers)).toMatchObject({
        'x-lamplight-spend-limit-scope': 'session',
        'x-lamplight-spend-limit-period': 'session',
      });
      expect(budgeted.response.headers.get('x-lamplight-spend-limit-reset')).toBeNull();

      const limit = async (payload: Record<string, unknown>) => {
        const created = await one.request({ method: 'POST', url: CONSOLE, headers, payload });
        expect(created.statusCode).toBe(201);
        return created.json().id as string;
      };
      const monthly = await limit({ scopeType: 'user', scopeId: owner.id, period: 'monthly', amount: 1 });
      const weekly = await limit({ scopeType: 'organization', period: 'weekly', amount: 2 });
      await call('caps');
      await settled(one, monthly);
      await settled(one, weekly);
      const put = (id: string, spent: number) =>
        one.sql(`update spend_counters set spent = $2 where counter_key = $1`, [id, spent]);
      // The member's month at 96 %, the organization's week at 10 %: the month is described.
      await put(monthly, 960_000);
      await put(weekly, 200_000);
      const near = await call('caps', { unifiedUsage: true });
      const monthEnd = String(Date.parse('2026-12-01T00:00:00Z') / 1000);
      const weekEnd = String(Date.parse('2026-12-07T00:00:00Z') / 1000);
      expect(Object.fromEntries(near.response.headers)).toMatchObject({
        'anthropic-ratelimit-unified-status': 'allowed_warning',
        'anthropic-ratelimit-unified-overage-utilization': '0.96',
        'anthropic-ratelimit-unified-overage-surpassed-threshold': '0.95',
        'anthropic-ratelimit-unified-reset': monthEnd,
        'anthropic-ratelimit-unified-overage-reset': monthEnd,
        'x-lamplight-spend-limit-scope': 'user',
      });
      expect(near.response.headers.get('anthropic-ratelimit-unified-5h-utilization')).toBeNull();
      await settled(one, monthly);

      // Both full: the week, which resets last, is what the refusal describes.
      await put(monthly, 1_000_000);
      await put(weekly, 2_000_000);
      const both = (await call('caps').catch((e: unknown) => e)) as InstanceType<typeof Anthropic.RateLimitError>;
      expect(both).toBeInstanceOf(Anthropic.RateLimitError);
      expect(Object.fromEntries(both.headers ?? [])).toMatchObject({
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-overage-period': 'weekly',
        'anthropic-ratelimit-unified-reset': weekEnd,
        'retry-after': String(Number(weekEnd) - Date.parse('2026-11-30T12:00:00Z') / 1000),
        'x-lamplight-spend-limit-scope': 'organization',
      });
      expect(both.message).toContain("the organization's weekly spend limit of $2.00");

      // Only the session's token budget spent: a 429 with the message and x-should-retry alone.
      await put(monthly, 0);
      await put(weekly, 0);
      expect(
        (await one.request({ method: 'PATCH', url: '/api/v1/sessions/caps', headers, payload: { tokenBudget: 10 } }))
          .statusCode,
      ).toBe(200);
      const spent = (await call('caps').catch((e: unknown) => e)) as InstanceType<typeof Anthropic.RateLimitError>;
      expect(spent).toBeInstanceOf(Anthropic.RateLimitError);
      expect(unified(spent.headers)).toEqual([]);
      expect(spent.headers?.get('x-should-retry')).toBe('false');
      expect(spent.headers?.get('retry-after')).toBeNull();
      expect(spent.error).toMatchObject({ error: { type: 'billing_error' } });
      expect(spent.message).toContain("this session's token budget of 10 tokens");
      expect(spent.message).toContain("It does not reset: raise the session's token budget, or start a new session.");
    } finally {
      restore();
    }
  });

  describe('alerts', () => {
    let receiver: Server;
    let receiverUrl: string;
    const received: { headers: IncomingMessage['headers']; body: string; at: number }[] = [];
    let failFirst = 2;

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
          res.statusCode = failFirst-- > 0 ? 500 : 204;
          res.end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/spend`;
    });

    afterAll(async () => {
      await new Promise((resolve) => receiver.close(resolve));
    });

    it('posts a signed webhook once per threshold, retried with backoff, logged in the delivery log and in one log line', async () => {
      const org = await createOrganization(one, owner, { name: 'Alerted' });
      const headers = { ...owner.auth, ...orgHeader(org.id) };
      await one.request({
        method: 'POST',
        url: '/api/v1/provider-keys',
        headers,
        payload: { name: 'anthropic', key: 'sk-ant-api03-spend-limits-alert-key-dddddddd' },
      });
      const orgKey = await createApiKey(one, owner, { name: 'alerted' }, org.id);
      const settings = await one.request({
        method: 'PATCH',
        url: `${CONSOLE}/settings`,
        headers,
        payload: { webhookUrl: receiverUrl, alertThresholds: [50, 100] },
      });
      expect(settings.statusCode).toBe(200);
      const secret = (await one.request({ method: 'POST', url: `${CONSOLE}/settings/webhook-secret`, headers })).json()
        .secret as string;
      expect(secret).toMatch(/^whsec_/);
      const created = await one.request({
        method: 'POST',
        url: CONSOLE,
        headers,
        payload: { scopeType: 'organization', period: 'monthly', amount: 0.05 },
      });
      // $0.015 then $0.030 of $0.05: the second call crosses 50 %.
      for (let i = 0; i < 2; i++) {
        await client(urls[0], orgKey.key, { 'x-lamplight-session-id': 'alerted' }).messages.create({
          model: MODEL,
          max_tokens: 1000,
          messages: [{ role: 'user', content: scenario() }],
        });
        await settled(one, created.json().id);
      }
      const deliveries = await eventually(async () => {
        const list = (await one.request({ method: 'GET', url: `${CONSOLE}/webhook-deliveries`, headers })).json()
          .data as { status: string; attempts: number }[];
        return list.length === 1 && list[0].status === 'delivered' ? list : undefined;
      }, 10_000);
      expect(deliveries[0]).toMatchObject({
        status: 'delivered',
        attempts: 3,
        lastStatusCode: 204,
        event: 'spend_limit.threshold_reached',
      });
      expect(received).toHaveLength(3);
      // Backoff: 50 ms, then 100 ms.
      expect(received[1].at - received[0].at).toBeGreaterThanOrEqual(45);
      expect(received[2].at - received[1].at).toBeGreaterThanOrEqual(95);
      for (const r of received) {
        expect(
          verifyWebhook(secret, String(r.headers['x-lamplight-signature']), r.body, Math.floor(Date.now() / 1000)),
        ).toBe(true);
        expect(
          verifyWebhook(
            'whsec_wrong',
            String(r.headers['x-lamplight-signature']),
            r.body,
            Math.floor(Date.now() / 1000),
          ),
        ).toBe(false);
      }
      const payload = JSON.parse(received[2].body);
      expect(payload).toMatchObject({
        type: 'spend_limit.threshold_reached',
        organization_id: org.id,
        data: { threshold_percent: 50, spent_usd: 0.03006, amount_usd: 0.05 },
      });
      expect(one.logs.filter((line) => line.includes('spend limit reached 50%') && line.includes(org.id))).toHaveLength(
        1,
      );
      // The secret is never shown again, nor logged.
      expect((await one.request({ method: 'GET', url: `${CONSOLE}/settings`, headers })).body).not.toContain(secret);
      expect(one.logs.join('\n')).not.toContain(secret);
    });

    it('refuses webhook URLs that reach loopback, link-local or private addresses, changing nothing', async () => {
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://169.254.169.254/latest/meta-data',
        'http://10.0.0.1/',
        'http://[::1]/',
        'http://localhost/',
        'ftp://example.com/',
      ]) {
        const response = await two.request({
          method: 'PATCH',
          url: `${CONSOLE}/settings`,
          headers: owner.auth,
          payload: { webhookUrl: url },
        });
        expect(response.statusCode).toBe(400);
      }
      expect(
        (await two.request({ method: 'GET', url: `${CONSOLE}/settings`, headers: owner.auth })).json().webhookUrl,
      ).toBeNull();
    });
  });

  describe('who may see and change limits', () => {
    it("members read the organization's limits and their own, and change none; other organizations see nothing", async () => {
      const org = await createOrganization(one, owner, { name: 'Roles' });
      const member = await registerUser(one, 'Member');
      const other = await registerUser(one, 'Member Two');
      await addMember(one, owner, org.id, member, 'member');
      await addMember(one, owner, org.id, other, 'member');
      const headers = { ...owner.auth, ...orgHeader(org.id) };
      const orgLimit = (
        await setLimit(one, { scope: { type: 'organization' }, amount: '50000', period: 'monthly' }, headers)
      ).json();
      const own = (
        await setLimit(one, { scope: { type: 'user', user_id: member.id }, amount: '1000', period: 'daily' }, headers)
      ).json();
      const others = (
        await setLimit(one, { scope: { type: 'user', user_id: other.id }, amount: '1000', period: 'daily' }, headers)
      ).json();
      const seen = (
        await one.request({ method: 'GET', url: ADMIN, headers: { ...member.auth, ...orgHeader(org.id) } })
      ).json();
      expect(seen.data.map((l: { id: string }) => l.id).sort()).toEqual([orgLimit.id, own.id].sort());
      expectProblem(
        await one.request({
          method: 'GET',
          url: `${ADMIN}/${others.id}`,
          headers: { ...member.auth, ...orgHeader(org.id) },
        }),
        404,
        'SPEND_LIMIT_NOT_FOUND',
      );
      expectProblem(
        await setLimit(
          one,
          { scope: { type: 'organization' }, amount: '1', period: 'monthly' },
          { ...member.auth, ...orgHeader(org.id) },
        ),
        403,
      );
      expectProblem(
        await one.request({
          method: 'DELETE',
          url: `${ADMIN}/${own.id}`,
          headers: { ...member.auth, ...orgHeader(org.id) },
        }),
        403,
      );
      // A stranger: no such limit, and a user of another organization is not a scope here.
      const stranger = await registerUser(one, 'Stranger');
      expectProblem(
        await one.request({ method: 'GET', url: `${ADMIN}/${orgLimit.id}`, headers: stranger.auth }),
        404,
        'SPEND_LIMIT_NOT_FOUND',
      );
      expectProblem(
        await one.request({ method: 'DELETE', url: `${ADMIN}/${orgLimit.id}`, headers: stranger.auth }),
        404,
        'SPEND_LIMIT_NOT_FOUND',
      );
      expectProblem(
        await setLimit(one, { scope: { type: 'user', user_id: stranger.id }, amount: '1', period: 'daily' }, headers),
        404,
        'SPEND_LIMIT_SCOPE_NOT_FOUND',
      );
      expect((await one.request({ method: 'GET', url: ADMIN, headers: stranger.auth })).json().data).toEqual([]);
      // Setting again replaces the amount in place; deleting answers the Admin API's shape.
      const replaced = (
        await setLimit(one, { scope: { type: 'organization' }, amount: '70000', period: 'monthly' }, headers)
      ).json();
      expect(replaced).toMatchObject({ id: orgLimit.id, amount: '70000' });
      const deleted = await one.request({ method: 'DELETE', url: `${ADMIN}/${orgLimit.id}`, headers });
      expect(deleted.json()).toEqual({ type: 'spend_limit_deleted', id: orgLimit.id });
      expectProblem(await one.request({ method: 'GET', url: `${ADMIN}/${orgLimit.id}`, headers }), 404);
    });

    it('answers hostile limit bodies with 400 (or 404 for an unknown scope) and writes nothing then', async () => {
      const org = await createOrganization(one, owner, { name: 'Fuzzed' });
      const headers = { ...owner.auth, ...orgHeader(org.id) };
      const count = async () =>
        Number(
          (
            await one.sql<{ n: string }>(`select count(*)::text as n from spend_limits where organization_id = $1`, [
              org.id,
            ])
          )[0].n,
        );
      const anything = fc.oneof(
        fc.string(),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.object({ maxDepth: 2 }),
      );
      const scope = fc.oneof(
        fc.record(
          { type: fc.constantFrom('organization', 'user', 'api_key', 'session', 'workspace', '') },
          { requiredKeys: [] },
        ),
        fc.record(
          {
            type: fc.constantFrom('user', 'api_key', 'session'),
            user_id: fc.oneof(fc.uuid(), fc.string()),
            session_id: fc.uuid(),
          },
          { requiredKeys: ['type'] },
        ),
        anything,
      );
      const body = fc.record(
        {
          scope,
          amount: fc.oneof(
            fc.constantFrom('0', '1', '50000', '99999999999', '999999999999', '-1', '1.5', '01', ' 1', '1e3', ''),
            fc.integer(),
            anything,
          ),
          period: fc.oneof(fc.constantFrom('daily', 'weekly', 'monthly', 'session', 'yearly'), anything),
          unit: fc.oneof(fc.constantFrom('usd', 'tokens', 'eur'), anything),
          alert_thresholds: fc.oneof(fc.array(fc.integer({ min: -5, max: 120 }), { maxLength: 12 }), anything),
          extra: anything,
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const before = await count();
          const response = await setLimit(one, payload, headers);
          expect([200, 400, 404]).toContain(response.statusCode);
          if (response.statusCode !== 200) {
            expect(await count()).toBe(before);
          } else {
            const limit = response.json();
            expect(limit.amount).toBe(payload.amount);
            expect(limit.scope.type).toBe('organization');
            await one.request({ method: 'DELETE', url: `${ADMIN}/${limit.id}`, headers });
          }
        }),
        { numRuns: 150 },
      );
    });
  });

  describe('leases', () => {
    /** A fresh organization with a provider key, an API key and an organization limit (USD). */
    const limitedOrganization = async (name: string, amountUsd: number, period = 'monthly') => {
      const org = await createOrganization(one, owner, { name });
      const headers = { ...owner.auth, ...orgHeader(org.id) };
      const stored = await one.request({
        method: 'POST',
        url: '/api/v1/provider-keys',
        headers,
        payload: { name: 'anthropic', key: `sk-ant-api03-spend-leases-${name.toLowerCase()}-eeeeeeee` },
      });
      expect(stored.statusCode).toBe(201);
      const orgKey = await createApiKey(one, owner, { name }, org.id);
      const created = await one.request({
        method: 'POST',
        url: CONSOLE,
        headers,
        payload: { scopeType: 'organization', period, amount: amountUsd },
      });
      expect(created.statusCode).toBe(201);
      const limit = created.json<{ id: string; usage: { periodStart: string } }>();
      return { org, headers, orgKey, limit };
    };
    const leaseRows = (organizationId: string) =>
      one.sql<{ instance_id: string; amount: string }>(
        `select instance_id, amount::text from spend_leases where organization_id = $1`,
        [organizationId],
      );

    it('admits a burst from one lease: one statement grows it, and no call makes a round trip of its own', async () => {
      const { orgKey, limit } = await limitedOrganization('Burst', 100);
      const repository = two.app.get(SpendLimitsRepository);
      const statements = jest.spyOn(repository, 'lease');
      try {
        const burst = (n: number, delayMs: number) =>
          Promise.all(
            Array.from({ length: n }, () =>
              client(urls[1], orgKey.key, { 'x-lamplight-session-id': 'burst' }).messages.create({
                model: MODEL,
                max_tokens: 1000,
                messages: [{ role: 'user', content: scenario({ delayMs }) }],
              }),
            ),
          );
        // The first call waits for the lease; 24 more (12 at once, then 12 one after another) fit in it.
        await burst(1, 0);
        await burst(12, 100);
        for (let i = 0; i < 12; i++) await burst(1, 0);
        const grows = statements.mock.calls.filter(([, , , entries]) =>
          entries.some((e) => e.need > 0 || e.demand > 0),
        );
        // Far from the cap a lease is an eighth of the room, at most 64 worst cases more than the
        // call needs: 25 calls at a worst case of about $0.016 fit in the first grant.
        expect(grows).toHaveLength(1);
        const [{ spent, reserved }] = await settled(two, limit.id);
        expect(reserved).toBe(0);
        expect(spent).toBe(25 * CALL_COST_MICRO);
        // Flushes are batched: fewer statements than calls, however slow the machine.
        expect(statements.mock.calls.length).toBeLessThan(25);
      } finally {
        statements.mockRestore();
      }
    });

    it('releases the lease of an instance that stopped renewing it, and another instance uses its headroom', async () => {
      const { org, orgKey, limit } = await limitedOrganization('Crashed', 0.05);
      const ask2 = () =>
        client(urls[1], orgKey.key, { 'x-lamplight-session-id': 'crashed' }).messages.create({
          model: MODEL,
          max_tokens: 1000,
          messages: [{ role: 'user', content: scenario() }],
        });
      // Another instance leased the whole limit, then was killed: its lease row stays, unrenewed.
      const dead = '0f0f0f0f-0000-4000-8000-000000000001';
      await one.sql(
        `insert into spend_counters (organization_id, counter_key, period_start, spent, reserved) values ($1, $2, $3, 0, 50000)`,
        [org.id, limit.id, limit.usage.periodStart],
      );
      await one.sql(
        `insert into spend_leases (organization_id, counter_key, period_start, instance_id, amount, expires_at)
         values ($1, $2, $3, $4, 50000, now() + interval '1 hour')`,
        [org.id, limit.id, limit.usage.periodStart, dead],
      );
      // While its lease is unexpired, the headroom is held: refused, nothing sent.
      const before = mock.requests.length;
      await expect(ask2()).rejects.toBeInstanceOf(Anthropic.RateLimitError);
      expect(mock.requests.length).toBe(before);
      // Its expiry passes (it stopped renewing): the next grow releases it and the call goes through.
      await one.sql(`update spend_leases set expires_at = now() - interval '1 second' where instance_id = $1`, [dead]);
      await expect(ask2()).resolves.toMatchObject({ type: 'message' });
      expect((await leaseRows(org.id)).map((r) => r.instance_id)).not.toContain(dead);
      const [c] = await settled(two, limit.id);
      expect(c).toEqual({ spent: CALL_COST_MICRO, reserved: 0 });
    });

    it('gives unused leases back on every instance when a limit changes, keeping what calls in flight hold', async () => {
      const { headers, orgKey, limit } = await limitedOrganization('Changed', 100);
      // A slow call on the other instance keeps its lease busy (not idle, so not given back for that).
      const slow = client(urls[1], orgKey.key, { 'x-lamplight-session-id': 'changed' }).messages.create({
        model: MODEL,
        max_tokens: 1000,
        messages: [{ role: 'user', content: scenario({ delayMs: 8000 }) }],
      });
      // Far from the cap the lease is many worst cases (a worst case here is under $0.02).
      const leased = await eventually(async () => {
        const [c] = await counter(limit.id);
        return c && c.reserved > 100_000 ? c : undefined;
      });
      expect(leased.reserved).toBeGreaterThan(100_000);
      const patched = await one.request({
        method: 'PATCH',
        url: `${CONSOLE}/${limit.id}`,
        headers,
        payload: { amount: 50 },
      });
      expect(patched.statusCode).toBe(200);
      // NOTIFY reaches the other instance, which gives back all but the slow call's worst case (its
      // next lease statement, within milliseconds; the bound leaves room for a loaded CI machine)
      // while the slow call still runs.
      const back = await eventually(async () => {
        const [c] = await counter(limit.id);
        return c.reserved < 20_000 ? c : undefined;
      }, 6_000);
      expect(back.reserved).toBeGreaterThan(0);
      await expect(slow).resolves.toMatchObject({ type: 'message' });
      expect(await settled(two, limit.id)).toEqual([{ spent: CALL_COST_MICRO, reserved: 0 }]);
    });

    it('gives unused leases back and loses no settled spend on a graceful shutdown', async () => {
      const three = await startTestApp({
        ANTHROPIC_BASE_URL: mock.url,
        PROXY_RATE_LIMIT_PER_MINUTE: '0',
        PROXY_CONCURRENCY_LIMIT: '0',
      });
      let closed = false;
      try {
        const url = await listen(three);
        const { org, orgKey, limit } = await limitedOrganization('Stopping', 100);
        for (let i = 0; i < 5; i++) {
          await client(url, orgKey.key, { 'x-lamplight-session-id': 'stopping' }).messages.create({
            model: MODEL,
            max_tokens: 1000,
            messages: [{ role: 'user', content: scenario() }],
          });
        }
        // The lease is still held (far from the cap, it is kept until a second without calls) …
        const [held] = await counter(limit.id);
        expect(held.reserved).toBeGreaterThan(0);
        expect(await leaseRows(org.id)).toHaveLength(1);
        await three.close();
        closed = true;
        // … and shutdown flushed every call and gave the rest back.
        expect(await counter(limit.id)).toEqual([{ spent: 5 * CALL_COST_MICRO, reserved: 0 }]);
        expect(await leaseRows(org.id)).toEqual([]);
      } finally {
        if (!closed) await three.close();
      }
    });
  });
});
