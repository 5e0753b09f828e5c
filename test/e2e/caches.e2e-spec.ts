import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { CacheInvalidation } from '../../src/database/cache-invalidation';
import { createApiKey, eventually, expectProblem, registerUser, startTestApp, type TestApp, type TestUser } from '../support/test-app';

/**
 * The proxy's per-instance caches (API key authentication, the decrypted default provider key)
 * must never outlive a change: two instances on one database, as behind a load balancer; every
 * change made through one (or straight in the database) is seen on the very next request to the other.
 */
describe('hot-path caches and their invalidation across instances (LISTEN/NOTIFY)', () => {
  let mock: MockAnthropic;
  let one: TestApp;
  let two: TestApp;
  let user: TestUser;

  const MESSAGES = '/spotlight/anthropic/v1/messages';
  const call = (target: TestApp, key: string) =>
    target.request({
      method: 'POST',
      url: MESSAGES,
      headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      payload: { model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
    });
  const me = (target: TestApp, key: string) => target.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': key } });
  const storeKey = async (target: TestApp, key: string, isDefault = true) => {
    const response = await target.request({ method: 'POST', url: '/api/v1/provider-keys', headers: user.auth, payload: { name: key.slice(-6), key, isDefault } });
    expect(response.statusCode).toBe(201);
    return response.json().id as string;
  };
  const warm = async (key: string) => {
    for (let i = 0; i < 3; i++) for (const target of [one, two]) expect((await call(target, key)).statusCode).toBe(200);
  };

  beforeAll(async () => {
    mock = await startMockAnthropic();
    one = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    two = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    user = await registerUser(one, 'Cache Owner');
    await storeKey(one, 'sk-ant-api03-cache-test-first-key-aaaaaa');
  });

  afterAll(async () => {
    await two?.close();
    await one?.close();
    await mock?.close();
  });

  it('a key revoked through one instance is refused by the other on the very next request', async () => {
    const key = await createApiKey(one, user, { name: 'cached then revoked' });
    await warm(key.key);
    expect((await one.request({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: user.auth })).statusCode).toBe(204);
    expect((await call(two, key.key)).statusCode).toBe(401);
    expectProblem(await me(two, key.key), 401, 'UNAUTHENTICATED');
    expect((await call(one, key.key)).statusCode).toBe(401);
  });

  it('a change made straight in the database (expiry) is seen by both instances on the next call', async () => {
    const key = await createApiKey(one, user, { name: 'cached then expired' });
    await warm(key.key);
    await one.sql(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [key.id]);
    for (const target of [two, one]) {
      expect((await call(target, key.key)).statusCode).toBe(401);
      expectProblem(await me(target, key.key), 401, 'UNAUTHENTICATED');
    }
  });

  it('a deleted organization takes its cached keys with it', async () => {
    const owner = await registerUser(one, 'Doomed Cache Org');
    const created = await one.request({ method: 'POST', url: '/api/v1/organizations', headers: owner.auth, payload: { name: 'Doomed cache org' } });
    expect(created.statusCode).toBe(201);
    const organizationId = created.json().id as string;
    const key = await createApiKey(one, owner, { name: 'orphan' }, organizationId);
    for (const target of [one, two]) expect((await me(target, key.key)).statusCode).toBe(200);
    expect((await one.request({ method: 'DELETE', url: `/api/v1/organizations/${organizationId}`, headers: owner.auth })).statusCode).toBe(204);
    for (const target of [two, one]) expectProblem(await me(target, key.key), 401, 'UNAUTHENTICATED');
  });

  it('a new default provider key is used by the other instance on the very next call', async () => {
    const key = await createApiKey(one, user, { name: 'provider key swaps' });
    await warm(key.key);
    expect(mock.requests.at(-1)?.apiKey).toBe('sk-ant-api03-cache-test-first-key-aaaaaa');
    const secondId = await storeKey(one, 'sk-ant-api03-cache-test-second-key-bbbbb');
    expect((await call(two, key.key)).statusCode).toBe(200);
    expect(mock.requests.at(-1)?.apiKey).toBe('sk-ant-api03-cache-test-second-key-bbbbb');

    // Revoking the default leaves the organization without one: refused at once on both instances.
    expect((await one.request({ method: 'DELETE', url: `/api/v1/provider-keys/${secondId}`, headers: user.auth })).statusCode).toBe(204);
    const before = mock.requests.length;
    for (const target of [two, one]) expect((await call(target, key.key)).statusCode).toBeGreaterThanOrEqual(400);
    expect(mock.requests.length).toBe(before);
  });

  it('without notifications (listener down), the epoch read with the session still refuses a revoked key', async () => {
    const deaf = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    try {
      const key = await createApiKey(one, user, { name: 'revoked while not listening' });
      await storeKey(one, 'sk-ant-api03-cache-test-deaf-key-dddddddd');
      for (let i = 0; i < 3; i++) expect((await call(deaf, key.key)).statusCode).toBe(200);
      await deaf.app.get(CacheInvalidation).onApplicationShutdown();
      expect((await one.request({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: user.auth })).statusCode).toBe(204);
      const before = mock.requests.length;
      const refused = await call(deaf, key.key);
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
      expect(mock.requests.length).toBe(before);
    } finally {
      await deaf.close();
    }
  });

  it('keeps last_used_at moving while authentications come from the cache', async () => {
    const key = await createApiKey(one, user, { name: 'touched' });
    await storeKey(one, 'sk-ant-api03-cache-test-third-key-ccccccc');
    await warm(key.key);
    const row = await eventually(async () => {
      const [found] = await one.sql<{ last_used_at: Date | null }>('select last_used_at from api_keys where id = $1', [key.id]);
      return found?.last_used_at ? found : undefined;
    });
    expect(row.last_used_at).toBeInstanceOf(Date);
  });
});
