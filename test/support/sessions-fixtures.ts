import Anthropic from '@anthropic-ai/sdk';
import type { Response as InjectResponse } from 'light-my-request';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { RecorderService } from '../../src/modules/recording/recorder.service';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
  type LooseRecord,
} from './test-app';
import { addMember, orgHeader } from './tenancy-fixtures';

export const SESSIONS = '/api/v1/sessions';
export const TASKS = '/api/v1/tasks';
export const PROVIDER_KEY = 'sk-ant-api03-lamplight-sessions-test-key-0123456789';

/** What the SDK is told about the machine, so a session's device is known exactly. */
const SDK_DEVICE_HEADERS = {
  'x-stainless-os': 'Linux',
  'x-stainless-os-version': '6.8.0',
  'x-stainless-lang': 'js',
  'x-stainless-runtime': 'node',
  'x-stainless-runtime-version': 'v24.21.0',
};
export const SDK_DEVICE = {
  id: 'unknown',
  platform: 'Linux',
  type: 'sdk-js',
  name: 'node v24.21.0',
  osVersion: '6.8.0',
};

/** The app listening on a port (for the SDK) in front of a mock Anthropic upstream. */
export interface Gateway {
  mock: MockAnthropic;
  app: TestApp;
  baseURL: string;
  close(): Promise<void>;
}

export async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const mock = await startMockAnthropic();
  const app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url, LOGIN_RATE_LIMIT_PER_IP: '10000', ...env });
  const baseURL = await listen(app);
  return {
    mock,
    app,
    baseURL,
    close: async () => {
      await app.close();
      await mock.close();
    },
  };
}

/** An organization with an owner (and their platform key and stored provider key), an admin and a member. */
export interface Team {
  organizationId: string;
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
  /** The owner's platform key (every scope). */
  key: string;
  /** Headers that make the admin and the member act in this organization (it is not their default). */
  orgHeaders: Record<string, string>;
}

export async function createTeam(gateway: Gateway, name: string): Promise<Team> {
  const { app } = gateway;
  const owner = await registerUser(app, `${name} Owner`);
  const admin = await registerUser(app, `${name} Admin`);
  const member = await registerUser(app, `${name} Member`);
  await addMember(app, owner, owner.organizationId, admin, 'admin');
  await addMember(app, owner, owner.organizationId, member, 'member');
  const key = (await createApiKey(app, owner, { name: `${name} key` })).key;
  await storeProviderKey(app, owner, PROVIDER_KEY);
  return {
    organizationId: owner.organizationId,
    owner,
    admin,
    member,
    key,
    orgHeaders: orgHeader(owner.organizationId),
  };
}

/** The official SDK pointed at the gateway, with a platform key or a user's JWT (acting in `organizationId`). */
export function sdk(
  gateway: Gateway,
  credential: { key: string } | { user: TestUser; organizationId: string },
  headers: Record<string, string> = {},
): Anthropic {
  const auth = 'key' in credential ? { apiKey: credential.key } : { apiKey: null, authToken: credential.user.token };
  return new Anthropic({
    baseURL: `${gateway.baseURL}/spotlight/anthropic`,
    maxRetries: 0,
    ...auth,
    defaultHeaders: {
      ...SDK_DEVICE_HEADERS,
      ...('user' in credential ? orgHeader(credential.organizationId) : {}),
      ...headers,
    },
  });
}

/** One Messages call in the session named `externalId`; `text` may carry a `MOCK:{...}` scenario. */
export function ask(
  client: Anthropic,
  externalId: string,
  text: string,
  options: { model?: string; system?: string; headers?: Record<string, string> } = {},
): Promise<Anthropic.Message> {
  return client.messages.create(
    {
      model: options.model ?? 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: text }],
      ...(options.system ? { system: options.system } : {}),
    },
    { headers: { 'x-lamplight-session-id': externalId, ...options.headers } },
  );
}

/** Writes whatever the recorder has queued now (the proxy records after the response). */
export function flushRecorder(gateway: Gateway): Promise<void> {
  return gateway.app.app.get(RecorderService).flush();
}

export interface SessionRow {
  id: string;
  organization_id: string;
  user_id: string;
  external_id: string;
  title: string | null;
  device: Record<string, string>;
  token_budget: string | null;
  created_at: Date;
  last_activity_at: Date;
  released_at: Date | null;
  deleted_at: Date | null;
  deleted_by_id: string | null;
  request_count: string;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write5m_tokens: string;
  cache_write1h_tokens: string;
  cost_nano_usd: string;
  unpriced_requests: string;
  error_requests: string;
  models: string[];
}

/** Every session of the organization with this external id, newest first, deleted ones included. */
export function sessionRows(gateway: Gateway, organizationId: string, externalId: string): Promise<SessionRow[]> {
  return gateway.app.sql<SessionRow>(
    `select * from sessions where organization_id = $1 and external_id = $2 order by created_at desc, id desc`,
    [organizationId, externalId],
  );
}

export async function sessionRow(gateway: Gateway, id: string): Promise<SessionRow> {
  const [row] = await gateway.app.sql<SessionRow>(`select * from sessions where id = $1`, [id]);
  if (!row) throw new Error(`no session ${id}`);
  return row;
}

/** The interactions of a session, oldest first (the API's order), once at least `count` are written. */
export function interactionRows(gateway: Gateway, sessionId: string, count = 1): Promise<LooseRecord[]> {
  return eventually(async () => {
    await flushRecorder(gateway);
    const rows = await gateway.app.sql<LooseRecord>(
      `select * from interactions where session_id = $1 order by started_at, id`,
      [sessionId],
    );
    return rows.length >= count ? rows : undefined;
  });
}

/** Makes `count` calls in a session through the proxy and waits until they are recorded; returns the session row. */
export async function sessionWithCalls(
  gateway: Gateway,
  client: Anthropic,
  organizationId: string,
  externalId: string,
  texts: string[],
): Promise<SessionRow> {
  for (const text of texts) await ask(client, externalId, text);
  const [session] = await sessionRows(gateway, organizationId, externalId);
  if (!session) throw new Error(`no session ${externalId}`);
  await interactionRows(gateway, session.id, texts.length);
  return sessionRow(gateway, session.id);
}

/**
 * Inserts sessions straight into the table (fast, and with a chosen creation time): `count` of them,
 * external ids `${prefix}-0001`…, all created at `createdAt` (to the microsecond). Returns their ids.
 */
export async function insertSessions(
  gateway: Gateway,
  options: { organizationId: string; userId: string; count: number; createdAt: string; prefix: string; title?: string },
): Promise<string[]> {
  const rows = await gateway.app.sql<{ id: string }>(
    `insert into sessions (id, created_at, organization_id, user_id, external_id, title, device, last_activity_at)
     select gen_random_uuid(), $1::timestamptz, $2, $3, $4 || '-' || lpad(n::text, 4, '0'), $6, '{}'::jsonb, $1::timestamptz
     from generate_series(1, $5::int) as n
     returning id`,
    [options.createdAt, options.organizationId, options.userId, options.prefix, options.count, options.title ?? null],
  );
  return rows.map((row) => row.id);
}

/** Inserts one interaction into a session (for shapes the mock cannot make); returns its id. */
export async function insertInteraction(
  gateway: Gateway,
  session: { id: string; organization_id: string },
  fields: {
    startedAt: string;
    userQuery?: string | null;
    finalOutput?: string | null;
    content?: unknown;
    outcome?: string;
  },
): Promise<string> {
  const [row] = await gateway.app.sql<{ id: string }>(
    `insert into interactions (id, organization_id, session_id, model, stream, http_status, outcome, input_tokens,
       output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, pricing_version, latency_ms,
       user_query, final_output, content, content_truncated, started_at, ended_at)
     values (gen_random_uuid(), $1, $2, 'claude-sonnet-4-6', false, 200, $3::interaction_outcome, 10, 5, 0, 0, 0,
       'test', 42, $4, $5, $6::jsonb, false, $7::timestamptz, $7::timestamptz + interval '42 milliseconds')
     returning id`,
    [
      session.organization_id,
      session.id,
      fields.outcome ?? 'ok',
      fields.userQuery ?? null,
      fields.finalOutput ?? null,
      fields.content === undefined ? null : JSON.stringify(fields.content),
      fields.startedAt,
    ],
  );
  return row.id;
}

/** GET with a user's JWT acting in `organizationId`. */
export function getAs(gateway: Gateway, user: TestUser, organizationId: string, url: string): Promise<InjectResponse> {
  return gateway.app.request({ method: 'GET', url, headers: { ...user.auth, ...orgHeader(organizationId) } });
}

/** A minimal RFC 4180 parser, to read the CSV export back exactly. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}
