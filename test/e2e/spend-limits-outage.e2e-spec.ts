import { Client } from 'pg';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { MESSAGES, messageBody, startSeverableLink, type SeverableLink } from '../support/reliability-fixtures';
import {
  createApiKey,
  eventually,
  registerUser,
  startTestApp,
  storeProviderKey,
  testDatabaseUrl,
  type TestApp,
  type TestUser,
} from '../support/test-app';

/**
 * When the spend counters cannot be reached, a call that fits in a lease this instance still
 * holds is admitted from it (the headroom is already reserved on the shared counter); any other
 * call gets the organization's choice, never silently: fail closed (429, nothing sent) or fail
 * open up to a bounded amount per instance, each call logged.
 */
describe('spend limits while the database is unreachable', () => {
  let mock: MockAnthropic;
  let link: SeverableLink;
  let app: TestApp;
  let owner: TestUser;
  let key: string;
  let limitId: string;
  /** Straight to the database, not through the link the app uses (which the tests sever). */
  let direct: Client;
  /** What one call costs (the mock's default usage), from the three calls made before the tests. */
  let perCall: number;

  const call = () =>
    app.request({
      method: 'POST',
      url: MESSAGES,
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'x-api-key': key,
        'x-lamplight-session-id': 'spend-outage',
      },
      payload: messageBody({}, false),
    });

  beforeAll(async () => {
    mock = await startMockAnthropic();
    link = await startSeverableLink(testDatabaseUrl());
    direct = new Client({ connectionString: testDatabaseUrl() });
    await direct.connect();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url }, link.through(testDatabaseUrl()));
    owner = await registerUser(app, 'Outage Spender');
    await storeProviderKey(app, owner, 'sk-ant-api03-spend-outage-test-key-aaaaaaaaaaaa');
    key = (await createApiKey(app, owner, { name: 'warm' })).key;
    const created = await app.request({
      method: 'POST',
      url: '/api/v1/spend-limits',
      headers: owner.auth,
      payload: { scopeType: 'organization', period: 'monthly', amount: 100 },
    });
    expect(created.statusCode).toBe(201);
    limitId = created.json().id;
    for (let i = 0; i < 3; i++) expect((await call()).statusCode).toBe(200);
  });

  const counter = async () =>
    (
      await direct.query<{ spent: string; reserved: string }>(
        `select spent, reserved from spend_counters where counter_key = $1`,
        [limitId],
      )
    ).rows.map((r) => ({ spent: Number(r.spent), reserved: Number(r.reserved) }))[0];
  /** The instance gave its lease back (after a second without calls): the next call needs the database. */
  const leaseGivenBack = () => eventually(async () => ((await counter())?.reserved === 0 ? true : undefined), 15_000);

  afterAll(async () => {
    link.restore();
    await app.close();
    await link.close();
    await direct.end();
    await mock.close();
  });

  afterEach(() => link.restore());

  it('fails closed by default: 429 billing_error with fetch_error, not retried, nothing sent upstream, and a log line', async () => {
    await leaseGivenBack();
    perCall = (await counter()).spent / 3;
    expect(perCall).toBeGreaterThan(0);
    const before = mock.requests.length;
    link.sever();
    const refused = await call();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['x-should-retry']).toBe('false');
    expect(refused.headers['anthropic-ratelimit-unified-overage-disabled-reason']).toBe('fetch_error');
    expect(Object.keys(refused.headers).filter((name) => name.startsWith('anthropic-ratelimit-unified-'))).toEqual([
      'anthropic-ratelimit-unified-overage-disabled-reason',
    ]);
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(refused.json()).toMatchObject({
      type: 'error',
      error: { type: 'billing_error', message: expect.stringContaining('Spend limits cannot be checked') },
    });
    expect(mock.requests.length).toBe(before);
    expect(
      app.logs.some(
        (line) => line.includes('spend limits unreachable: call refused') && line.includes(owner.organizationId),
      ),
    ).toBe(true);
  });

  it('fails open up to the allowance the organization set, logging every call it lets through', async () => {
    const patched = await app.request({
      method: 'PATCH',
      url: '/api/v1/spend-limits/settings',
      headers: owner.auth,
      payload: { failureMode: 'open', failOpenAmountUsd: 0.01 },
    });
    expect(patched.json()).toMatchObject({ failureMode: 'open', failOpenAmountUsd: 0.01 });
    // The new settings are read by the next call (this instance forgot its copy when they changed).
    await eventually(async () => ((await call()).statusCode === 200 ? true : undefined));
    const logged = () => app.logs.filter((line) => line.includes('fail-open allowance')).length;
    // Once the lease is back, one more call reads the settings after their NOTIFY has surely
    // arrived (it drops them here too), and is the copy used while the database is out of reach.
    await leaseGivenBack();
    expect((await call()).statusCode).toBe(200);
    await leaseGivenBack();
    const before = mock.requests.length;
    link.sever();
    // Each call's worst case is about $0.0047 (256 output tokens of Sonnet 4.6 and its prompt): two fit in $0.01.
    const statuses = [(await call()).statusCode, (await call()).statusCode, (await call()).statusCode];
    expect(statuses).toEqual([200, 200, 429]);
    expect(mock.requests.length - before).toBe(2);
    expect(logged()).toBe(2);
  });

  it('admits from a lease still valid while the database is unreachable, and flushes that spend once it is back', async () => {
    await leaseGivenBack();
    const start = await counter();
    expect((await call()).statusCode).toBe(200);
    // The lease is held now (far from the cap it is kept until the instance is idle).
    expect((await counter()).reserved).toBeGreaterThan(0);
    // The call's spend reaches the counter (flushed within 50 ms) before the link is cut: a flush cut
    // mid-statement may have committed and is retried, counted twice (docs/spend-limits.md, Leases).
    await eventually(async () => ((await counter()).spent === start.spent + perCall ? true : undefined));
    const logged = () => app.logs.filter((line) => line.includes('spend limits unreachable')).length;
    const refusedBefore = logged();
    const before = mock.requests.length;
    link.sever();
    const statuses = [(await call()).statusCode, (await call()).statusCode];
    expect(statuses).toEqual([200, 200]);
    expect(mock.requests.length - before).toBe(2);
    // Admitted from the lease: neither the fail-open allowance nor a refusal was involved.
    expect(logged()).toBe(refusedBefore);
    link.restore();
    const after = await eventually(async () => {
      const c = await counter();
      return c.reserved === 0 ? c : undefined;
    }, 30_000);
    // Every one of the three calls flushed, the two made during the outage included.
    expect(after.spent - start.spent).toBe(3 * perCall);
  });

  /** A change to the organization's limits: announced to every instance, this one forgets its copy at once. */
  const changeLimit = async (amount: number) => {
    const changed = await app.request({
      method: 'PATCH',
      url: `/api/v1/spend-limits/${limitId}`,
      headers: owner.auth,
      payload: { amount },
    });
    expect(changed.statusCode).toBe(200);
  };

  it('keeps the last copy through a change made just before an outage: a fail-open organization is still served', async () => {
    await leaseGivenBack();
    // Read now, with the organization failing open: the copy the outage falls back on.
    expect((await call()).statusCode).toBe(200);
    await changeLimit(200);
    // No call reads the limits again before the outage (and the change gave the lease back).
    await leaseGivenBack();
    const logged = () => app.logs.filter((line) => line.includes('fail-open allowance')).length;
    const loggedBefore = logged();
    const before = mock.requests.length;
    link.sever();
    expect((await call()).statusCode).toBe(200);
    expect(mock.requests.length - before).toBe(1);
    expect(logged()).toBe(loggedBefore + 1);
  });

  it('keeps the last copy through a change made just before an outage: a fail-closed organization is still refused', async () => {
    const patched = await app.request({
      method: 'PATCH',
      url: '/api/v1/spend-limits/settings',
      headers: owner.auth,
      payload: { failureMode: 'closed' },
    });
    expect(patched.json()).toMatchObject({ failureMode: 'closed' });
    await leaseGivenBack();
    // Read after the settings changed: the copy the outage falls back on says closed.
    expect((await call()).statusCode).toBe(200);
    await changeLimit(300);
    await leaseGivenBack();
    const refusals = () =>
      app.logs.filter(
        (line) => line.includes('spend limits unreachable: call refused') && line.includes(owner.organizationId),
      ).length;
    const refusedBefore = refusals();
    const before = mock.requests.length;
    link.sever();
    const refused = await call();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['anthropic-ratelimit-unified-overage-disabled-reason']).toBe('fetch_error');
    expect(mock.requests.length).toBe(before);
    expect(refusals()).toBe(refusedBefore + 1);
  });
});
