/**
 * Two organizations, A and B, seeded alike for the security suites (security-*.e2e-spec.ts): the
 * same external ids, titles and calls, so any leak between them shows up as one of B's ids in A's
 * answers. Each suite sets up its own pair and checks, last, that no credential it used was logged.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { connect } from 'node:net';
import type { TestApp } from './test-app';
import {
  createTeam,
  type Gateway,
  PROVIDER_KEY,
  sdk,
  SESSIONS,
  sessionWithCalls,
  startGateway,
  type Team,
} from './sessions-fixtures';

export const ANALYTICS = '/spotlight/analytics';
export const MESSAGES = '/spotlight/anthropic/v1/messages';
export const SHARED_EXTERNAL_ID = 'same-external-id';
const SHARED_TITLE = 'Exactly the same title';

export interface TwoOrganizations {
  gateway: Gateway;
  app: TestApp;
  a: Team;
  b: Team;
  clientA: Anthropic;
  clientB: Anthropic;
  /** A's and B's sessions with the same external id (and title). */
  sessionA: string;
  sessionB: string;
  shareTokenB: string;
  idsB: string[];
  /** Every credential the suite uses, checked against the log at its end. */
  secrets: Set<string>;
}

export const member = (team: Team) => ({ ...team.member.auth, ...team.orgHeaders });
export const owner = (team: Team) => ({ ...team.owner.auth, ...team.orgHeaders });

export async function setUpTwoOrganizations(): Promise<TwoOrganizations> {
  const gateway = await startGateway({ LOGIN_RATE_LIMIT_PER_IP: '10000', LOGIN_RATE_LIMIT_PER_ACCOUNT: '10000' });
  const app = gateway.app;
  const a = await createTeam(gateway, 'Alpha');
  const b = await createTeam(gateway, 'Beta');
  const clientA = sdk(gateway, { key: a.key });
  const clientB = sdk(gateway, { key: b.key });
  const rowA = await sessionWithCalls(gateway, clientA, a.organizationId, SHARED_EXTERNAL_ID, ['first', 'second']);
  const rowB = await sessionWithCalls(gateway, clientB, b.organizationId, SHARED_EXTERNAL_ID, ['first', 'second']);
  const sessionA = rowA.id;
  const sessionB = rowB.id;
  // Identical times too: B's session and calls get A's timestamps.
  await app.sql(
    `update sessions s set created_at = a.created_at, last_activity_at = a.last_activity_at from sessions a where a.id = $1 and s.id = $2`,
    [sessionA, sessionB],
  );
  for (const team of [a, b]) {
    const patched = await app.request({
      method: 'PATCH',
      url: `${SESSIONS}/${SHARED_EXTERNAL_ID}`,
      headers: owner(team),
      payload: { title: SHARED_TITLE },
    });
    expect(patched.statusCode).toBe(200);
  }
  const share = await app.request({
    method: 'POST',
    url: `${ANALYTICS}/sessions/${sessionB}/share`,
    headers: owner(b),
    payload: { include_content: true },
  });
  expect(share.statusCode).toBe(201);
  const shareTokenB = share.json<{ share_token: string }>().share_token;
  const idsB = await idsOf(app, b.organizationId);
  const secrets = new Set<string>();
  for (const team of [a, b])
    for (const secret of [team.key, team.owner.token, team.admin.token, team.member.token]) secrets.add(secret);
  secrets.add(PROVIDER_KEY);
  return { gateway, app, a, b, clientA, clientB, sessionA, sessionB, shareTokenB, idsB, secrets };
}

/** No credential in any log line the app wrote: neither one of `secrets` nor anything shaped like one. */
export function expectNoCredentialLogged(app: TestApp, secrets: Set<string>): void {
  const lines = app.logs;
  for (const secret of secrets) {
    const hits = lines.filter((line) => line.includes(secret) || line.includes(secret.slice(0, 24)));
    expect({ secret: `${secret.slice(0, 8)}…`, hits }).toEqual({ secret: `${secret.slice(0, 8)}…`, hits: [] });
  }
  expect(
    lines.filter((line) => /bearer\s+\S{12,}/i.test(line) || /"authorization":"(?!\[redacted\])/i.test(line)),
  ).toEqual([]);
  expect(lines.filter((line) => /sk-ant-api\d\d-[A-Za-z0-9_-]{8,}/.test(line))).toEqual([]);
  expect(lines.filter((line) => /lmp_[A-Za-z0-9_-]{16,}/.test(line))).toEqual([]);
  expect(lines.filter((line) => /eyJ[A-Za-z0-9_-]{10,}\.eyJ/.test(line))).toEqual([]);
}

/** Everything of one organization, to prove a refused request changed nothing. */
export async function orgSnapshot(app: TestApp, organizationId: string): Promise<string> {
  const parts: unknown[] = [];
  for (const [table, order] of [
    ['sessions', 'id'],
    ['interactions', 'id'],
    ['share_links', 'id'],
    ['usage_hourly', 'hour, model'],
    ['usage_daily', 'day, model'],
    ['api_keys', 'id'],
    ['provider_keys', 'id'],
    ['memberships', 'id'],
  ] as const) {
    const rows = await app.sql(`select * from "${table}" where organization_id = $1 order by ${order}`, [
      organizationId,
    ]);
    parts.push(rows.map(({ last_used_at: _moves, ...rest }: Record<string, unknown>) => rest));
  }
  parts.push(await app.sql('select * from organizations where id = $1', [organizationId]));
  return JSON.stringify(parts);
}

/** Every id of an organization a response could leak: the org, its users, sessions, calls, keys, links. */
export async function idsOf(app: TestApp, organizationId: string): Promise<string[]> {
  const rows = await app.sql<{ id: string }>(
    `select $1::uuid::text as id
     union select user_id::text from memberships where organization_id = $1
     union select id::text from sessions where organization_id = $1
     union select id::text from interactions where organization_id = $1
     union select id::text from api_keys where organization_id = $1
     union select id::text from provider_keys where organization_id = $1
     union select id::text from share_links where organization_id = $1`,
    [organizationId],
  );
  return rows.map((r) => r.id);
}

export function expectNoneOf(body: string, ids: string[]): void {
  const leaked = ids.filter((id) => body.toLowerCase().includes(id.toLowerCase()));
  expect(leaked).toEqual([]);
}

/** A raw HTTP/1.1 exchange, for request targets and Host values no client library would send. */
export function rawRequest(baseURL: string, head: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`${head}\r\nconnection: close\r\n\r\n`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
  });
}
