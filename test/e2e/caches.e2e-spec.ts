import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { CacheInvalidation } from '../../src/database/cache-invalidation';
import { addMember } from '../support/tenancy-fixtures';
import {
  createApiKey,
  eventually,
  expectProblem,
  invalidationReceived,
  registerUser,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app';

/**
 * The proxy's per-instance caches (API key authentication, the decrypted default provider key,
 * live sessions) must never outlive a change: two instances on one database, as behind a load
 * balancer; every change made through one (or straight in the database) reaches the other as a
 * notification on commit, and the other's next call after it sees the change. Without
 * notifications, nothing is answered from memory.
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
  const me = (target: TestApp, key: string) =>
    target.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': key } });
  const storeKey = async (target: TestApp, key: string, isDefault = true) => {
    const response = await target.request({
      method: 'POST',
      url: '/api/v1/provider-keys',
      headers: user.auth,
      payload: { name: key.slice(-6), key, isDefault },
    });
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

  it('a key revoked through one instance is refused by the other once the notification is in, with no call upstream', async () => {
    const key = await createApiKey(one, user, { name: 'cached then revoked' });
    await warm(key.key);
    const received = invalidationReceived(two, 'api-key', key.id);
    expect(
      (await one.request({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: user.auth })).statusCode,
    ).toBe(204);
    // The revoking instance refuses at once, without waiting for any notification.
    expect((await call(one, key.key)).statusCode).toBe(401);
    await received;
    const before = mock.requests.length;
    expect((await call(two, key.key)).statusCode).toBe(401);
    expect(mock.requests.length).toBe(before);
    expectProblem(await me(two, key.key), 401, 'UNAUTHENTICATED');
    expect((await call(one, key.key)).statusCode).toBe(401);
  });

  it("a removed admin's keys are suspended at once on every instance, and the key list says why", async () => {
    const admin = await registerUser(one, 'Departing Admin');
    await addMember(one, user, user.organizationId, admin, 'admin');
    const key = await createApiKey(one, admin, { name: 'outlives its creator?' }, user.organizationId);
    await warm(key.key);
    const received = invalidationReceived(two, 'api-key', key.id);
    const removed = await one.request({
      method: 'DELETE',
      url: `/api/v1/organizations/${user.organizationId}/members/${admin.id}`,
      headers: user.auth,
    });
    expect(removed.statusCode).toBe(204);
    expect((await call(one, key.key)).statusCode).toBe(401);
    await received;
    const before = mock.requests.length;
    expect((await call(two, key.key)).statusCode).toBe(401);
    expect(mock.requests.length).toBe(before);
    for (const target of [one, two]) expectProblem(await me(target, key.key), 401, 'UNAUTHENTICATED');
    const listed = (await two.request({ method: 'GET', url: '/api/v1/api-keys', headers: user.auth }))
      .json()
      .data.find((k: { id: string }) => k.id === key.id);
    expect(listed).toMatchObject({ status: 'suspended', suspendedReason: 'creator_removed' });
    expect(Date.parse(listed.suspendedAt)).not.toBeNaN();
  });

  it('an admin demoted to member has their keys suspended everywhere until they are admin again', async () => {
    const admin = await registerUser(one, 'Demoted Admin');
    await addMember(one, user, user.organizationId, admin, 'admin');
    const key = await createApiKey(one, admin, { name: 'demoted creator' }, user.organizationId);
    await warm(key.key);
    const setRole = (role: string) =>
      two.request({
        method: 'PATCH',
        url: `/api/v1/organizations/${user.organizationId}/members/${admin.id}`,
        headers: user.auth,
        payload: { role },
      });
    const received = invalidationReceived(one, 'api-key', key.id);
    expect((await setRole('member')).statusCode).toBe(200);
    expect((await call(two, key.key)).statusCode).toBe(401);
    await received;
    expect((await call(one, key.key)).statusCode).toBe(401);
    const listed = (await one.request({ method: 'GET', url: '/api/v1/api-keys', headers: user.auth }))
      .json()
      .data.find((k: { id: string }) => k.id === key.id);
    expect(listed).toMatchObject({ status: 'suspended', suspendedReason: 'creator_role_lowered' });
    expect((await setRole('admin')).statusCode).toBe(200);
    for (const target of [two, one]) expect((await call(target, key.key)).statusCode).toBe(200);
  });

  it('a key whose creator left by hand (SQL) is refused once it is no longer cached', async () => {
    const admin = await registerUser(one, 'Vanished Admin');
    await addMember(one, user, user.organizationId, admin, 'admin');
    const key = await createApiKey(one, admin, { name: 'creator vanished' }, user.organizationId);
    expect((await me(one, key.key)).statusCode).toBe(200);
    await one.sql(`delete from memberships where organization_id = $1 and user_id = $2`, [
      user.organizationId,
      admin.id,
    ]);
    expectProblem(await me(one, key.key), 401, 'UNAUTHENTICATED');
  });

  it('a change made straight in the database (expiry) is seen by both instances on the next call', async () => {
    const key = await createApiKey(one, user, { name: 'cached then expired' });
    await warm(key.key);
    const received = [invalidationReceived(one, 'api-key', key.id), invalidationReceived(two, 'api-key', key.id)];
    await one.sql(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [key.id]);
    await Promise.all(received);
    for (const target of [two, one]) {
      expect((await call(target, key.key)).statusCode).toBe(401);
      expectProblem(await me(target, key.key), 401, 'UNAUTHENTICATED');
    }
  });

  it('a deleted organization takes its cached keys with it', async () => {
    const owner = await registerUser(one, 'Doomed Cache Org');
    const created = await one.request({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: owner.auth,
      payload: { name: 'Doomed cache org' },
    });
    expect(created.statusCode).toBe(201);
    const organizationId = created.json().id as string;
    const key = await createApiKey(one, owner, { name: 'orphan' }, organizationId);
    for (const target of [one, two]) expect((await me(target, key.key)).statusCode).toBe(200);
    expect(
      (await one.request({ method: 'DELETE', url: `/api/v1/organizations/${organizationId}`, headers: owner.auth }))
        .statusCode,
    ).toBe(204);
    for (const target of [two, one]) expectProblem(await me(target, key.key), 401, 'UNAUTHENTICATED');
  });

  it('a new default provider key is used by the other instance on the very next call', async () => {
    const key = await createApiKey(one, user, { name: 'provider key swaps' });
    await warm(key.key);
    expect(mock.requests.at(-1)?.apiKey).toBe('sk-ant-api03-cache-test-first-key-aaaaaa');
    let received = invalidationReceived(two, 'provider-key', user.organizationId);
    const secondId = await storeKey(one, 'sk-ant-api03-cache-test-second-key-bbbbb');
    await received;
    expect((await call(two, key.key)).statusCode).toBe(200);
    expect(mock.requests.at(-1)?.apiKey).toBe('sk-ant-api03-cache-test-second-key-bbbbb');

    // Revoking the default leaves the organization without one: refused on both instances.
    received = invalidationReceived(two, 'provider-key', user.organizationId);
    expect(
      (await one.request({ method: 'DELETE', url: `/api/v1/provider-keys/${secondId}`, headers: user.auth }))
        .statusCode,
    ).toBe(204);
    await received;
    const before = mock.requests.length;
    for (const target of [two, one]) expect((await call(target, key.key)).statusCode).toBeGreaterThanOrEqual(400);
    expect(mock.requests.length).toBe(before);
  });

  it('without notifications (listener down), nothing comes from memory: a revoked key is refused on the next call', async () => {
    const deaf = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    try {
      const key = await createApiKey(one, user, { name: 'revoked while not listening' });
      await storeKey(one, 'sk-ant-api03-cache-test-deaf-key-dddddddd');
      for (let i = 0; i < 3; i++) expect((await call(deaf, key.key)).statusCode).toBe(200);
      await deaf.app.get(CacheInvalidation).onApplicationShutdown();
      expect(
        (await one.request({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: user.auth })).statusCode,
      ).toBe(204);
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
      const [found] = await one.sql<{ last_used_at: Date | null }>('select last_used_at from api_keys where id = $1', [
        key.id,
      ]);
      return found?.last_used_at ? found : undefined;
    });
    expect(row.last_used_at).toBeInstanceOf(Date);
  });

  describe('live sessions', () => {
    const inSession = (target: TestApp, key: string, externalId: string) =>
      target.request({
        method: 'POST',
        url: MESSAGES,
        headers: {
          'x-api-key': key,
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          'x-lamplight-session-id': externalId,
        },
        payload: { model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'remember me' }] },
      });
    const sessionsNamed = (externalId: string) =>
      one.sql<{ id: string; released_at: Date | null; deleted_at: Date | null }>(
        'select id, released_at, deleted_at from sessions where organization_id = $1 and external_id = $2 order by created_at',
        [user.organizationId, externalId],
      );
    let key: string;
    beforeAll(async () => {
      key = (await createApiKey(one, user, { name: 'live sessions' })).key;
      await storeKey(one, 'sk-ant-api03-cache-test-session-key-eeeeee');
    });

    it('a session released through one instance is not reused by the other: its next call opens a new one', async () => {
      for (let i = 0; i < 3; i++)
        for (const target of [one, two])
          expect((await inSession(target, key, 'released-elsewhere')).statusCode).toBe(200);
      expect(await sessionsNamed('released-elsewhere')).toHaveLength(1);
      const received = invalidationReceived(two, 'session', user.organizationId);
      expect(
        (await one.request({ method: 'POST', url: '/api/v1/sessions/released-elsewhere/release', headers: user.auth }))
          .statusCode,
      ).toBe(200);
      await received;
      expect((await inSession(two, key, 'released-elsewhere')).statusCode).toBe(200);
      const sessions = await sessionsNamed('released-elsewhere');
      expect(sessions).toHaveLength(2);
      expect(sessions[0].released_at).toBeInstanceOf(Date);
      expect(sessions[1].released_at).toBeNull();
      // And the releasing instance itself never needed the notification.
      expect((await inSession(one, key, 'released-elsewhere')).statusCode).toBe(200);
      expect(await sessionsNamed('released-elsewhere')).toHaveLength(2);
    });

    it('a session deleted straight in the database is not reused by either instance', async () => {
      for (const target of [one, two]) expect((await inSession(target, key, 'deleted-in-sql')).statusCode).toBe(200);
      const received = [
        invalidationReceived(one, 'session', user.organizationId),
        invalidationReceived(two, 'session', user.organizationId),
      ];
      await one.sql(
        `update sessions set deleted_at = now() where organization_id = $1 and external_id = 'deleted-in-sql'`,
        [user.organizationId],
      );
      await Promise.all(received);
      expect((await inSession(two, key, 'deleted-in-sql')).statusCode).toBe(200);
      expect((await inSession(one, key, 'deleted-in-sql')).statusCode).toBe(200);
      const sessions = await sessionsNamed('deleted-in-sql');
      expect(sessions).toHaveLength(2);
      expect(sessions[0].deleted_at).toBeInstanceOf(Date);
      expect(sessions[1].deleted_at).toBeNull();
    });

    it('a token budget set through one instance is enforced by the other', async () => {
      expect((await inSession(two, key, 'budget-elsewhere')).statusCode).toBe(200);
      const received = invalidationReceived(two, 'session', user.organizationId);
      const patched = await one.request({
        method: 'PATCH',
        url: '/api/v1/sessions/budget-elsewhere',
        headers: user.auth,
        payload: { tokenBudget: 1 },
      });
      expect(patched.statusCode).toBe(200);
      await received;
      // The first call's tokens are recorded (within a second), and they exceed the budget of 1.
      await eventually(async () => {
        const response = await inSession(two, key, 'budget-elsewhere');
        return response.statusCode === 429 ? response : undefined;
      });
      const before = mock.requests.length;
      const refused = await inSession(two, key, 'budget-elsewhere');
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
      expect(mock.requests.length).toBe(before);
    });

    it("an organization's storeContent turned off in the database stops content capture on every instance", async () => {
      for (const target of [one, two]) expect((await inSession(target, key, 'content-switch')).statusCode).toBe(200);
      const received = invalidationReceived(two, 'session', user.organizationId);
      await one.sql(`update organizations set settings = settings || '{"storeContent": false}'::jsonb where id = $1`, [
        user.organizationId,
      ]);
      await received;
      expect((await inSession(two, key, 'content-switch')).statusCode).toBe(200);
      const rows = await eventually(async () => {
        const found = await one.sql<{ user_query: string | null }>(
          `select i.user_query from interactions i join sessions s on s.id = i.session_id where s.organization_id = $1 and s.external_id = 'content-switch' order by i.started_at`,
          [user.organizationId],
        );
        return found.length === 3 ? found : undefined;
      });
      expect(rows.map((row) => row.user_query)).toEqual(['remember me', 'remember me', null]);
      await one.sql(`update organizations set settings = settings || '{"storeContent": true}'::jsonb where id = $1`, [
        user.organizationId,
      ]);
    });
  });

  /**
   * Under Citus the invalidation triggers of distributed tables (api_keys, provider_keys, sessions)
   * fire on the worker holding the row, and no instance listens there. Disabling them stands in for
   * that: what reaches the other instance now is only what the app announces itself, on its own
   * connection, in the transaction of its change.
   */
  describe('with the invalidation triggers off (a worker-side trigger the listeners never hear)', () => {
    const TRIGGERS = [
      ['api_keys', 'api_keys_cache_invalidation'],
      ['provider_keys', 'provider_keys_cache_invalidation'],
      ['sessions', 'sessions_cache_invalidation'],
      ['sessions', 'sessions_delete_cache_invalidation'],
      ['organizations', 'organizations_cache_invalidation'],
    ] as const;
    /** Far below the caches' lifetimes (10 s for keys, 30 s for sessions): only a notification explains it. */
    const BOUND_MS = 1_000;
    const heardWithin = async (target: TestApp, topic: string, key: string, change: () => Promise<void>) => {
      const heard = invalidationReceived(target, topic, key, BOUND_MS);
      const started = performance.now();
      await change();
      await heard;
      return performance.now() - started;
    };

    beforeAll(async () => {
      for (const [table, trigger] of TRIGGERS) await one.sql(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
    });

    afterAll(async () => {
      for (const [table, trigger] of TRIGGERS) await one.sql(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
    });

    it('the triggers are off: a change made by hand in SQL reaches no instance', async () => {
      const key = await createApiKey(one, user, { name: 'changed by hand' });
      const heard = invalidationReceived(two, 'api-key', key.id, BOUND_MS);
      await one.sql(`update api_keys set expires_at = now() + interval '1 day' where id = $1`, [key.id]);
      await expect(heard).rejects.toThrow(`no api-key invalidation for ${key.id} within ${BOUND_MS} ms`);
    });

    it('a key revoked through one instance is refused by the other within a second, with no call upstream', async () => {
      const key = await createApiKey(one, user, { name: 'revoked without triggers' });
      await warm(key.key);
      const elapsed = await heardWithin(two, 'api-key', key.id, async () => {
        const revoked = await one.request({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: user.auth });
        expect(revoked.statusCode).toBe(204);
      });
      expect(elapsed).toBeLessThan(BOUND_MS);
      const before = mock.requests.length;
      expect((await call(two, key.key)).statusCode).toBe(401);
      expect((await call(one, key.key)).statusCode).toBe(401);
      expect(mock.requests.length).toBe(before);
    });

    it("a removed admin's keys are refused by the other instance within a second", async () => {
      const admin = await registerUser(one, 'Admin Removed Without Triggers');
      await addMember(one, user, user.organizationId, admin, 'admin');
      const key = await createApiKey(one, admin, { name: 'creator leaves' }, user.organizationId);
      await warm(key.key);
      await heardWithin(two, 'api-key', key.id, async () => {
        const removed = await one.request({
          method: 'DELETE',
          url: `/api/v1/organizations/${user.organizationId}/members/${admin.id}`,
          headers: user.auth,
        });
        expect(removed.statusCode).toBe(204);
      });
      const before = mock.requests.length;
      expect((await call(two, key.key)).statusCode).toBe(401);
      expect(mock.requests.length).toBe(before);
    });

    it('a new default provider key is used by the other instance on its next call', async () => {
      const key = await createApiKey(one, user, { name: 'provider key without triggers' });
      await warm(key.key);
      const previous = mock.requests.at(-1)?.apiKey;
      let id = '';
      await heardWithin(two, 'provider-key', user.organizationId, async () => {
        id = await storeKey(one, 'sk-ant-api03-cache-test-no-trigger-key-fff');
      });
      expect(previous).not.toBe('sk-ant-api03-cache-test-no-trigger-key-fff');
      expect((await call(two, key.key)).statusCode).toBe(200);
      expect(mock.requests.at(-1)?.apiKey).toBe('sk-ant-api03-cache-test-no-trigger-key-fff');
      await heardWithin(two, 'provider-key', user.organizationId, async () => {
        const revoked = await one.request({ method: 'DELETE', url: `/api/v1/provider-keys/${id}`, headers: user.auth });
        expect(revoked.statusCode).toBe(204);
      });
      const before = mock.requests.length;
      expect((await call(two, key.key)).statusCode).toBeGreaterThanOrEqual(400);
      expect(mock.requests.length).toBe(before);
      await storeKey(one, 'sk-ant-api03-cache-test-after-no-trigger-ggg');
    });

    it('a session released through one instance is not reused by the other', async () => {
      const key = (await createApiKey(one, user, { name: 'sessions without triggers' })).key;
      const inSession = (target: TestApp) =>
        target.request({
          method: 'POST',
          url: MESSAGES,
          headers: {
            'x-api-key': key,
            'content-type': 'application/json',
            'anthropic-version': '2023-06-01',
            'x-lamplight-session-id': 'released-without-triggers',
          },
          payload: { model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'again' }] },
        });
      for (let i = 0; i < 2; i++)
        for (const target of [one, two]) expect((await inSession(target)).statusCode).toBe(200);
      await heardWithin(two, 'session', user.organizationId, async () => {
        const released = await one.request({
          method: 'POST',
          url: '/api/v1/sessions/released-without-triggers/release',
          headers: user.auth,
        });
        expect(released.statusCode).toBe(200);
      });
      expect((await inSession(two)).statusCode).toBe(200);
      const sessions = await one.sql<{ released_at: Date | null }>(
        `select released_at from sessions where organization_id = $1 and external_id = 'released-without-triggers' order by created_at`,
        [user.organizationId],
      );
      expect(sessions.map((s) => s.released_at === null)).toEqual([false, true]);
    });
  });
});
