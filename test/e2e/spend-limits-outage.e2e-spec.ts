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
 * When the spend counters cannot be reached, what happens is the organization's choice, and it
 * is never silent: fail closed (429, nothing sent) or fail open up to a bounded amount per
 * instance, each call logged.
 */
describe('spend limits while the database is unreachable', () => {
  let mock: MockAnthropic;
  let link: SeverableLink;
  let app: TestApp;
  let owner: TestUser;
  let key: string;

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
    for (let i = 0; i < 3; i++) expect((await call()).statusCode).toBe(200);
  });

  afterAll(async () => {
    link.restore();
    await app.close();
    await link.close();
    await mock.close();
  });

  afterEach(() => link.restore());

  it('fails closed by default: 429 billing_error with fetch_error, not retried, nothing sent upstream, and a log line', async () => {
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
    const before = mock.requests.length;
    link.sever();
    // Each call's worst case is about $0.0047 (256 output tokens of Sonnet 4.6 and its prompt): two fit in $0.01.
    const statuses = [(await call()).statusCode, (await call()).statusCode, (await call()).statusCode];
    expect(statuses).toEqual([200, 200, 429]);
    expect(mock.requests.length - before).toBe(2);
    expect(logged()).toBe(2);
  });
});
