import Anthropic from '@anthropic-ai/sdk';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../src/common/time/clock.service';
import type { InteractionRecord } from '../../src/modules/recording/interaction-record';
import { ContentStatus, InteractionOutcome } from '../../src/modules/recording/interaction.entity';
import { InteractionWriter } from '../../src/modules/recording/interaction-writer.repository';
import { SessionsService } from '../../src/modules/sessions/sessions.service';
import { createApiKey, eventually, registerUser, storeProviderKey, type TestApp, type TestUser } from './test-app';

/**
 * USD per million tokens, copied from Anthropic's pricing page for the models these tests use, so
 * expected costs are computed here and not by the gateway's own pricing code.
 */
const RATES: Record<string, { input: number; output: number; cacheRead: number; write5m: number; write1h: number }> = {
  'claude-sonnet-4-6': { input: 3, output: 15, cacheRead: 0.3, write5m: 3.75, write1h: 6 },
  'claude-opus-4-6': { input: 5, output: 25, cacheRead: 0.5, write5m: 6.25, write1h: 10 },
  'claude-haiku-4-5-20251001': { input: 1, output: 5, cacheRead: 0.1, write5m: 1.25, write1h: 2 },
};
/** A model no pricing table knows: its calls are unpriced, never $0. */
export const UNPRICED_MODEL = 'claude-model-from-the-future';

export interface Usage {
  input: number;
  output: number;
  cacheRead?: number;
  write5m?: number;
  write1h?: number;
}

/** One call a test made (through the proxy, or written with the recorder's own writer). */
export interface Call {
  session: string;
  model: string;
  usage: Usage;
  /** For written calls: when it started (RFC 3339). */
  at?: string;
  /** Not `ok`: an error the upstream answered (its tokens are then all 0). */
  failed?: boolean;
}

export interface CostNano {
  input: number;
  output: number;
  cacheRead: number;
  write5m: number;
  write1h: number;
  total: number;
  /** What the cache reads saved against the input rate. */
  savings: number;
}

/** Cost in nano-USD per bucket: 1 USD per million tokens is 1,000 nano-USD per token. Null when unpriced. */
export function costOf(call: Pick<Call, 'model' | 'usage'>): CostNano | null {
  const rates = RATES[call.model];
  if (!rates) return null;
  const u = call.usage;
  const nano = (tokens: number | undefined, rate: number) => (tokens ?? 0) * Math.round(rate * 1000);
  const c = {
    input: nano(u.input, rates.input),
    output: nano(u.output, rates.output),
    cacheRead: nano(u.cacheRead, rates.cacheRead),
    write5m: nano(u.write5m, rates.write5m),
    write1h: nano(u.write1h, rates.write1h),
  };
  // What the cache reads saved against the same tokens at the input rate (not part of the total).
  const savings = nano(u.cacheRead, rates.input) - c.cacheRead;
  return { ...c, total: c.input + c.output + c.cacheRead + c.write5m + c.write1h, savings };
}

export interface Sums {
  requests: number;
  errors: number;
  unpriced: number;
  input: number;
  output: number;
  cacheRead: number;
  write5m: number;
  write1h: number;
  cost: Omit<CostNano, never>;
}

/** Sums of the calls, computed here from what the test sent. */
export function sumCalls(calls: Call[]): Sums {
  const s: Sums = {
    requests: 0,
    errors: 0,
    unpriced: 0,
    input: 0,
    output: 0,
    cacheRead: 0,
    write5m: 0,
    write1h: 0,
    cost: { input: 0, output: 0, cacheRead: 0, write5m: 0, write1h: 0, total: 0, savings: 0 },
  };
  for (const call of calls) {
    s.requests += 1;
    if (call.failed) s.errors += 1;
    const usage = call.failed ? { input: 0, output: 0 } : call.usage;
    s.input += usage.input;
    s.output += usage.output;
    s.cacheRead += usage.cacheRead ?? 0;
    s.write5m += usage.write5m ?? 0;
    s.write1h += usage.write1h ?? 0;
    const cost = costOf({ model: call.model, usage });
    if (!cost) {
      s.unpriced += 1;
      continue;
    }
    for (const key of Object.keys(s.cost) as (keyof CostNano)[]) s.cost[key] += cost[key];
  }
  return s;
}

export const totalTokensOf = (s: Sums) => s.input + s.output + s.cacheRead + s.write5m + s.write1h;

/** Nano-USD in USD (the division is exact to the nearest double). */
export const usd = (nano: number) => nano / 1e9;

/** The usage figures the tokens endpoint reports for these sums (UsageFiguresDto). */
export function figures(s: Sums) {
  return {
    requests: s.requests,
    error_requests: s.errors,
    unpriced_requests: s.unpriced,
    input_tokens: s.input,
    output_tokens: s.output,
    cache_read_tokens: s.cacheRead,
    cache_write_5m_tokens: s.write5m,
    cache_write_1h_tokens: s.write1h,
    total_tokens: totalTokensOf(s),
    cost_usd: usd(s.cost.total),
    cost_by_bucket_usd: {
      input: usd(s.cost.input),
      output: usd(s.cost.output),
      cache_read: usd(s.cost.cacheRead),
      cache_write_5m: usd(s.cost.write5m),
      cache_write_1h: usd(s.cost.write1h),
    },
    // These calls carry no server tools and no multiplied usage: their cost is all tokens.
    cost_split_usd: { tokens: usd(s.cost.total), tool_fees: 0, multipliers: 0 },
    cache_savings_usd: usd(s.cost.savings),
  };
}

/** Groups calls by a key and sums each group. */
export function sumBy(calls: Call[], key: (call: Call) => string): Map<string, Sums> {
  const groups = new Map<string, Call[]>();
  for (const call of calls) groups.set(key(call), [...(groups.get(key(call)) ?? []), call]);
  return new Map([...groups].map(([k, group]) => [k, sumCalls(group)]));
}

/** A user with an organization, a platform API key and a stored (mock) Anthropic key. */
export async function setUpGateway(app: TestApp, name = 'Analytics Owner'): Promise<{ owner: TestUser; key: string }> {
  const owner = await registerUser(app, name);
  const key = (await createApiKey(app, owner, { name: 'gateway key' })).key;
  await storeProviderKey(app, owner, `sk-ant-api03-${randomUUID()}-analytics-test-key`);
  return { owner, key };
}

export function sdk(baseURL: string, key: string): Anthropic {
  return new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
}

/**
 * Makes the call through the proxy with the official SDK; the mock upstream answers with exactly
 * the usage given (`MOCK:` in the system prompt, so the user's text stays as written).
 */
export async function proxyCall(
  client: Anthropic,
  call: Call,
  query = 'Summarise the build log',
  options: { stream?: boolean; reply?: string } = {},
): Promise<Anthropic.Message | null> {
  const scenario = call.failed
    ? { status: 400, errorMessage: 'mock: refused' }
    : {
        ...(options.reply ? { text: options.reply } : {}),
        usage: {
          input_tokens: call.usage.input,
          output_tokens: call.usage.output,
          cache_read_input_tokens: call.usage.cacheRead ?? 0,
          ephemeral_5m_input_tokens: call.usage.write5m ?? 0,
          ephemeral_1h_input_tokens: call.usage.write1h ?? 0,
        },
      };
  const body = {
    model: call.model,
    max_tokens: 256,
    system: `MOCK:${JSON.stringify(scenario)}`,
    messages: [{ role: 'user' as const, content: query }],
    metadata: { user_id: call.session },
  };
  try {
    if (options.stream) return await client.messages.stream(body).finalMessage();
    return await client.messages.create(body);
  } catch (error) {
    if (call.failed && error instanceof Anthropic.APIError && error.status === 400) return null;
    throw error;
  }
}

/** Waits until the organization's interactions are written (the recorder writes in batches). */
export function waitForInteractions(app: TestApp, organizationId: string, count: number): Promise<number> {
  return eventually(async () => {
    const [row] = await app.sql<{ n: string }>(
      `select count(*)::text as n from interactions where organization_id = $1`,
      [organizationId],
    );
    return Number(row.n) >= count ? Number(row.n) : undefined;
  }, 10_000);
}

/** The organization's session with this external id (created through the project's own service). */
async function ensureSession(app: TestApp, owner: TestUser, externalId: string): Promise<string> {
  const sessions = app.app.get(SessionsService, { strict: false });
  const device = { id: 'test-device', platform: 'linux', type: 'test', name: 'jest', osVersion: 'unknown' };
  return (await sessions.findOrCreateLive(owner.organizationId, owner.id, externalId, device)).id;
}

/**
 * Writes calls at chosen times with the recorder's own batch writer, so the rollups and session
 * totals are maintained exactly as for proxied calls.
 */
export async function writeCalls(app: TestApp, owner: TestUser, calls: Call[]): Promise<void> {
  const writer = app.app.get(InteractionWriter, { strict: false });
  const records = await callRecords(app, owner, calls);
  const written = await writer.write(records);
  if (written !== records.length) throw new Error(`wrote ${written} of ${records.length} interactions`);
}

/** The interaction records the recorder would write for these calls (their sessions are created). */
export async function callRecords(app: TestApp, owner: TestUser, calls: Call[]): Promise<InteractionRecord[]> {
  const records: InteractionRecord[] = [];
  for (const call of calls) {
    const sessionId = await ensureSession(app, owner, call.session);
    const usage = call.failed ? { input: 0, output: 0 } : call.usage;
    const cost = costOf({ model: call.model, usage });
    const startedAt = new Date(call.at ?? Date.now());
    records.push({
      id: randomUUID(),
      organizationId: owner.organizationId,
      sessionId,
      apiKeyId: null,
      userId: owner.id,
      model: call.model,
      stream: false,
      httpStatus: call.failed ? 400 : 200,
      outcome: call.failed ? InteractionOutcome.Error : InteractionOutcome.Ok,
      stopReason: call.failed ? null : 'end_turn',
      errorType: call.failed ? 'invalid_request_error' : null,
      inputTokens: usage.input,
      outputTokens: usage.output,
      cacheReadTokens: usage.cacheRead ?? 0,
      cacheWrite5mTokens: usage.write5m ?? 0,
      cacheWrite1hTokens: usage.write1h ?? 0,
      cost: cost && {
        inputNanoUsd: cost.input,
        outputNanoUsd: cost.output,
        cacheReadNanoUsd: cost.cacheRead,
        cacheWrite5mNanoUsd: cost.write5m,
        cacheWrite1hNanoUsd: cost.write1h,
        totalNanoUsd: cost.total,
        cacheSavingsNanoUsd: cost.savings,
      },
      pricingVersion: 'test',
      latencyMs: 250,
      timeToFirstTokenMs: null,
      upstreamRequestId: null,
      agentId: null,
      parentAgentId: null,
      userQuery: 'question',
      finalOutput: 'answer',
      content: null,
      contentTruncated: false,
      contentStatus: ContentStatus.Complete,
      startedAt: startedAt.toISOString(),
      endedAt: new Date(startedAt.getTime() + 250).toISOString(),
    });
  }
  return records;
}

/** Fixes the clock analytics and sharing read "now" from; returns a function that restores it. */
export function setNow(app: TestApp, instant: string | Date): () => void {
  const clock = app.app.get(Clock, { strict: false });
  const spy = jest.spyOn(clock, 'now').mockImplementation(() => new Date(instant));
  return () => spy.mockRestore();
}

/** GET with the user's token (and optional organization header), returning status and parsed body. */
export async function getJson(
  app: TestApp,
  user: TestUser | { auth: Record<string, string> },
  url: string,
  headers: Record<string, string> = {},
) {
  const response = await app.request({ method: 'GET', url, headers: { ...user.auth, ...headers } });
  return {
    response,
    status: response.statusCode,
    body: response.headers['content-type']?.includes('json') ? response.json() : undefined,
  };
}

/**
 * A plain call of `user`'s organization (a member, or null for none) in `sessionId`, as the
 * recorder receives it, unpriced; `overrides` replace any field.
 */
export const callRecord = (
  user: { organizationId: string; id: string | null },
  sessionId: string,
  upstreamRequestId: string,
  overrides: Partial<InteractionRecord> = {},
): InteractionRecord => ({
  id: randomUUID(),
  organizationId: user.organizationId,
  sessionId,
  apiKeyId: null,
  userId: user.id,
  model: 'claude-sonnet-4-6',
  stream: false,
  httpStatus: 200,
  outcome: InteractionOutcome.Ok,
  stopReason: 'end_turn',
  errorType: null,
  inputTokens: 1,
  outputTokens: 1,
  cacheReadTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  cost: null,
  pricingVersion: 'test',
  latencyMs: 1,
  timeToFirstTokenMs: 1,
  upstreamRequestId,
  agentId: null,
  parentAgentId: null,
  userQuery: 'q',
  finalOutput: 'a',
  content: null,
  contentTruncated: false,
  contentStatus: ContentStatus.Complete,
  startedAt: new Date().toISOString(),
  endedAt: new Date().toISOString(),
  ...overrides,
});
