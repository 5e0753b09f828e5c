import { randomUUID } from 'node:crypto';
import { createApiKey, registerUser, startTestApp, type TestApp, type TestUser } from '../support/test-app';
import {
  addMember,
  createOrganization,
  createProviderKey,
  expectProblem,
  fakeAnthropicKey,
  orgHeader,
  snapshotTables,
} from '../support/tenancy-fixtures';

const API_KEYS = '/api/v1/api-keys';
const PROVIDER_KEYS = '/api/v1/provider-keys';
const ORGS = '/api/v1/organizations';

describe('tenant isolation and X-Organization-Id', () => {
  let app: TestApp;
  let a: TestUser;
  let b: TestUser;
  let aApiKey: { id: string; key: string };
  let aProviderKey: { id: string };
  let bProviderKey: { id: string };

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT_PER_IP: '10000' });
    a = await registerUser(app, 'Alice');
    b = await registerUser(app, 'Bob');
    aApiKey = await createApiKey(app, a, { name: 'alice key' });
    aProviderKey = await createProviderKey(app, a, { name: 'alice anthropic', key: fakeAnthropicKey() });
    bProviderKey = await createProviderKey(app, b, { name: 'bob anthropic', key: fakeAnthropicKey() });
  });
  afterAll(async () => {
    await app.close();
  });

  const ids = (response: { json(): { data: { id: string }[] } }) => response.json().data.map((item) => item.id);

  describe('the header', () => {
    it('naming an organization the caller does not belong to → 403 on every org-scoped route, nothing changed', async () => {
      const before = await snapshotTables(app);
      const headers = { ...b.auth, ...orgHeader(a.organizationId) };
      const calls = [
        { method: 'GET' as const, url: API_KEYS },
        { method: 'POST' as const, url: API_KEYS, payload: { name: 'sneaky' } },
        { method: 'DELETE' as const, url: `${API_KEYS}/${aApiKey.id}` },
        { method: 'GET' as const, url: PROVIDER_KEYS },
        {
          method: 'POST' as const,
          url: PROVIDER_KEYS,
          payload: { name: 'sneaky', key: fakeAnthropicKey(), isDefault: true },
        },
        { method: 'PATCH' as const, url: `${PROVIDER_KEYS}/${aProviderKey.id}`, payload: { name: 'pwned' } },
        { method: 'DELETE' as const, url: `${PROVIDER_KEYS}/${aProviderKey.id}` },
        { method: 'POST' as const, url: `${PROVIDER_KEYS}/test`, payload: { key: fakeAnthropicKey() } },
      ];
      for (const call of calls) {
        const response = await app.request({ ...call, headers });
        expectProblem(response, 403, 'NOT_A_MEMBER');
        expect(response.body).not.toContain(aApiKey.id);
        expect(response.body).not.toContain(aProviderKey.id);
      }
      expect(await snapshotTables(app)).toBe(before);
    });

    it('answers the same 403 for an organization that does not exist, so existence is not revealed', async () => {
      const real = await app.request({
        method: 'GET',
        url: API_KEYS,
        headers: { ...b.auth, ...orgHeader(a.organizationId) },
      });
      const missing = await app.request({
        method: 'GET',
        url: API_KEYS,
        headers: { ...b.auth, ...orgHeader(randomUUID()) },
      });
      const realBody = expectProblem(real, 403, 'NOT_A_MEMBER');
      const missingBody = expectProblem(missing, 403, 'NOT_A_MEMBER');
      expect({ ...missingBody, requestId: '' }).toEqual({ ...realBody, requestId: '' });
    });

    it('naming a deleted organization the caller belonged to → 403', async () => {
      const owner = await registerUser(app);
      const doomed = await createOrganization(app, owner, { name: 'Doomed' });
      expect(
        (await app.request({ method: 'GET', url: API_KEYS, headers: { ...owner.auth, ...orgHeader(doomed.id) } }))
          .statusCode,
      ).toBe(200);
      expect(
        (await app.request({ method: 'DELETE', url: `${ORGS}/${doomed.id}`, headers: owner.auth })).statusCode,
      ).toBe(204);
      expectProblem(
        await app.request({ method: 'GET', url: API_KEYS, headers: { ...owner.auth, ...orgHeader(doomed.id) } }),
        403,
        'NOT_A_MEMBER',
      );
    });

    it.each([
      'not-a-uuid',
      '12345',
      `${randomUUID()}x`,
      `{${randomUUID()}}`,
      `${randomUUID()},${randomUUID()}`,
      "' or 1=1 --",
    ])('malformed (%s) → 400', async (value) => {
      const before = await snapshotTables(app);
      for (const call of [
        { method: 'GET' as const, url: API_KEYS },
        { method: 'POST' as const, url: PROVIDER_KEYS, payload: { name: 'x', key: fakeAnthropicKey() } },
      ]) {
        const response = await app.request({ ...call, headers: { ...a.auth, 'x-organization-id': value } });
        expectProblem(response, 400, 'INVALID_ORGANIZATION_HEADER');
      }
      expect(await snapshotTables(app)).toBe(before);
    });

    it('accepts the caller’s own organization in upper case or with spaces around it', async () => {
      for (const value of [a.organizationId.toUpperCase(), `  ${a.organizationId}  `]) {
        const response = await app.request({
          method: 'GET',
          url: API_KEYS,
          headers: { ...a.auth, 'x-organization-id': value },
        });
        expect(response.statusCode).toBe(200);
        expect(ids(response)).toEqual([aApiKey.id]);
      }
    });
  });

  describe('a user in two organizations', () => {
    it('switches by header and sees each organization’s own API keys and provider keys', async () => {
      const user = await registerUser(app, 'Two Orgs');
      const second = await createOrganization(app, user, { name: 'Second' });
      const firstApiKey = await createApiKey(app, user, { name: 'first' });
      const secondApiKey = await createApiKey(app, user, { name: 'second' }, second.id);
      const firstProvider = await createProviderKey(app, user, { name: 'first', key: fakeAnthropicKey() });
      const secondProvider = await createProviderKey(app, user, { name: 'second', key: fakeAnthropicKey() }, second.id);
      // Each organization has its own default.
      expect(firstProvider.isDefault).toBe(true);
      expect(secondProvider.isDefault).toBe(true);

      const rows = await app.sql<{ id: string; organization_id: string }>(
        'select id, organization_id from api_keys where id = any($1) order by organization_id = $2 desc',
        [[firstApiKey.id, secondApiKey.id], user.organizationId],
      );
      expect(rows).toEqual([
        { id: firstApiKey.id, organization_id: user.organizationId },
        { id: secondApiKey.id, organization_id: second.id },
      ]);

      const list = (url: string, organizationId?: string) =>
        app.request({
          method: 'GET',
          url,
          headers: { ...user.auth, ...(organizationId ? orgHeader(organizationId) : {}) },
        });

      expect(ids(await list(API_KEYS, user.organizationId))).toEqual([firstApiKey.id]);
      expect(ids(await list(API_KEYS, second.id))).toEqual([secondApiKey.id]);
      expect(ids(await list(API_KEYS))).toEqual([firstApiKey.id]);
      expect(ids(await list(PROVIDER_KEYS, user.organizationId))).toEqual([firstProvider.id]);
      expect(ids(await list(PROVIDER_KEYS, second.id))).toEqual([secondProvider.id]);
      expect(ids(await list(PROVIDER_KEYS))).toEqual([firstProvider.id]);

      // A key of the other organization is 404 under this one, and changes nothing.
      const before = await snapshotTables(app);
      expectProblem(
        await app.request({
          method: 'DELETE',
          url: `${API_KEYS}/${secondApiKey.id}`,
          headers: { ...user.auth, ...orgHeader(user.organizationId) },
        }),
        404,
      );
      expectProblem(
        await app.request({
          method: 'PATCH',
          url: `${PROVIDER_KEYS}/${secondProvider.id}`,
          headers: user.auth,
          payload: { name: 'x' },
        }),
        404,
      );
      expect(await snapshotTables(app)).toBe(before);
      // Under its own organization it is found.
      const renamed = await app.request({
        method: 'PATCH',
        url: `${PROVIDER_KEYS}/${secondProvider.id}`,
        headers: { ...user.auth, ...orgHeader(second.id) },
        payload: { name: 'renamed' },
      });
      expect(renamed.statusCode).toBe(200);
    });

    it('acts with the role the caller has in the organization the header names', async () => {
      const member = await registerUser(app);
      await addMember(app, b, b.organizationId, member, 'member');
      const headers = { ...member.auth, ...orgHeader(b.organizationId) };
      const listed = await app.request({ method: 'GET', url: PROVIDER_KEYS, headers });
      expect(listed.statusCode).toBe(200);
      expect(ids(listed)).toEqual([bProviderKey.id]);
      expectProblem(
        await app.request({ method: 'POST', url: API_KEYS, headers, payload: { name: 'x' } }),
        403,
        'ROLE_REQUIRED',
      );
      // In their own organization they are the owner and may.
      const own = await app.request({ method: 'POST', url: API_KEYS, headers: member.auth, payload: { name: 'x' } });
      expect(own.statusCode).toBe(201);
      const [row] = await app.sql('select organization_id from api_keys where id = $1', [own.json().id]);
      expect(row).toEqual({ organization_id: member.organizationId });
    });
  });

  describe('API keys and the header', () => {
    /** Gives an organization a session, so that listing sessions shows whose data a request reached. */
    const withSession = new Set<string>();
    async function giveSession(organizationId: string, userId: string): Promise<void> {
      if (withSession.has(organizationId)) return;
      withSession.add(organizationId);
      await app.sql(
        `insert into sessions (id, created_at, organization_id, user_id, external_id, device, last_activity_at)
         values (gen_random_uuid(), now(), $1, $2, 'whose-organization', '{}'::jsonb, now())`,
        [organizationId, userId],
      );
    }

    /**
     * What the real request pipeline made of these credentials and headers on an organization-scoped
     * route that accepts API keys: the organization whose sessions it listed, or its refusal.
     */
    async function resolved(
      headers: Record<string, string>,
    ): Promise<{ organizationId: string } | { status: number; code: string }> {
      const response = await app.request({ method: 'GET', url: '/api/v1/sessions?limit=100', headers });
      if (response.statusCode !== 200)
        return { status: response.statusCode, code: expectProblem(response, response.statusCode).code };
      const organizations = new Set(
        (response.json().data as { organization: string }[]).map((session) => session.organization),
      );
      expect(organizations.size).toBe(1);
      return { organizationId: [...organizations][0] };
    }

    it('with no header, a key acts on the organization it is bound to (not its creator’s default)', async () => {
      await giveSession(a.organizationId, a.id);
      expect(await resolved({ 'x-lamplight-api-key': aApiKey.key })).toEqual({ organizationId: a.organizationId });
      const second = await createOrganization(app, a, { name: 'Alice second' });
      await giveSession(second.id, a.id);
      const boundToSecond = await createApiKey(app, a, { name: 'second' }, second.id);
      expect(await resolved({ authorization: `Bearer ${boundToSecond.key}` })).toEqual({ organizationId: second.id });
      // …and the same with its own organization named.
      expect(
        await resolved({ 'x-lamplight-api-key': boundToSecond.key, 'x-organization-id': second.id.toUpperCase() }),
      ).toEqual({
        organizationId: second.id,
      });
    });

    it('with a header naming another organization → 403, even one the key’s creator belongs to', async () => {
      expect(await resolved({ 'x-lamplight-api-key': aApiKey.key, 'x-organization-id': b.organizationId })).toEqual({
        status: 403,
        code: 'ORGANIZATION_MISMATCH',
      });
      const second = await createOrganization(app, a, { name: 'Alice third' });
      expect(await resolved({ 'x-lamplight-api-key': aApiKey.key, 'x-organization-id': second.id })).toEqual({
        status: 403,
        code: 'ORGANIZATION_MISMATCH',
      });
      expect(await resolved({ 'x-lamplight-api-key': aApiKey.key, 'x-organization-id': 'nope' })).toEqual({
        status: 400,
        code: 'INVALID_ORGANIZATION_HEADER',
      });
    });

    it('for users: no header → default organization; a header → that organization and role; a stranger’s → 403', async () => {
      await giveSession(a.organizationId, a.id);
      expect(await resolved(a.auth)).toEqual({ organizationId: a.organizationId });
      const admin = await registerUser(app);
      await addMember(app, a, a.organizationId, admin, 'admin');
      await giveSession(admin.organizationId, admin.id);
      expect(await resolved(admin.auth)).toEqual({ organizationId: admin.organizationId });
      const inA = { ...admin.auth, ...orgHeader(a.organizationId) };
      expect(await resolved(inA)).toEqual({ organizationId: a.organizationId });
      // The role is the one held in A: an admin there may create A's keys.
      const created = await app.request({
        method: 'POST',
        url: API_KEYS,
        headers: inA,
        payload: { name: 'by the admin' },
      });
      expect(created.statusCode).toBe(201);
      expect(await app.sql('select organization_id from api_keys where id = $1', [created.json().id])).toEqual([
        { organization_id: a.organizationId },
      ]);
      expect(await resolved({ ...b.auth, ...orgHeader(a.organizationId) })).toEqual({
        status: 403,
        code: 'NOT_A_MEMBER',
      });
    });

    it('over HTTP: A’s key with B’s organization in the header is refused 403 and reads nothing', async () => {
      for (const url of [API_KEYS, PROVIDER_KEYS]) {
        const response = await app.request({
          method: 'GET',
          url,
          headers: { 'x-lamplight-api-key': aApiKey.key, 'x-organization-id': b.organizationId },
        });
        expectProblem(response, 403);
        expect(response.body).not.toContain(bProviderKey.id);
        expect(response.body).not.toContain(aApiKey.id);
      }
    });
  });

  describe('B cannot reach A’s resources', () => {
    it('members: 404 on list, add, change and remove, and nothing changes', async () => {
      const before = await snapshotTables(app);
      const base = `${ORGS}/${a.organizationId}/members`;
      for (const call of [
        { method: 'GET' as const, url: base },
        { method: 'POST' as const, url: base, payload: { email: b.email, role: 'owner' } },
        { method: 'PATCH' as const, url: `${base}/${a.id}`, payload: { role: 'member' } },
        { method: 'PATCH' as const, url: `${base}/${b.id}`, payload: { role: 'owner' } },
        { method: 'DELETE' as const, url: `${base}/${a.id}` },
        { method: 'GET' as const, url: `${ORGS}/${a.organizationId}/invitations` },
        { method: 'DELETE' as const, url: `${ORGS}/${a.organizationId}/invitations/${a.id}` },
      ]) {
        const response = await app.request({ ...call, headers: b.auth });
        expectProblem(response, 404, 'ORGANIZATION_NOT_FOUND');
        expect(response.body).not.toContain(a.email);
      }
      expect(await snapshotTables(app)).toBe(before);
    });

    it('API keys: absent from B’s list; DELETE → 404 and A’s key keeps working', async () => {
      const list = await app.request({ method: 'GET', url: API_KEYS, headers: b.auth });
      expect(list.statusCode).toBe(200);
      expect(ids(list)).not.toContain(aApiKey.id);
      expect(list.body).not.toContain(aApiKey.id);

      const before = await snapshotTables(app);
      const response = await app.request({ method: 'DELETE', url: `${API_KEYS}/${aApiKey.id}`, headers: b.auth });
      expectProblem(response, 404, 'API_KEY_NOT_FOUND');
      expect(await snapshotTables(app)).toBe(before);
      const [row] = await app.sql('select revoked_at from api_keys where id = $1', [aApiKey.id]);
      expect(row).toEqual({ revoked_at: null });

      const stillWorks = await app.request({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: { 'x-lamplight-api-key': aApiKey.key },
      });
      expect(stillWorks.statusCode).toBe(200);
      expect(stillWorks.json().user.id).toBe(a.id);
      // A still sees it.
      expect(ids(await app.request({ method: 'GET', url: API_KEYS, headers: a.auth }))).toContain(aApiKey.id);
    });

    it('provider keys: absent from B’s list; PATCH and DELETE → 404; the row is untouched', async () => {
      const [original] = await app.sql('select * from provider_keys where id = $1', [aProviderKey.id]);
      const list = await app.request({ method: 'GET', url: PROVIDER_KEYS, headers: b.auth });
      expect(ids(list)).toEqual([bProviderKey.id]);

      for (const payload of [{ name: 'pwned' }, { isDefault: false }, { isDefault: true }]) {
        const patch = await app.request({
          method: 'PATCH',
          url: `${PROVIDER_KEYS}/${aProviderKey.id}`,
          headers: b.auth,
          payload,
        });
        expectProblem(patch, 404, 'PROVIDER_KEY_NOT_FOUND');
      }
      expectProblem(
        await app.request({ method: 'DELETE', url: `${PROVIDER_KEYS}/${aProviderKey.id}`, headers: b.auth }),
        404,
        'PROVIDER_KEY_NOT_FOUND',
      );

      const [after] = await app.sql('select * from provider_keys where id = $1', [aProviderKey.id]);
      expect(after).toEqual(original);
      expect(after.is_default).toBe(true);
      expect(after.revoked_at).toBeNull();
    });

    it('provider keys: B moving its own default does not touch A’s default', async () => {
      const [before] = await app.sql('select * from provider_keys where id = $1', [aProviderKey.id]);
      const created = await createProviderKey(app, b, { name: 'bob second', key: fakeAnthropicKey(), isDefault: true });
      expect(created.isDefault).toBe(true);
      expect(
        (
          await app.request({
            method: 'PATCH',
            url: `${PROVIDER_KEYS}/${bProviderKey.id}`,
            headers: b.auth,
            payload: { isDefault: true },
          })
        ).statusCode,
      ).toBe(200);
      const [after] = await app.sql('select * from provider_keys where id = $1', [aProviderKey.id]);
      expect(after).toEqual(before);
      const defaults = await app.sql<{ organization_id: string; id: string }>(
        'select organization_id, id from provider_keys where is_default and organization_id = any($1) order by organization_id = $2 desc',
        [[a.organizationId, b.organizationId], a.organizationId],
      );
      expect(defaults).toEqual([
        { organization_id: a.organizationId, id: aProviderKey.id },
        { organization_id: b.organizationId, id: bProviderKey.id },
      ]);
    });
  });
});
