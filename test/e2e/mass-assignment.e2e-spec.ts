import { randomUUID } from 'node:crypto';
import { createApiKey, registerUser, startTestApp, type TestApp, type TestUser } from '../support/test-app';
import {
  addMember,
  createOrganization,
  createProviderKey,
  expectFieldErrors,
  fakeAnthropicKey,
  snapshotTables,
} from '../support/tenancy-fixtures';

/**
 * Every writable route refuses fields it does not declare, with 400 naming each one, and writes
 * nothing: an attacker cannot set ownership, tenancy, ids, flags or secrets through a body.
 */
describe('mass assignment', () => {
  let app: TestApp;
  let owner: TestUser;
  let member: TestUser;
  let victim: TestUser;
  let orgId: string;
  let apiKeyId: string;
  let providerKeyId: string;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_RATE_LIMIT_PER_IP: '10000' });
    owner = await registerUser(app, 'Owner');
    member = await registerUser(app, 'Member');
    victim = await registerUser(app, 'Victim');
    orgId = (await createOrganization(app, owner, { name: 'Assigned' })).id;
    await addMember(app, owner, orgId, member, 'member');
    apiKeyId = (await createApiKey(app, owner, { name: 'k' }, orgId)).id;
    providerKeyId = (await createProviderKey(app, owner, { name: 'p', key: fakeAnthropicKey() }, orgId)).id;
  });
  afterAll(async () => {
    await app.close();
  });

  type Case = [
    string,
    () => { method: 'POST' | 'PATCH'; url: string; headers?: Record<string, string>; payload: Record<string, unknown> },
    string[],
  ];

  const cases: Case[] = [
    // register
    [
      'register + isAdmin',
      () => ({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: `${randomUUID()}@example.com`, name: 'N', password: 'a long enough password', isAdmin: true },
      }),
      ['isAdmin'],
    ],
    [
      'register + id',
      () => ({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: {
          email: `${randomUUID()}@example.com`,
          name: 'N',
          password: 'a long enough password',
          id: randomUUID(),
        },
      }),
      ['id'],
    ],
    [
      'register + defaultOrganizationId + organizationId',
      () => ({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: {
          email: `${randomUUID()}@example.com`,
          name: 'N',
          password: 'a long enough password',
          defaultOrganizationId: orgId,
          organizationId: orgId,
        },
      }),
      ['defaultOrganizationId', 'organizationId'],
    ],
    [
      'register + passwordHash + deletedAt',
      () => ({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: {
          email: `${randomUUID()}@example.com`,
          name: 'N',
          password: 'a long enough password',
          passwordHash: 'x',
          deletedAt: null,
        },
      }),
      ['passwordHash', 'deletedAt'],
    ],
    // organizations
    [
      'create organization + role',
      () => ({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: member.auth,
        payload: { name: 'X', role: 'owner' },
      }),
      ['role'],
    ],
    [
      'create organization + ownerId',
      () => ({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: member.auth,
        payload: { name: 'X', ownerId: victim.id },
      }),
      ['ownerId'],
    ],
    [
      'create organization + id + deletedAt',
      () => ({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: member.auth,
        payload: { name: 'X', id: orgId, deletedAt: new Date().toISOString() },
      }),
      ['id', 'deletedAt'],
    ],
    [
      'create organization + settings',
      () => ({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: member.auth,
        payload: { name: 'X', settings: { sharingEnabled: false } },
      }),
      ['settings'],
    ],
    [
      'update organization + deletedAt',
      () => ({
        method: 'PATCH',
        url: `/api/v1/organizations/${orgId}`,
        headers: owner.auth,
        payload: { name: 'Y', deletedAt: new Date().toISOString() },
      }),
      ['deletedAt'],
    ],
    [
      'update organization + id + ownerId',
      () => ({
        method: 'PATCH',
        url: `/api/v1/organizations/${orgId}`,
        headers: owner.auth,
        payload: { id: randomUUID(), ownerId: victim.id },
      }),
      ['id', 'ownerId'],
    ],
    [
      'update organization + role',
      () => ({
        method: 'PATCH',
        url: `/api/v1/organizations/${orgId}`,
        headers: owner.auth,
        payload: { role: 'member' },
      }),
      ['role'],
    ],
    [
      'update organization settings + isAdmin',
      () => ({
        method: 'PATCH',
        url: `/api/v1/organizations/${orgId}`,
        headers: owner.auth,
        payload: { settings: { storeContent: false, isAdmin: true } },
      }),
      ['settings.isAdmin'],
    ],
    // members
    [
      'add member + organizationId',
      () => ({
        method: 'POST',
        url: `/api/v1/organizations/${orgId}/members`,
        headers: owner.auth,
        payload: { email: victim.email, organizationId: randomUUID() },
      }),
      ['organizationId'],
    ],
    [
      'add member + userId + isAdmin',
      () => ({
        method: 'POST',
        url: `/api/v1/organizations/${orgId}/members`,
        headers: owner.auth,
        payload: { email: victim.email, userId: victim.id, isAdmin: true },
      }),
      ['userId', 'isAdmin'],
    ],
    [
      'update member + organizationId',
      () => ({
        method: 'PATCH',
        url: `/api/v1/organizations/${orgId}/members/${member.id}`,
        headers: owner.auth,
        payload: { role: 'admin', organizationId: randomUUID() },
      }),
      ['organizationId'],
    ],
    [
      'update member + userId + deletedAt',
      () => ({
        method: 'PATCH',
        url: `/api/v1/organizations/${orgId}/members/${member.id}`,
        headers: owner.auth,
        payload: { role: 'admin', userId: victim.id, deletedAt: null },
      }),
      ['userId', 'deletedAt'],
    ],
    [
      'member raising self + isAdmin',
      () => ({
        method: 'PATCH',
        url: `/api/v1/organizations/${orgId}/members/${member.id}`,
        headers: member.auth,
        payload: { role: 'member', isAdmin: true },
      }),
      ['isAdmin'],
    ],
    // API keys
    [
      'create API key + organizationId',
      () => ({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner.auth,
        payload: { name: 'k', organizationId: orgId },
      }),
      ['organizationId'],
    ],
    [
      'create API key + digest',
      () => ({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner.auth,
        payload: { name: 'k', digest: 'a'.repeat(64) },
      }),
      ['digest'],
    ],
    [
      'create API key + key + prefix',
      () => ({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner.auth,
        payload: { name: 'k', key: `lmp_${'a'.repeat(32)}`, prefix: 'lmp_aaaaaaaa' },
      }),
      ['key', 'prefix'],
    ],
    [
      'create API key + id + createdBy + revokedAt',
      () => ({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner.auth,
        payload: { name: 'k', id: apiKeyId, createdBy: victim.id, revokedAt: null },
      }),
      ['id', 'createdBy', 'revokedAt'],
    ],
    // provider keys
    [
      'create provider key + organizationId',
      () => ({
        method: 'POST',
        url: '/api/v1/provider-keys',
        headers: owner.auth,
        payload: { name: 'p', key: fakeAnthropicKey(), organizationId: victim.organizationId },
      }),
      ['organizationId'],
    ],
    [
      'create provider key + ciphertext + last4',
      () => ({
        method: 'POST',
        url: '/api/v1/provider-keys',
        headers: owner.auth,
        payload: { name: 'p', key: fakeAnthropicKey(), ciphertext: 'v1:AAAA', last4: 'abcd' },
      }),
      ['ciphertext', 'last4'],
    ],
    [
      'create provider key + id + provider',
      () => ({
        method: 'POST',
        url: '/api/v1/provider-keys',
        headers: owner.auth,
        payload: { name: 'p', key: fakeAnthropicKey(), id: providerKeyId, provider: 'openai' },
      }),
      ['id', 'provider'],
    ],
    [
      'update provider key + organizationId',
      () => ({
        method: 'PATCH',
        url: `/api/v1/provider-keys/${providerKeyId}`,
        headers: owner.auth,
        payload: { name: 'p2', organizationId: victim.organizationId },
      }),
      ['organizationId'],
    ],
    [
      'update provider key + key + revokedAt',
      () => ({
        method: 'PATCH',
        url: `/api/v1/provider-keys/${providerKeyId}`,
        headers: owner.auth,
        payload: { key: fakeAnthropicKey(), revokedAt: null },
      }),
      ['key', 'revokedAt'],
    ],
    [
      'test provider key + organizationId',
      () => ({
        method: 'POST',
        url: '/api/v1/provider-keys/test',
        headers: owner.auth,
        payload: { key: fakeAnthropicKey(), organizationId: orgId },
      }),
      ['organizationId'],
    ],
    // login
    [
      'login + role',
      () => ({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: owner.email, password: owner.password, role: 'owner' },
      }),
      ['role'],
    ],
  ];

  it.each(cases)('%s → 400 naming the unknown fields, database unchanged', async (_name, build, fields) => {
    const call = build();
    const before = await snapshotTables(app);
    const response = await app.request({ ...call, headers: { ...(call.headers ?? {}), 'x-organization-id': orgId } });
    const body = expectFieldErrors(response, fields);
    for (const field of fields) {
      const error = body.errors!.find((e) => e.field === field)!;
      expect(error.message).toMatch(/should not exist/);
    }
    expect(await snapshotTables(app)).toBe(before);
  });

  it('the same bodies without the extra fields are accepted (the 400 came from the unknown fields)', async () => {
    const register = await app.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: `${randomUUID()}@example.com`, name: 'N', password: 'a long enough password' },
    });
    expect(register.statusCode).toBe(201);
    const patch = await app.request({
      method: 'PATCH',
      url: `/api/v1/organizations/${orgId}`,
      headers: owner.auth,
      payload: { settings: { storeContent: false } },
    });
    expect(patch.statusCode).toBe(200);
    const key = await app.request({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { ...owner.auth, 'x-organization-id': orgId },
      payload: { name: 'k' },
    });
    expect(key.statusCode).toBe(201);
    const [row] = await app.sql('select organization_id, created_by_id from api_keys where id = $1', [key.json().id]);
    expect(row).toEqual({ organization_id: orgId, created_by_id: owner.id });
  });
});
