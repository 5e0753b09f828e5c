import { randomUUID } from 'node:crypto';
import { createApiKey, registerUser, startTestApp, type TestApp, type TestUser } from '../support/test-app';
import {
  addMember,
  createOrganization,
  expectFieldErrors,
  expectProblem,
  snapshotTables,
} from '../support/tenancy-fixtures';

const ORGS = '/api/v1/organizations';

describe('organizations', () => {
  let app: TestApp;

  beforeAll(async () => {
    // Many users register here; the sign-in rate limit is not under test.
    app = await startTestApp({ LOGIN_RATE_LIMIT_PER_IP: '10000' });
  });
  afterAll(async () => {
    await app.close();
  });

  /** An organization with an owner, an admin and a member (and nobody else). */
  async function team(): Promise<{ orgId: string; owner: TestUser; admin: TestUser; member: TestUser }> {
    const owner = await registerUser(app, 'Owner Olga');
    const admin = await registerUser(app, 'Admin Ahmed');
    const member = await registerUser(app, 'Member Mei');
    const org = await createOrganization(app, owner, { name: 'Team' });
    await addMember(app, owner, org.id, admin, 'admin');
    await addMember(app, owner, org.id, member, 'member');
    return { orgId: org.id, owner, admin, member };
  }

  async function roleInDb(orgId: string, userId: string): Promise<string | null> {
    const rows = await app.sql<{ role: string }>(
      'select role::text as role from memberships where organization_id = $1 and user_id = $2',
      [orgId, userId],
    );
    return rows[0]?.role ?? null;
  }

  describe('create', () => {
    it('creates an organization with the caller as owner and a slug derived from the name', async () => {
      const user = await registerUser(app);
      const response = await app.request({
        method: 'POST',
        url: ORGS,
        headers: user.auth,
        payload: { name: '  Acme Research Ünïcode!  ' },
      });
      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Acme Research Ünïcode!',
        slug: expect.stringMatching(/^acme-research-unicode-[0-9a-f]{6}$/),
        settings: {
          sharingEnabled: true,
          memberSharingEnabled: true,
          storeContent: true,
          defaultSessionTokenBudget: null,
          allowedModels: null,
        },
        role: 'owner',
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
      });

      const [org] = await app.sql<{ name: string; slug: string; deleted_at: Date | null }>(
        'select name, slug, deleted_at from organizations where id = $1',
        [body.id],
      );
      expect(org).toEqual({ name: 'Acme Research Ünïcode!', slug: body.slug, deleted_at: null });
      const members = await app.sql<{ user_id: string; role: string }>(
        'select user_id, role::text as role from memberships where organization_id = $1',
        [body.id],
      );
      expect(members).toEqual([{ user_id: user.id, role: 'owner' }]);
    });

    it('uses a given slug', async () => {
      const user = await registerUser(app);
      const slug = `given-${randomUUID().slice(0, 8)}`;
      const response = await app.request({
        method: 'POST',
        url: ORGS,
        headers: user.auth,
        payload: { name: 'Given', slug },
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({ name: 'Given', slug, role: 'owner' });
      const rows = await app.sql('select id from organizations where slug = $1', [slug]);
      expect(rows).toEqual([{ id: response.json().id }]);
    });

    it('refuses a slug that is taken with 409 and creates nothing', async () => {
      const first = await registerUser(app);
      const second = await registerUser(app);
      const slug = `taken-${randomUUID().slice(0, 8)}`;
      await createOrganization(app, first, { name: 'First', slug });
      const before = await snapshotTables(app);

      const response = await app.request({
        method: 'POST',
        url: ORGS,
        headers: second.auth,
        payload: { name: 'Second', slug },
      });
      expectProblem(response, 409, 'SLUG_TAKEN');
      expect(await snapshotTables(app)).toBe(before);
    });

    it.each([
      ['upper case', 'Acme'],
      ['spaces', 'acme research'],
      ['a leading dash', '-acme'],
      ['a trailing dash', 'acme-'],
      ['an underscore', 'acme_research'],
      ['65 characters', 'a'.repeat(65)],
      ['the empty string', ''],
      ['a number', 42],
    ])('refuses a slug with %s (400 naming slug)', async (_what, slug) => {
      const user = await registerUser(app);
      const before = await snapshotTables(app);
      const response = await app.request({
        method: 'POST',
        url: ORGS,
        headers: user.auth,
        payload: { name: 'Bad slug', slug },
      });
      expectFieldErrors(response, ['slug']);
      expect(await snapshotTables(app)).toBe(before);
    });

    it('accepts a 64-character slug', async () => {
      const user = await registerUser(app);
      const slug = `${randomUUID().replace(/-/g, '')}${'b'.repeat(32)}`;
      expect(slug).toHaveLength(64);
      const response = await app.request({
        method: 'POST',
        url: ORGS,
        headers: user.auth,
        payload: { name: 'Long', slug },
      });
      expect(response.statusCode).toBe(201);
      expect(response.json().slug).toBe(slug);
    });

    it.each([
      ['missing', {}],
      ['blank', { name: '   ' }],
      ['too long', { name: 'x'.repeat(201) }],
      ['not a string', { name: ['a'] }],
    ])('refuses a name that is %s (400 naming name)', async (_what, payload) => {
      const user = await registerUser(app);
      const response = await app.request({ method: 'POST', url: ORGS, headers: user.auth, payload });
      expectFieldErrors(response, ['name']);
    });

    it('needs a signed-in user: no credentials → 401, an API key → 403', async () => {
      const user = await registerUser(app);
      const key = await createApiKey(app, user);
      const before = await snapshotTables(app);
      expectProblem(
        await app.request({ method: 'POST', url: ORGS, payload: { name: 'Anon' } }),
        401,
        'UNAUTHENTICATED',
      );
      const withKey = await app.request({
        method: 'POST',
        url: ORGS,
        headers: { 'x-lamplight-api-key': key.key },
        payload: { name: 'By key' },
      });
      expectProblem(withKey, 403, 'API_KEY_NOT_ALLOWED');
      expectProblem(
        await app.request({ method: 'GET', url: ORGS, headers: { authorization: `Bearer ${key.key}` } }),
        403,
      );
      expect(await snapshotTables(app)).toBe(before);
    });
  });

  describe('list and get', () => {
    it('lists exactly the caller’s organizations with their role in each, oldest first', async () => {
      const { orgId, owner, member } = await team();
      const stranger = await registerUser(app);
      await createOrganization(app, stranger, { name: 'Not yours' });

      const mine = await app.request({ method: 'GET', url: ORGS, headers: member.auth });
      expect(mine.statusCode).toBe(200);
      expect(mine.json()).toEqual({
        object: 'list',
        data: [
          expect.objectContaining({ id: member.organizationId, role: 'owner' }),
          expect.objectContaining({ id: orgId, name: 'Team', role: 'member' }),
        ],
      });

      const owners = await app.request({ method: 'GET', url: ORGS, headers: owner.auth });
      expect(owners.json().data.map((o: { id: string; role: string }) => [o.id, o.role])).toEqual([
        [owner.organizationId, 'owner'],
        [orgId, 'owner'],
      ]);
    });

    it('gets an organization the caller belongs to, with the caller’s role', async () => {
      const { orgId, admin } = await team();
      const response = await app.request({ method: 'GET', url: `${ORGS}/${orgId}`, headers: admin.auth });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        id: orgId,
        name: 'Team',
        slug: expect.any(String),
        settings: {
          sharingEnabled: true,
          memberSharingEnabled: true,
          storeContent: true,
          defaultSessionTokenBudget: null,
          allowedModels: null,
        },
        role: 'admin',
        createdAt: expect.any(String),
      });
    });
  });

  describe('update', () => {
    it('lets an admin change name, slug and settings (partially), and stores them', async () => {
      const { orgId, admin } = await team();
      const slug = `renamed-${randomUUID().slice(0, 8)}`;
      const response = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}`,
        headers: admin.auth,
        payload: { name: ' Renamed ', slug, settings: { storeContent: false, defaultSessionTokenBudget: 50_000 } },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        id: orgId,
        name: 'Renamed',
        slug,
        role: 'admin',
        settings: {
          sharingEnabled: true,
          memberSharingEnabled: true,
          storeContent: false,
          defaultSessionTokenBudget: 50_000,
          allowedModels: null,
        },
      });
      const [row] = await app.sql('select name, slug, settings from organizations where id = $1', [orgId]);
      expect(row).toEqual({
        name: 'Renamed',
        slug,
        settings: {
          sharingEnabled: true,
          memberSharingEnabled: true,
          storeContent: false,
          defaultSessionTokenBudget: 50_000,
          allowedModels: null,
        },
      });

      // A later partial update keeps what it does not name; null clears the budget.
      const again = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}`,
        headers: admin.auth,
        payload: { settings: { sharingEnabled: false, defaultSessionTokenBudget: null } },
      });
      expect(again.statusCode).toBe(200);
      const [after] = await app.sql('select name, slug, settings from organizations where id = $1', [orgId]);
      expect(after).toEqual({
        name: 'Renamed',
        slug,
        settings: {
          sharingEnabled: false,
          memberSharingEnabled: true,
          storeContent: false,
          defaultSessionTokenBudget: null,
          allowedModels: null,
        },
      });
      expect(again.json().settings).toEqual(after.settings);
    });

    it('lets the owner update too', async () => {
      const { orgId, owner } = await team();
      const response = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}`,
        headers: owner.auth,
        payload: { name: 'By owner' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ name: 'By owner', role: 'owner' });
    });

    it('refuses a member with 403 and changes nothing', async () => {
      const { orgId, member } = await team();
      const before = await snapshotTables(app);
      const response = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}`,
        headers: member.auth,
        payload: { name: 'Hijacked', settings: { sharingEnabled: false } },
      });
      expectProblem(response, 403, 'ROLE_REQUIRED');
      expect(await snapshotTables(app)).toBe(before);
    });

    it('refuses a slug another organization uses (409), but keeping its own slug is fine', async () => {
      const { orgId, owner } = await team();
      const other = await createOrganization(app, owner, { name: 'Other', slug: `other-${randomUUID().slice(0, 8)}` });
      const before = await snapshotTables(app);
      const clash = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}`,
        headers: owner.auth,
        payload: { slug: other.slug },
      });
      expectProblem(clash, 409, 'SLUG_TAKEN');
      expect(await snapshotTables(app)).toBe(before);

      const same = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${other.id}`,
        headers: owner.auth,
        payload: { slug: other.slug, name: 'Same slug' },
      });
      expect(same.statusCode).toBe(200);
      expect(same.json()).toMatchObject({ slug: other.slug, name: 'Same slug' });
    });

    it.each([
      [{ slug: 'Bad Slug' }, 'slug'],
      [{ name: '' }, 'name'],
      [{ settings: { sharingEnabled: 'yes' } }, 'settings.sharingEnabled'],
      [{ settings: { storeContent: 1 } }, 'settings.storeContent'],
      [{ settings: { defaultSessionTokenBudget: 0 } }, 'settings.defaultSessionTokenBudget'],
      [{ settings: { defaultSessionTokenBudget: 1.5 } }, 'settings.defaultSessionTokenBudget'],
      [{ settings: { defaultSessionTokenBudget: '100' } }, 'settings.defaultSessionTokenBudget'],
    ])('refuses %j with 400 naming %s', async (payload, field) => {
      const { orgId, owner } = await team();
      const before = await snapshotTables(app);
      const response = await app.request({ method: 'PATCH', url: `${ORGS}/${orgId}`, headers: owner.auth, payload });
      expectFieldErrors(response, [field]);
      expect(await snapshotTables(app)).toBe(before);
    });
  });

  describe('delete', () => {
    it('refuses an admin and a member with 403 and leaves the organization alive', async () => {
      const { orgId, admin, member } = await team();
      for (const user of [admin, member]) {
        const response = await app.request({ method: 'DELETE', url: `${ORGS}/${orgId}`, headers: user.auth });
        expectProblem(response, 403, 'ROLE_REQUIRED');
      }
      const [row] = await app.sql('select deleted_at from organizations where id = $1', [orgId]);
      expect(row).toEqual({ deleted_at: null });
    });

    it('soft-deletes for the owner: 204, then 404 for everyone, gone from lists, deleted_at set, API keys dead', async () => {
      const { orgId, owner, member } = await team();
      const key = await createApiKey(app, owner, { name: 'doomed' }, orgId);
      const beforeKey = await app.request({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: { 'x-lamplight-api-key': key.key },
      });
      expect(beforeKey.statusCode).toBe(200);

      const started = Date.now();
      const response = await app.request({ method: 'DELETE', url: `${ORGS}/${orgId}`, headers: owner.auth });
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');

      const [row] = await app.sql<{ deleted_at: Date | null }>('select deleted_at from organizations where id = $1', [
        orgId,
      ]);
      expect(row.deleted_at).toBeInstanceOf(Date);
      expect(row.deleted_at!.getTime()).toBeGreaterThanOrEqual(started - 5_000);
      expect(row.deleted_at!.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);

      for (const user of [owner, member]) {
        expectProblem(
          await app.request({ method: 'GET', url: `${ORGS}/${orgId}`, headers: user.auth }),
          404,
          'ORGANIZATION_NOT_FOUND',
        );
        expectProblem(
          await app.request({ method: 'GET', url: `${ORGS}/${orgId}/members`, headers: user.auth }),
          404,
          'ORGANIZATION_NOT_FOUND',
        );
        const list = await app.request({ method: 'GET', url: ORGS, headers: user.auth });
        expect(list.json().data.map((o: { id: string }) => o.id)).not.toContain(orgId);
        expect(list.json().data.map((o: { id: string }) => o.id)).toContain(user.organizationId);
      }
      // Deleting again, or updating, is 404: it no longer exists for anyone.
      expectProblem(await app.request({ method: 'DELETE', url: `${ORGS}/${orgId}`, headers: owner.auth }), 404);
      expectProblem(
        await app.request({ method: 'PATCH', url: `${ORGS}/${orgId}`, headers: owner.auth, payload: { name: 'x' } }),
        404,
      );

      const afterKey = await app.request({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: { 'x-lamplight-api-key': key.key },
      });
      expectProblem(afterKey, 401, 'UNAUTHENTICATED');
      // The member's org-scoped calls cannot pick it by header either.
      expectProblem(
        await app.request({
          method: 'GET',
          url: '/api/v1/api-keys',
          headers: { ...member.auth, 'x-organization-id': orgId },
        }),
        403,
      );
    });

    it('frees the slug of a deleted organization', async () => {
      const owner = await registerUser(app);
      const slug = `reuse-${randomUUID().slice(0, 8)}`;
      const first = await createOrganization(app, owner, { name: 'First', slug });
      expect(
        (await app.request({ method: 'DELETE', url: `${ORGS}/${first.id}`, headers: owner.auth })).statusCode,
      ).toBe(204);
      const second = await app.request({
        method: 'POST',
        url: ORGS,
        headers: owner.auth,
        payload: { name: 'Second', slug },
      });
      expect(second.statusCode).toBe(201);
      expect(second.json().id).not.toBe(first.id);
    });
  });

  describe('members', () => {
    it('lists members with email, name and role to any member', async () => {
      const { orgId, owner, admin, member } = await team();
      const response = await app.request({ method: 'GET', url: `${ORGS}/${orgId}/members`, headers: member.auth });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        object: 'list',
        data: [
          { userId: owner.id, email: owner.email, name: 'Owner Olga', role: 'owner', joinedAt: expect.any(String) },
          { userId: admin.id, email: admin.email, name: 'Admin Ahmed', role: 'admin', joinedAt: expect.any(String) },
          { userId: member.id, email: member.email, name: 'Member Mei', role: 'member', joinedAt: expect.any(String) },
        ],
      });
      expect(response.body).not.toMatch(/password/i);
    });

    const invite = (orgId: string, actor: TestUser, payload: Record<string, unknown>) =>
      app.request({ method: 'POST', url: `${ORGS}/${orgId}/members`, headers: actor.auth, payload });
    const answer = (user: TestUser, id: string, verb: 'accept' | 'decline') =>
      app.request({ method: 'POST', url: `/api/v1/invitations/${id}/${verb}`, headers: user.auth });
    const myInvitations = async (user: TestUser) =>
      (await app.request({ method: 'GET', url: '/api/v1/invitations', headers: user.auth })).json().data as {
        id: string;
      }[];

    it('adds nobody without their consent: an invitation (case-insensitive email, member by default) that they accept', async () => {
      const { orgId, owner, admin } = await team();
      const newcomer = await registerUser(app, 'New Comer');
      const response = await invite(orgId, admin, { email: newcomer.email.toUpperCase() });
      expect(response.statusCode).toBe(201);
      const invitation = response.json();
      expect(invitation).toEqual({
        id: expect.any(String),
        organizationId: orgId,
        organizationName: 'Team',
        email: newcomer.email,
        role: 'member',
        invitedBy: { userId: admin.id, name: 'Admin Ahmed', email: admin.email },
        status: 'pending',
        createdAt: expect.any(String),
        expiresAt: expect.any(String),
      });
      expect(Date.parse(invitation.expiresAt) - Date.parse(invitation.createdAt)).toBe(7 * 24 * 3600 * 1000);
      // Not a member yet: the organization stays closed to them.
      expect(await roleInDb(orgId, newcomer.id)).toBeNull();
      expectProblem(
        await app.request({ method: 'GET', url: `${ORGS}/${orgId}`, headers: newcomer.auth }),
        404,
        'ORGANIZATION_NOT_FOUND',
      );
      // They see it; admins see it pending; nobody else can answer it.
      expect((await myInvitations(newcomer)).map((i) => i.id)).toEqual([invitation.id]);
      const pending = await app.request({ method: 'GET', url: `${ORGS}/${orgId}/invitations`, headers: owner.auth });
      expect(pending.json().data.map((i: { id: string }) => i.id)).toEqual([invitation.id]);
      expectProblem(await answer(owner, invitation.id, 'accept'), 404, 'INVITATION_NOT_FOUND');

      const accepted = await answer(newcomer, invitation.id, 'accept');
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json().status).toBe('accepted');
      expect(await roleInDb(orgId, newcomer.id)).toBe('member');
      const get = await app.request({ method: 'GET', url: `${ORGS}/${orgId}`, headers: newcomer.auth });
      expect(get.json().role).toBe('member');
      expectProblem(await answer(newcomer, invitation.id, 'accept'), 409, 'INVITATION_NOT_PENDING');
      expect(await myInvitations(newcomer)).toEqual([]);
    });

    it('lets an invitee decline, an admin revoke, and expires invitations', async () => {
      const { orgId, owner, admin } = await team();
      const a = await registerUser(app);
      const b = await registerUser(app);
      const c = await registerUser(app);
      const declined = (await invite(orgId, owner, { email: a.email })).json();
      expect((await answer(a, declined.id, 'decline')).json().status).toBe('declined');
      expect(await roleInDb(orgId, a.id)).toBeNull();

      const revoked = (await invite(orgId, owner, { email: b.email, role: 'admin' })).json();
      expectProblem(await invite(orgId, owner, { email: b.email }), 409, 'INVITATION_PENDING');
      expect(
        (
          await app.request({
            method: 'DELETE',
            url: `${ORGS}/${orgId}/invitations/${revoked.id}`,
            headers: admin.auth,
          })
        ).statusCode,
      ).toBe(204);
      expectProblem(await answer(b, revoked.id, 'accept'), 409, 'INVITATION_NOT_PENDING');
      expect(await roleInDb(orgId, b.id)).toBeNull();

      const expiring = (await invite(orgId, owner, { email: c.email })).json();
      await app.sql(`update invitations set expires_at = now() - interval '1 second' where id = $1`, [expiring.id]);
      expect(await myInvitations(c)).toEqual([]);
      expectProblem(await answer(c, expiring.id, 'accept'), 409, 'INVITATION_NOT_PENDING');
      expect(await roleInDb(orgId, c.id)).toBeNull();
      // A new invitation replaces an expired one.
      const again = (await invite(orgId, owner, { email: c.email })).json();
      expect((await answer(c, again.id, 'accept')).statusCode).toBe(200);
      expect(await roleInDb(orgId, c.id)).toBe('member');
    });

    it('invites an email that has not registered yet; it is theirs once they register', async () => {
      const { orgId, owner } = await team();
      const email = `later-${randomUUID()}@example.com`;
      const invitation = await invite(orgId, owner, { email, role: 'admin' });
      expect(invitation.statusCode).toBe(201);
      const registered = await app.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email, name: 'Later', password: 'a long enough password' },
      });
      expect(registered.statusCode).toBe(201);
      const later = {
        id: registered.json().user.id,
        auth: { authorization: `Bearer ${registered.json().accessToken}` },
      } as unknown as TestUser;
      expect((await myInvitations(later)).map((i) => i.id)).toEqual([invitation.json().id]);
      expect((await answer(later, invitation.json().id, 'accept')).statusCode).toBe(200);
      expect(await roleInDb(orgId, later.id)).toBe('admin');
    });

    it('lets an admin invite an admin, and the owner invite an owner', async () => {
      const { orgId, owner, admin } = await team();
      const second = await registerUser(app);
      const third = await registerUser(app);
      const byAdmin = await invite(orgId, admin, { email: second.email, role: 'admin' });
      expect(byAdmin.statusCode).toBe(201);
      expect(byAdmin.json().role).toBe('admin');
      const byOwner = await invite(orgId, owner, { email: third.email, role: 'owner' });
      expect(byOwner.json().role).toBe('owner');
      await answer(second, byAdmin.json().id, 'accept');
      await answer(third, byOwner.json().id, 'accept');
      expect(await roleInDb(orgId, second.id)).toBe('admin');
      expect(await roleInDb(orgId, third.id)).toBe('owner');
    });

    it('refuses an admin inviting an owner (403), and nothing is written', async () => {
      const { orgId, admin } = await team();
      const target = await registerUser(app);
      const before = await snapshotTables(app);
      expectProblem(await invite(orgId, admin, { email: target.email, role: 'owner' }), 403, 'ROLE_REQUIRED');
      expect(await snapshotTables(app)).toBe(before);
    });

    it('refuses a member inviting anyone (403), and members listing or revoking invitations', async () => {
      const { orgId, owner, member } = await team();
      const target = await registerUser(app);
      expectProblem(await invite(orgId, member, { email: target.email }), 403, 'ROLE_REQUIRED');
      const pending = (await invite(orgId, owner, { email: target.email })).json();
      expectProblem(
        await app.request({ method: 'GET', url: `${ORGS}/${orgId}/invitations`, headers: member.auth }),
        403,
        'ROLE_REQUIRED',
      );
      expectProblem(
        await app.request({
          method: 'DELETE',
          url: `${ORGS}/${orgId}/invitations/${pending.id}`,
          headers: member.auth,
        }),
        403,
        'ROLE_REQUIRED',
      );
      expect(await myInvitations(target)).toHaveLength(1);
    });

    it('answers 409 for an existing member', async () => {
      const { orgId, owner, member } = await team();
      const before = await snapshotTables(app);
      expectProblem(await invite(orgId, owner, { email: member.email, role: 'admin' }), 409, 'ALREADY_MEMBER');
      expect(await snapshotTables(app)).toBe(before);
      expect(await roleInDb(orgId, member.id)).toBe('member');
    });

    it.each([
      [{ email: 'not-an-email' }, 'email'],
      [{}, 'email'],
      [{ email: 'x@example.com', role: 'superuser' }, 'role'],
    ])('refuses %j with 400', async (payload, field) => {
      const { orgId, owner } = await team();
      expectFieldErrors(
        await app.request({ method: 'POST', url: `${ORGS}/${orgId}/members`, headers: owner.auth, payload }),
        [field],
      );
    });

    it('lets an admin change a member’s role, and the owner change an admin’s', async () => {
      const { orgId, owner, admin, member } = await team();
      const promote = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}/members/${member.id}`,
        headers: admin.auth,
        payload: { role: 'admin' },
      });
      expect(promote.statusCode).toBe(200);
      expect(promote.json()).toEqual({
        userId: member.id,
        email: member.email,
        name: 'Member Mei',
        role: 'admin',
        joinedAt: expect.any(String),
      });
      expect(await roleInDb(orgId, member.id)).toBe('admin');

      const demote = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}/members/${admin.id}`,
        headers: owner.auth,
        payload: { role: 'member' },
      });
      expect(demote.statusCode).toBe(200);
      expect(demote.json().role).toBe('member');
      expect(await roleInDb(orgId, admin.id)).toBe('member');

      const crown = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}/members/${admin.id}`,
        headers: owner.auth,
        payload: { role: 'owner' },
      });
      expect(crown.statusCode).toBe(200);
      expect(await roleInDb(orgId, admin.id)).toBe('owner');
    });

    it('refuses role changes above the actor: a member changing anyone, an admin touching an owner or making one', async () => {
      const { orgId, owner, admin, member } = await team();
      const before = await snapshotTables(app);
      const cases: [TestUser, string, string][] = [
        [member, admin.id, 'member'],
        [member, owner.id, 'member'],
        [admin, owner.id, 'admin'],
        [admin, member.id, 'owner'],
      ];
      for (const [actor, target, role] of cases) {
        const response = await app.request({
          method: 'PATCH',
          url: `${ORGS}/${orgId}/members/${target}`,
          headers: actor.auth,
          payload: { role },
        });
        expectProblem(response, 403, 'ROLE_REQUIRED');
      }
      expect(await snapshotTables(app)).toBe(before);
    });

    it('refuses a role that is not owner, admin or member (400)', async () => {
      const { orgId, owner, member } = await team();
      for (const payload of [{ role: 'root' }, {}, { role: 'Owner' }]) {
        const response = await app.request({
          method: 'PATCH',
          url: `${ORGS}/${orgId}/members/${member.id}`,
          headers: owner.auth,
          payload,
        });
        expectFieldErrors(response, ['role']);
      }
      expect(await roleInDb(orgId, member.id)).toBe('member');
    });

    it('nobody raises their own role: member → admin and admin → owner are 403', async () => {
      const { orgId, admin, member } = await team();
      const before = await snapshotTables(app);
      const memberUp = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}/members/${member.id}`,
        headers: member.auth,
        payload: { role: 'admin' },
      });
      expectProblem(memberUp, 403, 'CANNOT_RAISE_OWN_ROLE');
      const memberToOwner = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}/members/${member.id}`,
        headers: member.auth,
        payload: { role: 'owner' },
      });
      expectProblem(memberToOwner, 403, 'CANNOT_RAISE_OWN_ROLE');
      const adminUp = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}/members/${admin.id}`,
        headers: admin.auth,
        payload: { role: 'owner' },
      });
      expectProblem(adminUp, 403, 'CANNOT_RAISE_OWN_ROLE');
      expect(await snapshotTables(app)).toBe(before);
    });

    it('lets an admin step down to member', async () => {
      const { orgId, admin } = await team();
      const response = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}/members/${admin.id}`,
        headers: admin.auth,
        payload: { role: 'member' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().role).toBe('member');
      expect(await roleInDb(orgId, admin.id)).toBe('member');
      // …after which they are a member and cannot manage anything.
      const rename = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}`,
        headers: admin.auth,
        payload: { name: 'nope' },
      });
      expectProblem(rename, 403);
    });

    it('keeps the last owner: neither demoted nor removed (409); with a second owner both work', async () => {
      const { orgId, owner } = await team();
      const before = await snapshotTables(app);
      const demote = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}/members/${owner.id}`,
        headers: owner.auth,
        payload: { role: 'admin' },
      });
      expectProblem(demote, 409, 'LAST_OWNER');
      const leave = await app.request({
        method: 'DELETE',
        url: `${ORGS}/${orgId}/members/${owner.id}`,
        headers: owner.auth,
      });
      expectProblem(leave, 409, 'LAST_OWNER');
      expect(await snapshotTables(app)).toBe(before);

      const coOwner = await registerUser(app);
      await addMember(app, owner, orgId, coOwner, 'owner');
      const stepDown = await app.request({
        method: 'PATCH',
        url: `${ORGS}/${orgId}/members/${owner.id}`,
        headers: owner.auth,
        payload: { role: 'admin' },
      });
      expect(stepDown.statusCode).toBe(200);
      expect(await roleInDb(orgId, owner.id)).toBe('admin');

      // Now the co-owner is the last owner: they cannot leave, but may remove the (now admin) first owner.
      expectProblem(
        await app.request({ method: 'DELETE', url: `${ORGS}/${orgId}/members/${coOwner.id}`, headers: coOwner.auth }),
        409,
        'LAST_OWNER',
      );
      expect(
        (await app.request({ method: 'DELETE', url: `${ORGS}/${orgId}/members/${owner.id}`, headers: coOwner.auth }))
          .statusCode,
      ).toBe(204);
      const owners = await app.sql("select user_id from memberships where organization_id = $1 and role = 'owner'", [
        orgId,
      ]);
      expect(owners).toEqual([{ user_id: coOwner.id }]);
    });

    it('lets one owner remove another while two remain… until one is left', async () => {
      const { orgId, owner } = await team();
      const coOwner = await registerUser(app);
      await addMember(app, owner, orgId, coOwner, 'owner');
      const removed = await app.request({
        method: 'DELETE',
        url: `${ORGS}/${orgId}/members/${coOwner.id}`,
        headers: owner.auth,
      });
      expect(removed.statusCode).toBe(204);
      expect(await roleInDb(orgId, coOwner.id)).toBeNull();
      expectProblem(await app.request({ method: 'GET', url: `${ORGS}/${orgId}`, headers: coOwner.auth }), 404);
    });

    it('lets a member leave (204): the membership row is gone and the organization is 404 to them', async () => {
      const { orgId, member } = await team();
      const response = await app.request({
        method: 'DELETE',
        url: `${ORGS}/${orgId}/members/${member.id}`,
        headers: member.auth,
      });
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
      expect(await roleInDb(orgId, member.id)).toBeNull();
      expectProblem(
        await app.request({ method: 'GET', url: `${ORGS}/${orgId}`, headers: member.auth }),
        404,
        'ORGANIZATION_NOT_FOUND',
      );
      const list = await app.request({ method: 'GET', url: ORGS, headers: member.auth });
      expect(list.json().data.map((o: { id: string }) => o.id)).toEqual([member.organizationId]);
    });

    it('lets an admin remove a member (204) but not the owner (403); a member removes nobody (403)', async () => {
      const { orgId, owner, admin, member } = await team();
      const extra = await registerUser(app);
      await addMember(app, owner, orgId, extra);

      const before = await snapshotTables(app);
      expectProblem(
        await app.request({ method: 'DELETE', url: `${ORGS}/${orgId}/members/${owner.id}`, headers: admin.auth }),
        403,
        'ROLE_REQUIRED',
      );
      expectProblem(
        await app.request({ method: 'DELETE', url: `${ORGS}/${orgId}/members/${extra.id}`, headers: member.auth }),
        403,
        'ROLE_REQUIRED',
      );
      expectProblem(
        await app.request({ method: 'DELETE', url: `${ORGS}/${orgId}/members/${admin.id}`, headers: member.auth }),
        403,
        'ROLE_REQUIRED',
      );
      expect(await snapshotTables(app)).toBe(before);

      const removed = await app.request({
        method: 'DELETE',
        url: `${ORGS}/${orgId}/members/${extra.id}`,
        headers: admin.auth,
      });
      expect(removed.statusCode).toBe(204);
      expect(await roleInDb(orgId, extra.id)).toBeNull();
    });

    it('answers 404 for a member id that is not a member, a random UUID or not a UUID', async () => {
      const { orgId, owner } = await team();
      const outsider = await registerUser(app);
      for (const target of [outsider.id, randomUUID(), 'not-a-uuid']) {
        const patch = await app.request({
          method: 'PATCH',
          url: `${ORGS}/${orgId}/members/${target}`,
          headers: owner.auth,
          payload: { role: 'admin' },
        });
        expectProblem(patch, 404, 'MEMBER_NOT_FOUND');
        const remove = await app.request({
          method: 'DELETE',
          url: `${ORGS}/${orgId}/members/${target}`,
          headers: owner.auth,
        });
        expectProblem(remove, 404, 'MEMBER_NOT_FOUND');
      }
      expect(await roleInDb(orgId, outsider.id)).toBeNull();
    });
  });

  describe('non-members get 404, never 403', () => {
    it.each([
      ['another organization', 'real'],
      ['a random UUID', 'random'],
      ['an id that is not a UUID', 'garbage'],
    ])('for %s, on every organization and members route', async (_what, kind) => {
      const { orgId, owner, member } = await team();
      const outsider = await registerUser(app);
      const id = kind === 'real' ? orgId : kind === 'random' ? randomUUID() : 'not-a-uuid';
      const before = await snapshotTables(app);

      const calls = [
        { method: 'GET' as const, url: `${ORGS}/${id}` },
        { method: 'PATCH' as const, url: `${ORGS}/${id}`, payload: { name: 'Taken over' } },
        { method: 'DELETE' as const, url: `${ORGS}/${id}` },
        { method: 'GET' as const, url: `${ORGS}/${id}/members` },
        { method: 'POST' as const, url: `${ORGS}/${id}/members`, payload: { email: outsider.email, role: 'owner' } },
        { method: 'PATCH' as const, url: `${ORGS}/${id}/members/${member.id}`, payload: { role: 'owner' } },
        { method: 'PATCH' as const, url: `${ORGS}/${id}/members/${outsider.id}`, payload: { role: 'owner' } },
        { method: 'DELETE' as const, url: `${ORGS}/${id}/members/${owner.id}` },
        { method: 'DELETE' as const, url: `${ORGS}/${id}/members/${outsider.id}` },
      ];
      const details = new Set<string>();
      for (const call of calls) {
        const response = await app.request({ ...call, headers: outsider.auth });
        const body = expectProblem(response, 404, 'ORGANIZATION_NOT_FOUND');
        details.add(`${body.title}|${body.detail}|${body.type}`);
      }
      // One and the same answer everywhere, whether the organization exists or not.
      expect([...details]).toEqual([
        'Not Found|Organization not found|https://lamplight.dev/problems/organization-not-found',
      ]);
      expect(await snapshotTables(app)).toBe(before);
      if (kind === 'real') {
        expect(await roleInDb(orgId, outsider.id)).toBeNull();
        expect(await roleInDb(orgId, member.id)).toBe('member');
      }
    });
  });
});

describe('organizations under concurrent requests', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT_PER_IP: '10000' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('two owners leaving at the same moment: one succeeds, the other gets 409, one owner stays', async () => {
    for (let round = 0; round < 5; round += 1) {
      const first = await registerUser(app);
      const second = await registerUser(app);
      const org = await createOrganization(app, first, { name: 'Race' });
      await addMember(app, first, org.id, second, 'owner');

      const responses = await Promise.all([
        app.request({ method: 'DELETE', url: `${ORGS}/${org.id}/members/${first.id}`, headers: first.auth }),
        app.request({ method: 'DELETE', url: `${ORGS}/${org.id}/members/${second.id}`, headers: second.auth }),
      ]);
      expect(responses.map((r) => r.statusCode).sort()).toEqual([204, 409]);
      const owners = await app.sql("select user_id from memberships where organization_id = $1 and role = 'owner'", [
        org.id,
      ]);
      expect(owners).toHaveLength(1);
    }
  });

  it('two owners demoting each other at the same moment: one owner stays', async () => {
    for (let round = 0; round < 5; round += 1) {
      const first = await registerUser(app);
      const second = await registerUser(app);
      const org = await createOrganization(app, first, { name: 'Race' });
      await addMember(app, first, org.id, second, 'owner');

      const responses = await Promise.all([
        app.request({
          method: 'PATCH',
          url: `${ORGS}/${org.id}/members/${second.id}`,
          headers: first.auth,
          payload: { role: 'member' },
        }),
        app.request({
          method: 'PATCH',
          url: `${ORGS}/${org.id}/members/${first.id}`,
          headers: second.auth,
          payload: { role: 'member' },
        }),
      ]);
      const statuses = responses.map((r) => r.statusCode).sort();
      // Whichever runs second is no longer an owner (403) or would leave none (409): never both 200.
      expect(statuses[0]).toBe(200);
      expect([403, 409]).toContain(statuses[1]);
      const owners = await app.sql("select user_id from memberships where organization_id = $1 and role = 'owner'", [
        org.id,
      ]);
      expect(owners).toHaveLength(1);
    }
  });

  it('the same slug twice at the same moment: one 201, one 409 (never a 500)', async () => {
    const user = await registerUser(app);
    for (let round = 0; round < 5; round += 1) {
      const slug = `race-${randomUUID().slice(0, 8)}`;
      const responses = await Promise.all([
        app.request({ method: 'POST', url: ORGS, headers: user.auth, payload: { name: 'A', slug } }),
        app.request({ method: 'POST', url: ORGS, headers: user.auth, payload: { name: 'B', slug } }),
      ]);
      expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      expectProblem(
        responses.find((r) => r.statusCode === 409)!,
        409,
        'SLUG_TAKEN',
      );
      expect(await app.sql('select id from organizations where slug = $1', [slug])).toHaveLength(1);
    }
  });

  it('the same user invited twice at the same moment: one 201, one 409 (never a 500)', async () => {
    const owner = await registerUser(app);
    for (let round = 0; round < 5; round += 1) {
      const org = await createOrganization(app, owner, { name: 'Race' });
      const newcomer = await registerUser(app);
      const responses = await Promise.all([
        app.request({
          method: 'POST',
          url: `${ORGS}/${org.id}/members`,
          headers: owner.auth,
          payload: { email: newcomer.email },
        }),
        app.request({
          method: 'POST',
          url: `${ORGS}/${org.id}/members`,
          headers: owner.auth,
          payload: { email: newcomer.email },
        }),
      ]);
      expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      expectProblem(
        responses.find((r) => r.statusCode === 409)!,
        409,
        'INVITATION_PENDING',
      );
      expect(
        await app.sql('select id from invitations where organization_id = $1 and email = $2', [org.id, newcomer.email]),
      ).toHaveLength(1);
    }
  });
});
