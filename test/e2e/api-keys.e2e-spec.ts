import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  createApiKey,
  expectProblem,
  registerUser,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const KEY_PATTERN = /^lmp_[A-Za-z0-9_-]{32}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface ApiKeyRow {
  id: string;
  organization_id: string;
  created_by_id: string;
  name: string;
  prefix: string;
  digest: string;
  scopes: string;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

/** Every key (of any name) found anywhere in a JSON value. */
function keysDeep(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysDeep);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [k, ...keysDeep(v)]);
  }
  return [];
}

describe('platform API keys', () => {
  let app: TestApp;
  let owner: TestUser;

  const me = (headers: Record<string, string>) => app.request({ method: 'GET', url: '/api/v1/auth/me', headers });
  const row = async (id: string) =>
    (await app.sql<ApiKeyRow>('select *, scopes::text as scopes from api_keys where id = $1', [id]))[0];
  const countKeys = async (organizationId: string) =>
    Number(
      (
        await app.sql<{ n: string }>('select count(*)::text as n from api_keys where organization_id = $1', [
          organizationId,
        ])
      )[0].n,
    );

  beforeAll(async () => {
    app = await startTestApp();
    owner = await registerUser(app, 'Key Owner');
  });
  afterAll(async () => {
    await app.close();
  });

  describe('create and list', () => {
    it('creates a key (201) shown once: lmp_ + 32 characters, prefix = its first 12 characters', async () => {
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner.auth,
        payload: { name: '  CI pipeline  ' },
      });
      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'CI pipeline',
        prefix: body.key.slice(0, 12),
        scopes: ['proxy', 'read', 'write'],
        createdBy: owner.id,
        createdAt: expect.stringMatching(ISO),
        lastUsedAt: null,
        expiresAt: null,
        status: 'active',
        suspendedAt: null,
        suspendedReason: null,
        key: expect.stringMatching(KEY_PATTERN),
      });
      expect(body.key).toHaveLength(36);
      expect(body.prefix).toMatch(/^lmp_[A-Za-z0-9_-]{8}$/);

      const stored = await row(body.id);
      expect(stored).toMatchObject({
        organization_id: owner.organizationId,
        created_by_id: owner.id,
        name: 'CI pipeline',
        prefix: body.prefix,
        scopes: '{proxy,read,write}',
        revoked_at: null,
        expires_at: null,
      });
    });

    it('stores only a keyed digest: the key appears in no column, the digest is not a plain hash', async () => {
      const { id, key } = await createApiKey(app, owner, { name: 'digest check' });
      const stored = await row(id);
      expect(stored.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.digest).not.toBe(key);
      expect(stored.digest).not.toBe(createHash('sha256').update(key).digest('hex'));
      const secretPart = key.slice(12);
      const [{ text }] = await app.sql<{ text: string }>('select t::text as text from api_keys t where id = $1', [id]);
      expect(text).toContain(stored.prefix);
      expect(text).not.toContain(key);
      expect(text).not.toContain(secretPart);
      expect(text).not.toContain(Buffer.from(key).toString('hex'));
      expect(text).not.toContain(Buffer.from(key).toString('base64'));
      // And no other table holds it either.
      const [{ hits }] = await app.sql<{ hits: string }>(
        `select (select count(*) from users u where u::text like '%' || $1 || '%')
              + (select count(*) from organizations o where o::text like '%' || $1 || '%')
              + (select count(*) from memberships m where m::text like '%' || $1 || '%') as hits`,
        [secretPart],
      );
      expect(Number(hits)).toBe(0);
    });

    it('makes a different key and digest every time', async () => {
      const a = await createApiKey(app, owner, { name: 'a' });
      const b = await createApiKey(app, owner, { name: 'b' });
      expect(a.key).not.toBe(b.key);
      expect((await row(a.id)).digest).not.toBe((await row(b.id)).digest);
    });

    it('lists keys newest first with no key and no digest anywhere in the JSON', async () => {
      const user = await registerUser(app, 'Lister');
      const first = await createApiKey(app, user, { name: 'first', scopes: ['read'] });
      const second = await createApiKey(app, user, { name: 'second' });
      const response = await app.request({ method: 'GET', url: '/api/v1/api-keys', headers: user.auth });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.object).toBe('list');
      expect(body.data.map((k: { id: string }) => k.id)).toEqual([second.id, first.id]);
      expect(body.data[1]).toEqual({
        id: first.id,
        name: 'first',
        prefix: first.key.slice(0, 12),
        scopes: ['read'],
        createdBy: user.id,
        createdAt: expect.stringMatching(ISO),
        lastUsedAt: null,
        expiresAt: null,
        status: 'active',
        suspendedAt: null,
        suspendedReason: null,
      });
      const names = keysDeep(body);
      expect(names).not.toContain('key');
      expect(names).not.toContain('digest');
      for (const created of [first, second]) {
        expect(response.body).not.toContain(created.key);
        expect(response.body).not.toContain(created.key.slice(12));
        expect(response.body).not.toContain((await row(created.id)).digest);
      }
    });

    it("lists only the organization's own keys", async () => {
      const other = await registerUser(app, 'Other Org');
      const mine = await createApiKey(app, owner, { name: 'owner only' });
      const response = await app.request({ method: 'GET', url: '/api/v1/api-keys', headers: other.auth });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ object: 'list', data: [] });
      expect(response.body).not.toContain(mine.id);
    });

    describe('refuses a bad create body (400) and stores nothing', () => {
      it.each([
        ['an unknown scope', { name: 'x', scopes: ['read', 'admin'] }, 'scopes'],
        ['scopes that are not a list', { name: 'x', scopes: 'read' }, 'scopes'],
        ['a repeated scope', { name: 'x', scopes: ['read', 'read'] }, 'scopes'],
        ['no name', {}, 'name'],
        ['a blank name', { name: '   ' }, 'name'],
        ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
        ['an expiry that is not a date', { name: 'x', expiresAt: 'tomorrow' }, 'expiresAt'],
        ['an unknown field', { name: 'x', organizationId: randomUUID() }, 'organizationId'],
      ])('%s', async (_label, payload, field) => {
        const before = await countKeys(owner.organizationId);
        const response = await app.request({ method: 'POST', url: '/api/v1/api-keys', headers: owner.auth, payload });
        const body = expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
        expect(await countKeys(owner.organizationId)).toBe(before);
      });

      it('an expiry in the past', async () => {
        const before = await countKeys(owner.organizationId);
        const response = await app.request({
          method: 'POST',
          url: '/api/v1/api-keys',
          headers: owner.auth,
          payload: { name: 'already expired', expiresAt: new Date(Date.now() - 60_000).toISOString() },
        });
        expectProblem(response, 400, 'EXPIRY_IN_PAST');
        expect(response.body).not.toMatch(/lmp_/);
        expect(await countKeys(owner.organizationId)).toBe(before);
      });
    });
  });

  describe('authenticating with a key', () => {
    let key: { id: string; key: string };

    beforeAll(async () => {
      key = await createApiKey(app, owner, { name: 'auth key' });
    });

    it.each([
      ['x-lamplight-api-key', (k: string) => ({ 'x-lamplight-api-key': k })],
      ['x-shinzo-api-key (alias)', (k: string) => ({ 'x-shinzo-api-key': k })],
      ['Authorization: Bearer', (k: string) => ({ authorization: `Bearer ${k}` })],
    ])('accepts the key in %s on GET /api/v1/auth/me', async (_label, headers) => {
      const response = await me(headers(key.key));
      expect(response.statusCode).toBe(200);
      expect(response.json().user).toMatchObject({ id: owner.id, email: owner.email });
      expect(response.json().organizations).toEqual([expect.objectContaining({ id: owner.organizationId })]);
    });

    it("shows only the key's own organization on me, not the creator's others", async () => {
      const creator = await registerUser(app, 'Two Orgs');
      const second = await app.request({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: creator.auth,
        payload: { name: 'Second Org' },
      });
      expect(second.statusCode).toBe(201);
      const secondId = second.json().id;
      const bound = await createApiKey(app, creator, { name: 'bound to personal' });

      const asUser = await me(creator.auth);
      expect(
        asUser
          .json()
          .organizations.map((o: { id: string }) => o.id)
          .sort(),
      ).toEqual([creator.organizationId, secondId].sort());
      const asKey = await me({ 'x-lamplight-api-key': bound.key });
      expect(asKey.statusCode).toBe(200);
      expect(asKey.json().organizations).toEqual([expect.objectContaining({ id: creator.organizationId })]);
      expect(asKey.body).not.toContain(secondId);
      expect(asKey.body).not.toContain('Second Org');
    });

    it('does not accept x-api-key outside the /spotlight/anthropic routes (401)', async () => {
      expectProblem(await me({ 'x-api-key': key.key }), 401, 'UNAUTHENTICATED');
    });

    it('refuses a random lmp_ key, a key with one character changed, and near-miss forms (401)', async () => {
      const random = `lmp_${randomBytes(24).toString('base64url')}`;
      const last = key.key.at(-1) === 'A' ? 'B' : 'A';
      const tampered = `${key.key.slice(0, -1)}${last}`;
      for (const candidate of [
        random,
        tampered,
        key.key.slice(0, -1),
        `${key.key}x`,
        key.key.toUpperCase(),
        key.key.slice(0, 12),
        `LMP_${key.key.slice(4)}`,
      ]) {
        const variants: Record<string, string>[] = [
          { 'x-lamplight-api-key': candidate },
          { authorization: `Bearer ${candidate}` },
        ];
        for (const headers of variants) {
          const response = await me(headers);
          expectProblem(response, 401, 'UNAUTHENTICATED');
        }
      }
    });

    it('refuses the stored digest presented as a key (401)', async () => {
      const { digest } = await row(key.id);
      for (const candidate of [digest, `lmp_${digest}`, `lmp_${digest.slice(0, 32)}`]) {
        expectProblem(await me({ 'x-lamplight-api-key': candidate }), 401, 'UNAUTHENTICATED');
        expectProblem(await me({ authorization: `Bearer ${candidate}` }), 401, 'UNAUTHENTICATED');
      }
    });

    it('records last_used_at when the key is used', async () => {
      const fresh = await createApiKey(app, owner, { name: 'usage' });
      expect((await row(fresh.id)).last_used_at).toBeNull();
      const before = Date.now();
      expect((await me({ 'x-lamplight-api-key': fresh.key })).statusCode).toBe(200);
      let lastUsed: Date | null = null;
      for (let i = 0; i < 50 && !lastUsed; i += 1) {
        lastUsed = (await row(fresh.id)).last_used_at;
        if (!lastUsed) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(lastUsed).toBeInstanceOf(Date);
      expect(lastUsed!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(lastUsed!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      const list = await app.request({ method: 'GET', url: '/api/v1/api-keys', headers: owner.auth });
      const listed = list.json().data.find((k: { id: string }) => k.id === fresh.id);
      expect(listed.lastUsedAt).toBe(lastUsed!.toISOString());
    });

    it('does not record use for a failed attempt', async () => {
      const fresh = await createApiKey(app, owner, { name: 'unused' });
      await me({ 'x-lamplight-api-key': `${fresh.key.slice(0, -1)}${fresh.key.at(-1) === 'A' ? 'B' : 'A'}` });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await row(fresh.id)).last_used_at).toBeNull();
    });

    it('holds a key to its scopes: a proxy-only key cannot read (403), a read key can', async () => {
      const proxyOnly = await createApiKey(app, owner, { name: 'proxy only', scopes: ['proxy'] });
      const readOnly = await createApiKey(app, owner, { name: 'read only', scopes: ['read'] });
      expectProblem(await me({ 'x-lamplight-api-key': proxyOnly.key }), 403, 'API_KEY_SCOPE_MISSING');
      expect((await me({ 'x-lamplight-api-key': readOnly.key })).statusCode).toBe(200);
    });

    it.each([
      ['GET', '/api/v1/organizations'],
      ['POST', '/api/v1/organizations'],
      ['GET', '/api/v1/api-keys'],
      ['POST', '/api/v1/api-keys'],
      ['GET', '/api/v1/provider-keys'],
    ] as const)('keeps a key off organization and key management: %s %s is 403', async (method, url) => {
      const before = await countKeys(owner.organizationId);
      const organizationsBefore = await app.sql('select count(*)::text as n from organizations');
      const response = await app.request({
        method,
        url,
        headers: { 'x-lamplight-api-key': key.key },
        ...(method === 'POST' ? { payload: { name: 'made by a key' } } : {}),
      });
      expectProblem(response, 403, 'API_KEY_NOT_ALLOWED');
      expect(response.body).not.toContain('lmp_');
      expect(await countKeys(owner.organizationId)).toBe(before);
      expect(await app.sql('select count(*)::text as n from organizations')).toEqual(organizationsBefore);
    });

    it('cannot revoke a key with a key (403), and the target stays live', async () => {
      const target = await createApiKey(app, owner, { name: 'target' });
      const response = await app.request({
        method: 'DELETE',
        url: `/api/v1/api-keys/${target.id}`,
        headers: { 'x-lamplight-api-key': key.key },
      });
      expectProblem(response, 403, 'API_KEY_NOT_ALLOWED');
      expect((await row(target.id)).revoked_at).toBeNull();
    });
  });

  describe('revocation and expiry', () => {
    it('revokes a key (204): the very next request with it is 401, it leaves the list, and revoking again is 404', async () => {
      const { id, key } = await createApiKey(app, owner, { name: 'to revoke' });
      expect((await me({ 'x-lamplight-api-key': key })).statusCode).toBe(200);

      const revoke = await app.request({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: owner.auth });
      expect(revoke.statusCode).toBe(204);
      expect(revoke.body).toBe('');
      expect((await row(id)).revoked_at).toBeInstanceOf(Date);

      expectProblem(await me({ 'x-lamplight-api-key': key }), 401, 'UNAUTHENTICATED');
      expectProblem(await me({ 'x-shinzo-api-key': key }), 401, 'UNAUTHENTICATED');
      expectProblem(await me({ authorization: `Bearer ${key}` }), 401, 'UNAUTHENTICATED');

      const list = await app.request({ method: 'GET', url: '/api/v1/api-keys', headers: owner.auth });
      expect(list.json().data.map((k: { id: string }) => k.id)).not.toContain(id);

      const again = await app.request({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: owner.auth });
      expectProblem(again, 404, 'API_KEY_NOT_FOUND');
    });

    it('answers an unknown id 404 and a malformed id 400', async () => {
      expectProblem(
        await app.request({ method: 'DELETE', url: `/api/v1/api-keys/${randomUUID()}`, headers: owner.auth }),
        404,
        'API_KEY_NOT_FOUND',
      );
      expectProblem(
        await app.request({ method: 'DELETE', url: '/api/v1/api-keys/not-a-uuid', headers: owner.auth }),
        400,
        'BAD_REQUEST',
      );
    });

    it("cannot revoke another organization's key (404, no existence leak) and that key keeps working", async () => {
      const stranger = await registerUser(app, 'Stranger');
      const { id, key } = await createApiKey(app, owner, { name: 'not yours' });
      const response = await app.request({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: stranger.auth });
      expectProblem(response, 404, 'API_KEY_NOT_FOUND');
      expect((await row(id)).revoked_at).toBeNull();
      expect((await me({ 'x-lamplight-api-key': key })).statusCode).toBe(200);
      // Naming the owner's organization does not help a non-member either.
      const named = await app.request({
        method: 'DELETE',
        url: `/api/v1/api-keys/${id}`,
        headers: { ...stranger.auth, 'x-organization-id': owner.organizationId },
      });
      expectProblem(named, 403, 'NOT_A_MEMBER');
      expect((await row(id)).revoked_at).toBeNull();
    });

    it('honours an expiry: works before it, 401 once expires_at has passed', async () => {
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner.auth,
        payload: { name: 'expiring', expiresAt },
      });
      expect(response.statusCode).toBe(201);
      const { id, key } = response.json();
      expect(response.json().expiresAt).toBe(expiresAt);
      expect((await row(id)).expires_at!.toISOString()).toBe(expiresAt);
      expect((await me({ 'x-lamplight-api-key': key })).statusCode).toBe(200);

      await app.sql(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [id]);
      expectProblem(await me({ 'x-lamplight-api-key': key }), 401, 'UNAUTHENTICATED');
      expectProblem(await me({ authorization: `Bearer ${key}` }), 401, 'UNAUTHENTICATED');
    });

    it('stops a key working once its organization is deleted by the owner', async () => {
      const founder = await registerUser(app, 'Founder');
      const { key } = await createApiKey(app, founder, { name: 'org key' });
      expect((await me({ 'x-lamplight-api-key': key })).statusCode).toBe(200);

      const remove = await app.request({
        method: 'DELETE',
        url: `/api/v1/organizations/${founder.organizationId}`,
        headers: founder.auth,
      });
      expect(remove.statusCode).toBe(204);
      const [organization] = await app.sql<{ deleted_at: Date | null }>(
        'select deleted_at from organizations where id = $1',
        [founder.organizationId],
      );
      expect(organization.deleted_at).toBeInstanceOf(Date);

      expectProblem(await me({ 'x-lamplight-api-key': key }), 401, 'UNAUTHENTICATED');
      expectProblem(await me({ authorization: `Bearer ${key}` }), 401, 'UNAUTHENTICATED');
    });
  });

  describe('roles', () => {
    let team: TestUser;
    let member: TestUser;
    let admin: TestUser;
    let teamKey: { id: string; key: string };

    const addMember = async (user: TestUser, role: string) => {
      const response = await app.request({
        method: 'POST',
        url: `/api/v1/organizations/${team.organizationId}/members`,
        headers: team.auth,
        payload: { email: user.email, role },
      });
      expect(response.statusCode).toBe(201);
      const accepted = await app.request({
        method: 'POST',
        url: `/api/v1/invitations/${response.json().id}/accept`,
        headers: user.auth,
      });
      expect(accepted.statusCode).toBe(200);
    };

    beforeAll(async () => {
      team = await registerUser(app, 'Team Owner');
      member = await registerUser(app, 'Team Member');
      admin = await registerUser(app, 'Team Admin');
      await addMember(member, 'member');
      await addMember(admin, 'admin');
      teamKey = await createApiKey(app, team, { name: 'team key' });
    });

    it('lets a member list the organization keys', async () => {
      const response = await app.request({
        method: 'GET',
        url: '/api/v1/api-keys',
        headers: { ...member.auth, 'x-organization-id': team.organizationId },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().data.map((k: { id: string }) => k.id)).toContain(teamKey.id);
      expect(response.body).not.toContain(teamKey.key);
    });

    it('refuses a member creating a key (403 ROLE_REQUIRED) and stores nothing', async () => {
      const before = await countKeys(team.organizationId);
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: { ...member.auth, 'x-organization-id': team.organizationId },
        payload: { name: 'member key' },
      });
      expectProblem(response, 403, 'ROLE_REQUIRED');
      expect(response.body).not.toContain('lmp_');
      expect(await countKeys(team.organizationId)).toBe(before);
    });

    it('refuses a member revoking a key (403 ROLE_REQUIRED) and the key stays live', async () => {
      const response = await app.request({
        method: 'DELETE',
        url: `/api/v1/api-keys/${teamKey.id}`,
        headers: { ...member.auth, 'x-organization-id': team.organizationId },
      });
      expectProblem(response, 403, 'ROLE_REQUIRED');
      expect((await row(teamKey.id)).revoked_at).toBeNull();
      expect((await me({ 'x-lamplight-api-key': teamKey.key })).statusCode).toBe(200);
    });

    it('without the header, a member acts on their own organization, not the team', async () => {
      const response = await app.request({ method: 'GET', url: '/api/v1/api-keys', headers: member.auth });
      expect(response.statusCode).toBe(200);
      expect(response.json().data.map((k: { id: string }) => k.id)).not.toContain(teamKey.id);
    });

    it('lets an admin create a key bound to the team organization and revoke it', async () => {
      const created = await createApiKey(app, admin, { name: 'admin key' }, team.organizationId);
      const stored = await row(created.id);
      expect(stored.organization_id).toBe(team.organizationId);
      expect(stored.created_by_id).toBe(admin.id);
      const revoke = await app.request({
        method: 'DELETE',
        url: `/api/v1/api-keys/${created.id}`,
        headers: { ...admin.auth, 'x-organization-id': team.organizationId },
      });
      expect(revoke.statusCode).toBe(204);
      expect((await row(created.id)).revoked_at).toBeInstanceOf(Date);
    });
  });

  it('never writes a key to the log', async () => {
    const { key } = await createApiKey(app, owner, { name: 'log check' });
    await me({ 'x-lamplight-api-key': key });
    await me({ 'x-shinzo-api-key': key });
    await me({ authorization: `Bearer ${key}` });
    await me({ 'x-api-key': key });
    const logs = app.logs.join('\n');
    expect(logs).toContain('/api/v1/auth/me');
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(key.slice(12));
  });
});
