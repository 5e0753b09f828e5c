import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { registerUser, startTestApp, type TestApp, type TestUser } from '../support/test-app';
import {
  addMember,
  countRows,
  createOrganization,
  createProviderKey,
  expectFieldErrors,
  expectProblem,
  fakeAnthropicKey,
  orgHeader,
  snapshotTables,
} from '../support/tenancy-fixtures';

const KEYS = '/api/v1/provider-keys';

interface KeyRow {
  id: string;
  organization_id: string;
  name: string;
  ciphertext: string;
  last4: string;
  is_default: boolean;
  revoked_at: Date | null;
}

async function keyRows(app: TestApp, organizationId: string): Promise<KeyRow[]> {
  return app.sql<KeyRow>(
    'select id, organization_id, name, ciphertext, last4, is_default, revoked_at from provider_keys where organization_id = $1 order by created_at, id',
    [organizationId],
  );
}

describe('provider keys', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT_PER_IP: '10000' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('stores keys encrypted, shows only their last 4 characters, and never returns or logs the key', async () => {
    const owner = await registerUser(app);
    const orgId = owner.organizationId;
    const plaintexts = [fakeAnthropicKey(), fakeAnthropicKey(), fakeAnthropicKey()];
    const bodies: string[] = [];
    const send = async (options: Parameters<TestApp['request']>[0]) => {
      const response = await app.request(options);
      bodies.push(response.body, JSON.stringify(response.headers));
      return response;
    };

    // The first key becomes the default even though it did not ask to be.
    const first = await send({
      method: 'POST',
      url: KEYS,
      headers: owner.auth,
      payload: { name: ' Primary ', key: plaintexts[0] },
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      provider: 'anthropic',
      name: 'Primary',
      last4: plaintexts[0].slice(-4),
      isDefault: true,
      createdAt: expect.stringMatching(/Z$/),
    });

    // A second key without isDefault does not take the default…
    const second = await send({
      method: 'POST',
      url: KEYS,
      headers: owner.auth,
      payload: { name: 'Secondary', key: plaintexts[1] },
    });
    expect(second.statusCode).toBe(201);
    expect(second.json().isDefault).toBe(false);
    // …a third with isDefault: true moves it.
    const third = await send({
      method: 'POST',
      url: KEYS,
      headers: owner.auth,
      payload: { name: 'Third', key: plaintexts[2], isDefault: true },
    });
    expect(third.statusCode).toBe(201);
    expect(third.json().isDefault).toBe(true);

    const rows = await keyRows(app, orgId);
    expect(rows.map((r) => [r.id, r.name, r.last4, r.is_default])).toEqual([
      [first.json().id, 'Primary', plaintexts[0].slice(-4), false],
      [second.json().id, 'Secondary', plaintexts[1].slice(-4), false],
      [third.json().id, 'Third', plaintexts[2].slice(-4), true],
    ]);
    rows.forEach((row, index) => {
      expect(row.ciphertext).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
      expect(row.ciphertext).not.toContain(plaintexts[index]);
      expect(row.ciphertext).not.toContain(plaintexts[index].slice(14));
      expect(Buffer.from(row.ciphertext.slice(3), 'base64').toString('latin1')).not.toContain(
        plaintexts[index].slice(14),
      );
    });
    expect(new Set(rows.map((r) => r.ciphertext)).size).toBe(3);

    // The list: newest first, exactly these fields.
    const list = await send({ method: 'GET', url: KEYS, headers: owner.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      object: 'list',
      data: [third.json(), second.json(), { ...first.json(), isDefault: false }],
    });
    for (const item of list.json().data) {
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'isDefault', 'last4', 'name', 'provider']);
    }

    // Rename, and make the second the default.
    const renamed = await send({
      method: 'PATCH',
      url: `${KEYS}/${first.json().id}`,
      headers: owner.auth,
      payload: { name: 'Renamed' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toEqual({ ...first.json(), name: 'Renamed', isDefault: false });
    const promoted = await send({
      method: 'PATCH',
      url: `${KEYS}/${second.json().id}`,
      headers: owner.auth,
      payload: { isDefault: true },
    });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json()).toEqual({ ...second.json(), isDefault: true });
    const defaults = await app.sql('select id from provider_keys where organization_id = $1 and is_default', [orgId]);
    expect(defaults).toEqual([{ id: second.json().id }]);
    // PATCH changes neither the ciphertext nor last4.
    const afterPatch = await keyRows(app, orgId);
    expect(afterPatch.map((r) => [r.ciphertext, r.last4])).toEqual(rows.map((r) => [r.ciphertext, r.last4]));

    // Delete: 204, then 404 on every route, gone from the list, ciphertext erased, row kept as revoked.
    const removed = await send({ method: 'DELETE', url: `${KEYS}/${second.json().id}`, headers: owner.auth });
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBe('');
    expectProblem(
      await send({ method: 'DELETE', url: `${KEYS}/${second.json().id}`, headers: owner.auth }),
      404,
      'PROVIDER_KEY_NOT_FOUND',
    );
    expectProblem(
      await send({
        method: 'PATCH',
        url: `${KEYS}/${second.json().id}`,
        headers: owner.auth,
        payload: { name: 'Back' },
      }),
      404,
      'PROVIDER_KEY_NOT_FOUND',
    );
    const afterDelete = await send({ method: 'GET', url: KEYS, headers: owner.auth });
    expect(afterDelete.json().data.map((k: { id: string }) => k.id)).toEqual([third.json().id, first.json().id]);
    const [deletedRow] = await app.sql<KeyRow>('select * from provider_keys where id = $1', [second.json().id]);
    expect(deletedRow.ciphertext).toBe('');
    expect(deletedRow.is_default).toBe(false);
    expect(deletedRow.revoked_at).toBeInstanceOf(Date);

    // The key strings never appeared in a response or a log line.
    const logs = app.logs.join('\n');
    for (const plaintext of plaintexts) {
      for (const body of bodies) expect(body).not.toContain(plaintext);
      expect(logs).not.toContain(plaintext);
      expect(logs).not.toContain(plaintext.slice(14));
    }
    expect(app.logs.length).toBeGreaterThan(0);
  });

  it('keeps exactly one default row however the default moves', async () => {
    const owner = await registerUser(app);
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      ids.push(
        (await createProviderKey(app, owner, { name: `k${i}`, key: fakeAnthropicKey(), isDefault: i % 2 === 1 })).id,
      );
    }
    for (const id of [ids[0], ids[2], ids[2], ids[3]]) {
      const response = await app.request({
        method: 'PATCH',
        url: `${KEYS}/${id}`,
        headers: owner.auth,
        payload: { isDefault: true },
      });
      expect(response.statusCode).toBe(200);
      const defaults = await app.sql('select id from provider_keys where organization_id = $1 and is_default', [
        owner.organizationId,
      ]);
      expect(defaults).toEqual([{ id }]);
    }
  });

  it('creates keys concurrently without error and with a single default', async () => {
    const owner = await registerUser(app);
    const responses = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        app.request({
          method: 'POST',
          url: KEYS,
          headers: owner.auth,
          payload: { name: `c${i}`, key: fakeAnthropicKey(), isDefault: true },
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    const rows = await keyRows(app, owner.organizationId);
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => r.is_default)).toHaveLength(1);

    const second = await registerUser(app);
    const firstKeys = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        app.request({
          method: 'POST',
          url: KEYS,
          headers: second.auth,
          payload: { name: `f${i}`, key: fakeAnthropicKey() },
        }),
      ),
    );
    expect(firstKeys.map((r) => r.statusCode)).toEqual([201, 201, 201]);
    expect((await keyRows(app, second.organizationId)).filter((r) => r.is_default)).toHaveLength(1);
  });

  it.each([
    ['a subscription OAuth token', `sk-ant-oat01-${'a'.repeat(40)}`],
    ['an admin key', `sk-ant-admin01-${'a'.repeat(40)}`],
    ['a platform key', `lmp_${'a'.repeat(32)}`],
    ['a short key', 'sk-ant-api03-abc'],
    ['a key with spaces', `sk-ant-api03-${'a'.repeat(20)} ${'b'.repeat(20)}`],
    ['a number', 12345],
  ])('refuses %s with 400 naming key, and stores nothing', async (_what, key) => {
    const owner = await registerUser(app);
    const before = await countRows(app, ['provider_keys']);
    const response = await app.request({
      method: 'POST',
      url: KEYS,
      headers: owner.auth,
      payload: { name: 'Bad', key },
    });
    const body = expectFieldErrors(response, ['key']);
    if (typeof key === 'string') {
      expect(response.body).not.toContain(key);
      expect(app.logs.join('\n')).not.toContain(key);
    }
    expect(body.errors!.find((e) => e.field === 'key')!.message).toMatch(/sk-ant-api/);
    expect(await countRows(app, ['provider_keys'])).toEqual(before);
  });

  it('refuses a missing or blank name and a non-boolean isDefault (400)', async () => {
    const owner = await registerUser(app);
    const before = await countRows(app, ['provider_keys']);
    expectFieldErrors(
      await app.request({ method: 'POST', url: KEYS, headers: owner.auth, payload: { key: fakeAnthropicKey() } }),
      ['name'],
    );
    expectFieldErrors(
      await app.request({
        method: 'POST',
        url: KEYS,
        headers: owner.auth,
        payload: { name: ' ', key: fakeAnthropicKey() },
      }),
      ['name'],
    );
    expectFieldErrors(
      await app.request({
        method: 'POST',
        url: KEYS,
        headers: owner.auth,
        payload: { name: 'x', key: fakeAnthropicKey(), isDefault: 'yes' },
      }),
      ['isDefault'],
    );
    expect(await countRows(app, ['provider_keys'])).toEqual(before);
  });

  it('answers 400 for an id that is not a UUID and 404 for an unknown one', async () => {
    const owner = await registerUser(app);
    expectProblem(await app.request({ method: 'DELETE', url: `${KEYS}/not-a-uuid`, headers: owner.auth }), 400);
    expectProblem(
      await app.request({ method: 'PATCH', url: `${KEYS}/not-a-uuid`, headers: owner.auth, payload: { name: 'x' } }),
      400,
    );
    expectProblem(
      await app.request({ method: 'DELETE', url: `${KEYS}/${randomUUID()}`, headers: owner.auth }),
      404,
      'PROVIDER_KEY_NOT_FOUND',
    );
  });

  describe('roles', () => {
    let owner: TestUser;
    let admin: TestUser;
    let member: TestUser;
    let orgId: string;
    let existing: { id: string };

    beforeAll(async () => {
      owner = await registerUser(app);
      admin = await registerUser(app);
      member = await registerUser(app);
      orgId = (await createOrganization(app, owner, { name: 'Keys team' })).id;
      await addMember(app, owner, orgId, admin, 'admin');
      await addMember(app, owner, orgId, member, 'member');
      existing = await createProviderKey(app, owner, { name: 'Existing', key: fakeAnthropicKey() }, orgId);
    });

    it('lets a member list but not create, change, delete or test keys (403), changing nothing', async () => {
      const list = await app.request({ method: 'GET', url: KEYS, headers: { ...member.auth, ...orgHeader(orgId) } });
      expect(list.statusCode).toBe(200);
      expect(list.json().data.map((k: { id: string }) => k.id)).toEqual([existing.id]);

      const before = await snapshotTables(app);
      const headers = { ...member.auth, ...orgHeader(orgId) };
      expectProblem(
        await app.request({ method: 'POST', url: KEYS, headers, payload: { name: 'm', key: fakeAnthropicKey() } }),
        403,
        'ROLE_REQUIRED',
      );
      expectProblem(
        await app.request({ method: 'PATCH', url: `${KEYS}/${existing.id}`, headers, payload: { name: 'm' } }),
        403,
        'ROLE_REQUIRED',
      );
      expectProblem(
        await app.request({ method: 'DELETE', url: `${KEYS}/${existing.id}`, headers }),
        403,
        'ROLE_REQUIRED',
      );
      expectProblem(
        await app.request({ method: 'POST', url: `${KEYS}/test`, headers, payload: { key: fakeAnthropicKey() } }),
        403,
        'ROLE_REQUIRED',
      );
      expect(await snapshotTables(app)).toBe(before);
    });

    it('lets an admin create and delete keys', async () => {
      const headers = { ...admin.auth, ...orgHeader(orgId) };
      const created = await app.request({
        method: 'POST',
        url: KEYS,
        headers,
        payload: { name: 'By admin', key: fakeAnthropicKey() },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json().isDefault).toBe(false);
      const [row] = await app.sql<KeyRow>('select organization_id from provider_keys where id = $1', [
        created.json().id,
      ]);
      expect(row.organization_id).toBe(orgId);
      const deleted = await app.request({ method: 'DELETE', url: `${KEYS}/${created.json().id}`, headers });
      expect(deleted.statusCode).toBe(204);
    });

    it('refuses API keys on every provider-key route (403)', async () => {
      const created = await app.request({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner.auth,
        payload: { name: 'k' },
      });
      const key = created.json().key as string;
      const before = await snapshotTables(app);
      const headers = { 'x-lamplight-api-key': key };
      expectProblem(await app.request({ method: 'GET', url: KEYS, headers }), 403, 'API_KEY_NOT_ALLOWED');
      expectProblem(
        await app.request({ method: 'POST', url: KEYS, headers, payload: { name: 'k', key: fakeAnthropicKey() } }),
        403,
        'API_KEY_NOT_ALLOWED',
      );
      expectProblem(
        await app.request({
          method: 'DELETE',
          url: `${KEYS}/${existing.id}`,
          headers: { authorization: `Bearer ${key}` },
        }),
        403,
        'API_KEY_NOT_ALLOWED',
      );
      expect(await snapshotTables(app)).toBe(before);
    });
  });
});

describe('provider key test endpoint', () => {
  let app: TestApp;
  let upstream: Server;
  const seen: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];
  const goodKey = fakeAnthropicKey();

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      seen.push({ method: request.method, url: request.url, headers: request.headers });
      const path = (request.url ?? '').split('?')[0];
      if (request.method !== 'GET' || path !== '/v1/models') {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"type":"error"}');
      } else if (request.headers['x-api-key'] === goodKey) {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"data":[{"id":"claude-x"}],"has_more":true}');
      } else {
        response
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}');
      }
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    app = await startTestApp({ ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`, LOGIN_RATE_LIMIT_PER_IP: '10000' });
  });
  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => upstream.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('answers valid:true for a key the upstream accepts, sending it as x-api-key, storing nothing', async () => {
    const owner = await registerUser(app);
    const before = await countRows(app, ['provider_keys']);
    const response = await app.request({
      method: 'POST',
      url: `${KEYS}/test`,
      headers: owner.auth,
      payload: { key: goodKey },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ valid: true, upstreamStatus: 200, message: expect.any(String) });
    expect(response.body).not.toContain(goodKey);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', url: expect.stringMatching(/^\/v1\/models(\?|$)/) });
    expect(seen[0].headers['x-api-key']).toBe(goodKey);
    expect(seen[0].headers['anthropic-version']).toEqual(expect.any(String));
    // Neither the caller's JWT nor anything else of theirs goes upstream.
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(await countRows(app, ['provider_keys'])).toEqual(before);
    expect(app.logs.join('\n')).not.toContain(goodKey);
  });

  it('answers valid:false with the upstream status for a key it refuses', async () => {
    const owner = await registerUser(app);
    const badKey = fakeAnthropicKey();
    const before = await countRows(app, ['provider_keys']);
    const response = await app.request({
      method: 'POST',
      url: `${KEYS}/test`,
      headers: owner.auth,
      payload: { key: badKey },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ valid: false, upstreamStatus: 401, message: expect.any(String) });
    expect(seen.map((s) => s.headers['x-api-key'])).toEqual([badKey]);
    expect(response.body).not.toContain(badKey);
    expect(await countRows(app, ['provider_keys'])).toEqual(before);
    expect(app.logs.join('\n')).not.toContain(badKey);
  });

  it('refuses an OAuth token before calling the upstream (400)', async () => {
    const owner = await registerUser(app);
    const response = await app.request({
      method: 'POST',
      url: `${KEYS}/test`,
      headers: owner.auth,
      payload: { key: `sk-ant-oat01-${'x'.repeat(40)}` },
    });
    expectFieldErrors(response, ['key']);
    expect(seen).toHaveLength(0);
  });

  it('refuses unknown fields (such as a base URL to call) with 400 and calls nothing', async () => {
    const owner = await registerUser(app);
    const response = await app.request({
      method: 'POST',
      url: `${KEYS}/test`,
      headers: owner.auth,
      payload: { key: goodKey, baseUrl: 'http://169.254.169.254' },
    });
    expectFieldErrors(response, ['baseUrl']);
    expect(seen).toHaveLength(0);
  });
});

describe('provider key test endpoint with an unreachable upstream', () => {
  let app: TestApp;
  let port: number;

  beforeAll(async () => {
    // A port that was just free and is now closed: connecting is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    app = await startTestApp({ ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers valid:false with upstreamStatus null', async () => {
    const owner = await registerUser(app);
    const before = await countRows(app, ['provider_keys']);
    const key = fakeAnthropicKey();
    const response = await app.request({ method: 'POST', url: `${KEYS}/test`, headers: owner.auth, payload: { key } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ valid: false, upstreamStatus: null, message: expect.any(String) });
    expect(response.body).not.toContain(key);
    expect(response.body).not.toContain(String(port));
    expect(await countRows(app, ['provider_keys'])).toEqual(before);
  });
});
