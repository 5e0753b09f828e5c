import { randomBytes, randomUUID } from 'node:crypto';
import type { Response as InjectResponse } from 'light-my-request';
import { expectProblem, type ProblemBody, type TestApp, type TestUser } from './test-app';

export { expectProblem, type ProblemBody };

/** Asserts a 400 validation problem listing (at least) the given fields. */
export function expectFieldErrors(response: InjectResponse, fields: string[]): ProblemBody {
  const body = expectProblem(response, 400, 'VALIDATION_FAILED');
  expect(Array.isArray(body.errors)).toBe(true);
  const named = (body.errors ?? []).map((e) => e.field);
  for (const field of fields) expect(named).toContain(field);
  for (const error of body.errors ?? []) expect(typeof error.message).toBe('string');
  return body;
}

export const orgHeader = (organizationId: string) => ({ 'x-organization-id': organizationId });

/** A string shaped like an Anthropic Console key, unique per call. */
export function fakeAnthropicKey(): string {
  return `sk-ant-api03-${randomBytes(30).toString('base64url')}-${randomUUID().slice(0, 8)}AA`;
}

/** Creates an organization through the API (the caller becomes its owner). */
export async function createOrganization(
  app: TestApp,
  user: TestUser,
  body: Record<string, unknown> = { name: 'Test Organization' },
): Promise<{ id: string; slug: string; name: string }> {
  const response = await app.request({
    method: 'POST',
    url: '/api/v1/organizations',
    headers: user.auth,
    payload: body,
  });
  if (response.statusCode !== 201)
    throw new Error(`create organization failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** Adds an existing user to an organization through the API: the actor invites, the user accepts. */
export async function addMember(
  app: TestApp,
  actor: TestUser,
  organizationId: string,
  member: TestUser,
  role?: 'owner' | 'admin' | 'member',
): Promise<void> {
  const response = await app.request({
    method: 'POST',
    url: `/api/v1/organizations/${organizationId}/members`,
    headers: actor.auth,
    payload: { email: member.email, ...(role ? { role } : {}) },
  });
  if (response.statusCode !== 201) throw new Error(`invite member failed: ${response.statusCode} ${response.body}`);
  const accepted = await app.request({
    method: 'POST',
    url: `/api/v1/invitations/${response.json().id}/accept`,
    headers: member.auth,
  });
  if (accepted.statusCode !== 200) throw new Error(`accept invitation failed: ${accepted.statusCode} ${accepted.body}`);
}

/** Stores a provider key through the API, in the user's default organization or the one named. */
export async function createProviderKey(
  app: TestApp,
  user: TestUser,
  body: Record<string, unknown>,
  organizationId?: string,
): Promise<{ id: string; name: string; last4: string; isDefault: boolean }> {
  const response = await app.request({
    method: 'POST',
    url: '/api/v1/provider-keys',
    headers: { ...user.auth, ...(organizationId ? orgHeader(organizationId) : {}) },
    payload: body,
  });
  if (response.statusCode !== 201)
    throw new Error(`create provider key failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** Row counts of the given tables, to compare before and after a refused request. */
export async function countRows(app: TestApp, tables: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await app.sql<{ n: string }>(`select count(*)::text as n from "${table}"`);
    counts[table] = Number(row.n);
  }
  return counts;
}

/** Full snapshot of the tenant tables, to prove a refused request changed nothing at all. */
export async function snapshotTables(app: TestApp): Promise<string> {
  const tables = ['users', 'organizations', 'memberships', 'invitations', 'api_keys', 'provider_keys'];
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await app.sql(`select * from "${table}" order by id`);
    // last_used_at moves whenever an API key is used, which is not a change made by the request under test.
    parts.push(JSON.stringify(rows.map(({ last_used_at: _ignored, ...rest }) => rest)));
  }
  return parts.join('\n');
}
