/**
 * A mock of Anthropic's Messages API that speaks the real wire format (JSON and SSE), built on plain
 * `node:http` so it adds as little as possible to the measurements it is used in.
 *
 * Used by the gateway's tests, by the demo and by the benchmarks. Behaviour is steered per request
 * by a *scenario* (see {@link MockScenario}), taken from the `x-mock-scenario` request header (JSON)
 * or, because a gateway in between forwards the body untouched but not arbitrary headers, from the
 * first text in the system prompt, else in the latest user message, that contains `MOCK:{...}`.
 * A scenario with `then` scripts a whole agent loop (tool_use, then the answer after the tool
 * result): see {@link MockScenario.then}.
 *
 * Every response carries a `request-id` header (`req_…`); that id keys {@link MockAnthropic.sentBytes},
 * {@link MockAnthropic.aborted}, {@link MockAnthropic.completed} and {@link RecordedRequest.id}.
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isStorePath, MockStore } from './mock-store';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface MockUsageOverride {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  /** Defaults to ephemeral_5m + ephemeral_1h; set it (or `null`) to send something else. */
  cache_creation_input_tokens?: number | null;
  /** Anthropic's shape; `null` sends `"cache_creation":null`. */
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null;
  /** Shorthands for `cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`. */
  ephemeral_5m_input_tokens?: number;
  ephemeral_1h_input_tokens?: number;
}

export interface MockToolUse {
  name: string;
  input: unknown;
  /** Defaults to a fresh `toolu_01…` id. */
  id?: string;
}

/** Per-request behaviour. Every field is optional; unknown fields are refused with a 400. */
export interface MockScenario {
  /** Override usage numbers (see {@link MockUsageOverride}). */
  usage?: MockUsageOverride;
  /** The reply text. Default: a deterministic sentence, lengthened to at least `deltas` words. */
  text?: string;
  /** How many `text_delta` events the text is split into (default 4; fewer if the text is shorter). */
  deltas?: number;
  /** Pause before sending the response headers (any route, errors included). */
  delayMs?: number;
  /** Pause between SSE frames. */
  deltaDelayMs?: number;
  /** Add a `tool_use` block (after the text block; `text: ""` leaves the text block out). */
  toolUse?: MockToolUse;
  /** How many non-empty `input_json_delta` chunks the tool input is split into (default 3). */
  toolDeltas?: number;
  /** Answer with this error status instead (see `failTimes`). */
  status?: number;
  /** Anthropic error type; defaults from the status (429 → rate_limit_error, 529 → overloaded_error …). */
  errorType?: string;
  /** Error message; defaults per type. */
  errorMessage?: string;
  /** `retry-after` header value (seconds). Default `1` on 429, absent otherwise; `null` omits it. */
  retryAfter?: number | string | null;
  /** Send `x-should-retry: true|false` on the error. */
  shouldRetry?: boolean;
  /** Answer with `status` (default 529) only for the first N requests carrying `key`, then succeed. */
  failTimes?: number;
  /** Counter key for `failTimes` (default `"default"`). */
  key?: string;
  /** Stream: send N frames, then stop sending without closing. JSON: send headers only. */
  stallAfterFrames?: number;
  /** Never answer (no headers). */
  stallBeforeHeaders?: boolean;
  /** Stream: destroy the socket after N frames. JSON: destroy it right after the headers. */
  resetAfterFrames?: number;
  /** Stream: send an SSE `error` event after N frames, then end the response. */
  errorEventAfterFrames?: number;
  /** `stop_reason` (default `end_turn`, or `tool_use` with `toolUse`). */
  stopReason?: string;
  /**
   * Answer as Anthropic does for a subscription credential: with its `anthropic-ratelimit-unified-*`
   * headers (the credential's own quota, 40 % used, warning past 0.25), besides the others.
   */
  unifiedUsage?: boolean;
  /**
   * `message_delta.usage` contents: `"output"` (default) sends `{output_tokens}`; `"cumulative"` also
   * sends the cumulative input_tokens / cache_creation_input_tokens / cache_read_input_tokens.
   */
  deltaUsage?: 'output' | 'cumulative';
  /**
   * Scripts the replies that follow this one in the same conversation, as clients that run tools
   * (Claude Code) send the whole conversation again after each tool result. The scenario itself
   * answers the request whose latest assistant turn is older than the marked user message; the
   * k-th assistant message after that message selects `then[k-1]`, and past the end of `then` the
   * reply is the default one (`{}`). With the header, turns count from the start of the
   * conversation. Without `then`, the scenario answers every request that carries it.
   */
  then?: MockScenario[];
  /**
   * Usage fields beyond the token buckets, laid verbatim over the usage object: `server_tool_use`,
   * `service_tier`, `inference_geo`, `speed`, `output_tokens_details`, `iterations`. In a stream,
   * `service_tier`, `inference_geo` and `speed` come in `message_start` (which also says
   * `server_tool_use` with zero counts); `server_tool_use`, `output_tokens_details` and `iterations`
   * come only in `message_delta`, as Anthropic's final usage does.
   */
  usageExtra?: MockUsageExtra;
}

export interface MockUsageExtra {
  server_tool_use?: { web_search_requests?: number; web_fetch_requests?: number };
  service_tier?: string;
  inference_geo?: string;
  speed?: string;
  output_tokens_details?: { thinking_tokens?: number };
  iterations?: Record<string, unknown>[];
}

export interface RecordedRequest {
  /** The `request-id` the mock answered this request with. */
  id: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path and query string as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The request body as text (UTF-8). */
  body: string;
  /** The parsed JSON body, or `undefined` when there is none or it is not JSON. */
  json: unknown;
  /** The credential seen: `x-api-key`, else the `Authorization: Bearer` token. */
  apiKey: string | null;
  /** The scenario in effect (null when none, or when it could not be parsed). */
  scenario: MockScenario | null;
  /** `"stream": true` in the body. */
  stream: boolean;
  receivedAt: number;
  /** The status the mock answered with; null until the response headers are sent (or when none were). */
  readonly status: number | null;
}

/** One day of the Admin API's cost report (`GET /v1/organizations/cost_report`), as the mock serves it. */
export interface MockCostBucket {
  starting_at: string;
  ending_at: string;
  results: MockCostResult[];
}

/** A cost item: `amount` in cents as a decimal string ("123.45" is $1.2345), as Anthropic sends it. */
export interface MockCostResult {
  amount: string;
  currency?: string;
  cost_type?: 'tokens' | 'web_search' | 'code_execution' | null;
  model?: string | null;
  token_type?: string | null;
  service_tier?: string | null;
  context_window?: string | null;
  description?: string | null;
  workspace_id?: string | null;
}

/** The admin key the mock's Admin API routes accept (any `sk-ant-admin…` key but the `-invalid` one). */
const MOCK_ADMIN_KEY_PREFIX = 'sk-ant-admin';

export interface MockAnthropic {
  /**
   * The cost report the Admin API route serves, one bucket per UTC day (tests set it). Buckets are
   * filtered by `starting_at` / `ending_at` and paged by `limit` (default 7, at most 31).
   */
  costReport: MockCostBucket[];
  /** `http://host:port`, no trailing slash; use as the SDK's `baseURL`. */
  url: string;
  port: number;
  /** Every request received, in arrival order (empty when started with `record: false`). */
  requests: RecordedRequest[];
  /** Every byte of each response body sent, by request id (empty with `record: false`). */
  sentBytes: Map<string, Buffer>;
  /** Request ids whose client went away before the response ended. */
  aborted: string[];
  /** Request ids whose response was ended normally (JSON sent, or SSE ended). */
  completed: string[];
  /** Requests seen so far per scenario `key` (the `failTimes` counters). */
  keyCounts: Map<string, number>;
  /** Responses currently open. */
  readonly inFlight: number;
  /** Highest `inFlight` since start / the last `reset()`. */
  readonly maxInFlight: number;
  /** Counters kept even with `record: false` (zeroed by `reset()`); `framesSent` counts SSE frames. */
  readonly stats: { requests: number; completed: number; aborted: number; framesSent: number };
  /** Stop listening, destroy every open socket, cancel every timer. */
  close(): Promise<void>;
  /** Forget recorded requests, bytes, counters. */
  reset(): void;
}

export interface MockAnthropicOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Record requests and sent bytes (default true; turn off for long benchmark runs). */
  record?: boolean;
  /** Largest accepted request body; more → 413 request_too_large. Default 32 MiB, as Anthropic. */
  maxBodyBytes?: number;
}

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

const MOCK_SCENARIO_HEADER = 'x-mock-scenario';
const MOCK_MARKER = 'MOCK:';
const MOCK_ORGANIZATION_ID = '5f0c2b8e-1d3a-4c6e-9b7f-2a4d6e8f0a1c';
export const DEFAULT_REPLY_TEXT = 'Hello from the mock Anthropic upstream. This reply is deterministic.';
const DEFAULT_DELTAS = 4;
const DEFAULT_TOOL_DELTAS = 3;
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const FILLER_WORDS = [
  'The',
  'lamp',
  'keeps',
  'burning',
  'while',
  'tokens',
  'stream',
  'steadily',
  'through',
  'the',
  'gateway.',
];

export const MOCK_MODELS: ReadonlyArray<{ id: string; display_name: string; created_at: string }> = [
  { id: 'claude-opus-4-6', display_name: 'Claude Opus 4.6', created_at: '2026-02-05T00:00:00Z' },
  { id: 'claude-sonnet-4-6', display_name: 'Claude Sonnet 4.6', created_at: '2026-02-17T00:00:00Z' },
  { id: 'claude-opus-4-5-20251101', display_name: 'Claude Opus 4.5', created_at: '2025-11-24T00:00:00Z' },
  { id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5', created_at: '2025-10-15T00:00:00Z' },
  { id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
];

const DEFAULT_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const DEFAULT_ERROR_MESSAGES: Record<string, string> = {
  invalid_request_error: 'There was an issue with the format or content of your request.',
  authentication_error: 'invalid x-api-key',
  billing_error: 'Your credit balance is too low to access the Anthropic API.',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'Not found',
  conflict_error: 'Conflict',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit.',
  api_error: 'Internal server error',
  timeout_error: 'Request timeout',
  overloaded_error: 'Overloaded',
};

const SCENARIO_FIELDS = new Set<string>([
  'usage',
  'text',
  'deltas',
  'delayMs',
  'deltaDelayMs',
  'toolUse',
  'toolDeltas',
  'status',
  'errorType',
  'errorMessage',
  'retryAfter',
  'shouldRetry',
  'failTimes',
  'key',
  'stallAfterFrames',
  'stallBeforeHeaders',
  'resetAfterFrames',
  'errorEventAfterFrames',
  'stopReason',
  'unifiedUsage',
  'deltaUsage',
  'then',
  'usageExtra',
]);
/** `usageExtra` fields: where each goes in a stream. */
const USAGE_EXTRA_START = ['service_tier', 'inference_geo', 'speed'];
const USAGE_EXTRA_DELTA = ['server_tool_use', 'output_tokens_details', 'iterations'];
const USAGE_FIELDS = new Set<string>([
  'input_tokens',
  'output_tokens',
  'cache_read_input_tokens',
  'cache_creation_input_tokens',
  'cache_creation',
  'ephemeral_5m_input_tokens',
  'ephemeral_1h_input_tokens',
]);

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (let i = 0; i < length; i++) out += BASE62[bytes[i] % 62];
  return out;
}

const newRequestId = (): string => randomId('req_011', 21);
const newMessageId = (): string => randomId('msg_01', 22);
const newToolUseId = (): string => randomId('toolu_01', 22);

class ScenarioError extends Error {}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Reads the JSON object that starts at `text[start]` (which must be `{`), respecting strings. */
function readJsonObject(text: string, start: number): string {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else if (ch === '{') {
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  throw new ScenarioError(`mock scenario: unterminated JSON object after ${MOCK_MARKER}`);
}

function parseScenarioJson(source: string, where: string): MockScenario {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    throw new ScenarioError(`mock scenario: ${where} is not valid JSON`);
  }
  return validateScenario(value, where);
}

function validateScenario(value: unknown, where: string): MockScenario {
  if (!isPlainObject(value)) throw new ScenarioError(`mock scenario: ${where} must be a JSON object`);
  for (const key of Object.keys(value)) {
    if (!SCENARIO_FIELDS.has(key)) throw new ScenarioError(`mock scenario: unknown field "${key}" in ${where}`);
  }
  const fail = (field: string, expected: string): never => {
    throw new ScenarioError(`mock scenario: "${field}" must be ${expected}`);
  };
  const ints = [
    'deltas',
    'delayMs',
    'deltaDelayMs',
    'toolDeltas',
    'failTimes',
    'stallAfterFrames',
    'resetAfterFrames',
    'errorEventAfterFrames',
  ] as const;
  for (const field of ints) {
    if (value[field] !== undefined && !isNonNegativeInt(value[field])) fail(field, 'a non-negative integer');
  }
  if (value.deltas === 0) fail('deltas', 'at least 1');
  if (value.toolDeltas === 0) fail('toolDeltas', 'at least 1');
  if (value.text !== undefined && typeof value.text !== 'string') fail('text', 'a string');
  if (value.errorType !== undefined && typeof value.errorType !== 'string') fail('errorType', 'a string');
  if (value.errorMessage !== undefined && typeof value.errorMessage !== 'string') fail('errorMessage', 'a string');
  if (value.key !== undefined && typeof value.key !== 'string') fail('key', 'a string');
  if (value.stopReason !== undefined && typeof value.stopReason !== 'string') fail('stopReason', 'a string');
  if (value.unifiedUsage !== undefined && typeof value.unifiedUsage !== 'boolean') fail('unifiedUsage', 'a boolean');
  if (value.stallBeforeHeaders !== undefined && typeof value.stallBeforeHeaders !== 'boolean') {
    fail('stallBeforeHeaders', 'a boolean');
  }
  if (value.shouldRetry !== undefined && typeof value.shouldRetry !== 'boolean') fail('shouldRetry', 'a boolean');
  if (value.deltaUsage !== undefined && value.deltaUsage !== 'output' && value.deltaUsage !== 'cumulative') {
    fail('deltaUsage', '"output" or "cumulative"');
  }
  if (value.status !== undefined) {
    const status = value.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
      fail('status', 'an integer from 400 to 599');
    }
  }
  if (value.retryAfter !== undefined && value.retryAfter !== null) {
    const ra = value.retryAfter;
    if (!((typeof ra === 'number' && ra >= 0) || (typeof ra === 'string' && ra.length > 0 && !/[\r\n]/.test(ra)))) {
      fail('retryAfter', 'a non-negative number, a string or null');
    }
  }
  if (value.toolUse !== undefined) {
    const tool = value.toolUse;
    if (!isPlainObject(tool) || typeof tool.name !== 'string' || tool.name === '' || !('input' in tool)) {
      fail('toolUse', 'an object {name, input, id?}');
    } else {
      for (const key of Object.keys(tool)) {
        if (key !== 'name' && key !== 'input' && key !== 'id') fail('toolUse', 'an object {name, input, id?}');
      }
      if (tool.id !== undefined && typeof tool.id !== 'string') fail('toolUse.id', 'a string');
    }
  }
  if (value.then !== undefined) {
    if (!Array.isArray(value.then)) fail('then', 'an array of scenarios');
    else value.then.forEach((step, i) => validateScenario(step, `${where}, then[${i}]`));
  }
  if (value.usageExtra !== undefined) {
    const extra = value.usageExtra;
    if (!isPlainObject(extra)) fail('usageExtra', 'an object');
    else {
      for (const key of Object.keys(extra)) {
        const v = extra[key];
        if (USAGE_EXTRA_START.includes(key)) {
          if (typeof v !== 'string') fail(`usageExtra.${key}`, 'a string');
        } else if (key === 'iterations') {
          if (!Array.isArray(v) || !v.every(isPlainObject)) fail('usageExtra.iterations', 'an array of objects');
        } else if (key === 'server_tool_use' || key === 'output_tokens_details') {
          if (!isPlainObject(v) || !Object.values(v).every(isNonNegativeInt))
            fail(`usageExtra.${key}`, 'an object of non-negative integers');
        } else {
          fail(`usageExtra.${key}`, 'a known usage field');
        }
      }
    }
  }
  if (value.usage !== undefined) {
    const usage = value.usage;
    if (!isPlainObject(usage)) fail('usage', 'an object');
    else {
      for (const key of Object.keys(usage)) {
        if (!USAGE_FIELDS.has(key)) fail(`usage.${key}`, 'a known usage field');
        const v = usage[key];
        if (key === 'cache_creation') {
          if (v === null) continue;
          if (!isPlainObject(v)) fail('usage.cache_creation', 'an object or null');
          else {
            for (const inner of Object.keys(v)) {
              if (inner !== 'ephemeral_5m_input_tokens' && inner !== 'ephemeral_1h_input_tokens') {
                fail(`usage.cache_creation.${inner}`, 'a known field');
              }
              if (!isNonNegativeInt(v[inner])) fail(`usage.cache_creation.${inner}`, 'a non-negative integer');
            }
          }
        } else if (v === null && (key === 'cache_read_input_tokens' || key === 'cache_creation_input_tokens')) {
          continue;
        } else if (!isNonNegativeInt(v)) {
          fail(`usage.${key}`, 'a non-negative integer');
        }
      }
    }
  }
  return value;
}

/** The text blocks of one message's content (a string, or the `text` blocks of a list; tool results are not searched). */
function contentTexts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  const texts: string[] = [];
  if (Array.isArray(content)) {
    for (const block of content) {
      if (isPlainObject(block) && block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    }
  }
  return texts;
}

function markedScenario(text: string): MockScenario | null {
  const at = text.indexOf(MOCK_MARKER);
  if (at < 0) return null;
  let start = at + MOCK_MARKER.length;
  while (start < text.length && /\s/.test(text[start])) start++;
  if (text[start] !== '{') throw new ScenarioError(`mock scenario: expected a JSON object after ${MOCK_MARKER}`);
  return parseScenarioJson(readJsonObject(text, start), `the ${MOCK_MARKER} marker`);
}

/** How many assistant messages follow `messages[from]`. */
function assistantTurnsAfter(messages: unknown[], from: number): number {
  let turns = 0;
  for (let i = from + 1; i < messages.length; i++) {
    const message = messages[i];
    if (isPlainObject(message) && message.role === 'assistant') turns++;
  }
  return turns;
}

/** The step of a scripted scenario (`then`) that answers after `turns` assistant messages. */
function scenarioStep(scenario: MockScenario, turns: number): MockScenario {
  if (scenario.then === undefined || turns === 0) return scenario;
  return scenario.then[turns - 1] ?? {};
}

/**
 * The marker scenario of a body: the first marker in the system prompt, else in the latest user
 * message that holds one (so a conversation continued with a new marked prompt follows the new one).
 */
function scenarioFromBody(body: unknown): MockScenario | null {
  if (!isPlainObject(body)) return null;
  const messages: unknown[] = Array.isArray(body.messages) ? body.messages : [];
  for (const text of contentTexts(body.system)) {
    const scenario = markedScenario(text);
    if (scenario) return scenarioStep(scenario, assistantTurnsAfter(messages, -1));
  }
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (!isPlainObject(message) || message.role !== 'user') continue;
    for (const text of contentTexts(message.content)) {
      const scenario = markedScenario(text);
      if (scenario) return scenarioStep(scenario, assistantTurnsAfter(messages, i));
    }
  }
  return null;
}

/** Deterministic stand-in for a tokenizer: about four characters per token. */
export function estimateInputTokens(body: unknown): number {
  if (!isPlainObject(body)) return 1;
  let size: number;
  try {
    size = JSON.stringify([body.system ?? null, body.messages ?? null, body.tools ?? null]).length;
  } catch {
    // Nested deeper than JSON.stringify can go: a body the real API may take all the same.
    size = 4_000;
  }
  return Math.max(1, Math.ceil(size / 4));
}

function countWords(text: string): number {
  const words = text.trim().split(/\s+/);
  return words[0] === '' ? 0 : words.length;
}

function replyText(scenario: MockScenario): string {
  if (scenario.text !== undefined) return scenario.text;
  const wanted = scenario.deltas ?? DEFAULT_DELTAS;
  const words = DEFAULT_REPLY_TEXT.split(' ');
  for (let i = 0; words.length < wanted; i++) words.push(FILLER_WORDS[i % FILLER_WORDS.length]);
  return words.join(' ');
}

/** Splits into `n` contiguous non-empty pieces: on word boundaries if possible, else code points. */
function splitIntoPieces(text: string, n: number): string[] {
  if (text === '') return [];
  let units = text.split(/(?<=\s)(?=\S)/);
  if (units.length < n) units = Array.from(text);
  const count = Math.min(n, units.length);
  const pieces: string[] = [];
  for (let k = 0; k < count; k++) {
    const from = Math.floor((k * units.length) / count);
    const to = Math.floor(((k + 1) * units.length) / count);
    pieces.push(units.slice(from, to).join(''));
  }
  return pieces;
}

interface ResolvedUsage {
  input_tokens: number;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } | null;
  output_tokens: number;
}

function resolveUsage(body: unknown, scenario: MockScenario, text: string): ResolvedUsage {
  const o = scenario.usage ?? {};
  const toolTokens = scenario.toolUse ? Math.ceil(JSON.stringify(scenario.toolUse.input ?? null).length / 4) : 0;
  const e5m =
    (o.cache_creation ? o.cache_creation.ephemeral_5m_input_tokens : undefined) ?? o.ephemeral_5m_input_tokens ?? 0;
  const e1h =
    (o.cache_creation ? o.cache_creation.ephemeral_1h_input_tokens : undefined) ?? o.ephemeral_1h_input_tokens ?? 0;
  return {
    input_tokens: o.input_tokens ?? estimateInputTokens(body),
    cache_creation_input_tokens:
      o.cache_creation_input_tokens !== undefined ? o.cache_creation_input_tokens : e5m + e1h,
    cache_read_input_tokens: o.cache_read_input_tokens !== undefined ? o.cache_read_input_tokens : 0,
    cache_creation:
      o.cache_creation === null ? null : { ephemeral_5m_input_tokens: e5m, ephemeral_1h_input_tokens: e1h },
    output_tokens: o.output_tokens ?? Math.max(1, countWords(text) + toolTokens),
  };
}

function usageObject(u: ResolvedUsage, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: u.input_tokens,
    cache_creation_input_tokens: u.cache_creation_input_tokens,
    cache_read_input_tokens: u.cache_read_input_tokens,
    cache_creation: u.cache_creation,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

/** The scenario's extra usage fields that a stream sends in `message_start` or in `message_delta`. */
function usageExtraAt(sc: MockScenario, at: 'start' | 'delta'): Record<string, unknown> {
  const extra = (sc.usageExtra ?? {}) as Record<string, unknown>;
  const keys = at === 'start' ? USAGE_EXTRA_START : USAGE_EXTRA_DELTA;
  const out: Record<string, unknown> = {};
  for (const key of keys) if (extra[key] !== undefined) out[key] = extra[key];
  if (at === 'start' && extra.server_tool_use !== undefined)
    out.server_tool_use = { web_search_requests: 0, web_fetch_requests: 0 };
  return out;
}

/** Decimal strings of cents added exactly (up to 12 decimals). */
function sumCents(amounts: string[]): string {
  const SCALE = 12;
  const total = amounts.reduce((sum, a) => {
    const [whole, fraction = ''] = a.split('.');
    return sum + BigInt(whole + fraction.padEnd(SCALE, '0').slice(0, SCALE));
  }, 0n);
  const text = total.toString().padStart(SCALE + 1, '0');
  const fraction = text.slice(-SCALE).replace(/0+$/, '');
  return fraction ? `${text.slice(0, -SCALE)}.${fraction}` : text.slice(0, -SCALE);
}

function sseFrame(event: string, data: unknown): Buffer {
  return Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`, 'utf8');
}

let rateLimitResetCache = { second: -1, value: '' };
/** What Anthropic sends a subscription credential about its own quota. */
function unifiedUsageHeaders(sc: MockScenario): Record<string, string> {
  if (!sc.unifiedUsage) return {};
  const reset = String(Math.floor(Date.now() / 1000) + 5 * 3600);
  return {
    'anthropic-ratelimit-unified-status': 'allowed_warning',
    'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    'anthropic-ratelimit-unified-reset': reset,
    'anthropic-ratelimit-unified-5h-utilization': '0.4',
    'anthropic-ratelimit-unified-5h-surpassed-threshold': '0.25',
  };
}

function rateLimitHeaders(limited: boolean): Record<string, string> {
  const second = Math.floor(Date.now() / 1000);
  if (rateLimitResetCache.second !== second) {
    rateLimitResetCache = { second, value: new Date((second + 60) * 1000).toISOString().replace('.000Z', 'Z') };
  }
  const reset = rateLimitResetCache.value;
  return {
    'anthropic-ratelimit-requests-limit': '4000',
    'anthropic-ratelimit-requests-remaining': limited ? '0' : '3999',
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': '2000000',
    'anthropic-ratelimit-input-tokens-remaining': limited ? '0' : '2000000',
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': '400000',
    'anthropic-ratelimit-output-tokens-remaining': limited ? '0' : '400000',
    'anthropic-ratelimit-output-tokens-reset': reset,
    'anthropic-ratelimit-tokens-limit': '2400000',
    'anthropic-ratelimit-tokens-remaining': limited ? '0' : '2400000',
    'anthropic-ratelimit-tokens-reset': reset,
  };
}

/**
 * `Map<requestId, Buffer>` that appends cheaply: chunks are joined only when an entry is read, so a
 * 300,000-frame stream costs O(n), not O(n²).
 */
class SentBytesMap extends Map<string, Buffer> {
  private readonly pending = new Map<string, Buffer[]>();

  append(id: string, chunk: Buffer): void {
    let list = this.pending.get(id);
    if (!list) {
      list = [];
      this.pending.set(id, list);
      if (!super.has(id)) super.set(id, Buffer.alloc(0));
    }
    list.push(chunk);
  }

  private flush(id: string): void {
    const list = this.pending.get(id);
    if (!list) return;
    this.pending.delete(id);
    const previous = super.get(id);
    super.set(id, previous && previous.length > 0 ? Buffer.concat([previous, ...list]) : Buffer.concat(list));
  }

  private flushAll(): void {
    for (const id of [...this.pending.keys()]) this.flush(id);
  }

  override get(id: string): Buffer | undefined {
    this.flush(id);
    return super.get(id);
  }
  override set(id: string, value: Buffer): this {
    this.pending?.delete(id);
    return super.set(id, value);
  }
  override delete(id: string): boolean {
    this.pending.delete(id);
    return super.delete(id);
  }
  override clear(): void {
    this.pending.clear();
    super.clear();
  }
  override forEach(callback: (value: Buffer, key: string, map: Map<string, Buffer>) => void, thisArg?: unknown): void {
    this.flushAll();
    super.forEach(callback, thisArg);
  }
  override entries(): MapIterator<[string, Buffer]> {
    this.flushAll();
    return super.entries();
  }
  override values(): MapIterator<Buffer> {
    this.flushAll();
    return super.values();
  }
  override [Symbol.iterator](): MapIterator<[string, Buffer]> {
    return this.entries();
  }
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

interface Exchange {
  id: string;
  req: IncomingMessage;
  res: ServerResponse;
  /** The client went away (or the mock is closing): stop writing. */
  gone: boolean;
  /** The mock destroyed the socket on purpose (resetAfterFrames) or is closing. */
  terminatedByServer: boolean;
  controller: AbortController;
  /** Record this exchange's response bytes. */
  record: boolean;
  /** The request body as received (binary-safe, for file uploads). */
  rawBody?: Buffer;
}

type Route =
  'messages' | 'count_tokens' | 'models' | 'model' | 'store' | 'cost_report' | 'not_found' | 'method_not_allowed';

function route(method: string, path: string): Route {
  if (isStorePath(path)) return 'store';
  if (path === '/v1/messages') return method === 'POST' ? 'messages' : 'method_not_allowed';
  if (path === '/v1/messages/count_tokens') return method === 'POST' ? 'count_tokens' : 'method_not_allowed';
  if (path === '/v1/models') return method === 'GET' ? 'models' : 'method_not_allowed';
  if (path === '/v1/organizations/cost_report') return method === 'GET' ? 'cost_report' : 'method_not_allowed';
  if (path.startsWith('/v1/models/') && path.length > '/v1/models/'.length) {
    return method === 'GET' ? 'model' : 'method_not_allowed';
  }
  return 'not_found';
}

export async function startMockAnthropic(options: MockAnthropicOptions = {}): Promise<MockAnthropic> {
  const host = options.host ?? '127.0.0.1';
  const record = options.record ?? true;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const sockets = new Set<Socket>();
  const open = new Set<Exchange>();
  let closing = false;
  let maxInFlight = 0;
  const stats = { requests: 0, completed: 0, aborted: 0, framesSent: 0 };

  let baseUrl = '';
  const store = new MockStore(() => baseUrl);

  const state = {
    requests: [] as RecordedRequest[],
    sentBytes: new SentBytesMap(),
    aborted: [] as string[],
    completed: [] as string[],
    keyCounts: new Map<string, number>(),
  };

  const server: Server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 });
  server.timeout = 0;

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  // ---- writing ----------------------------------------------------------------------------

  function remember(ex: Exchange, chunk: Buffer): void {
    if (ex.record) state.sentBytes.append(ex.id, chunk);
  }

  /** Writes one chunk, waiting for 'drain' when the socket buffer is full. False once the client is gone. */
  async function write(ex: Exchange, chunk: Buffer): Promise<boolean> {
    if (ex.gone) return false;
    remember(ex, chunk);
    if (ex.res.write(chunk)) return !ex.gone;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        ex.res.off('drain', done);
        ex.controller.signal.removeEventListener('abort', done);
        resolve();
      };
      ex.res.on('drain', done);
      ex.controller.signal.addEventListener('abort', done, { once: true });
    });
    return !ex.gone;
  }

  function finish(ex: Exchange, body?: Buffer): void {
    if (ex.gone) return;
    if (body) remember(ex, body);
    ex.res.end(body);
  }

  function baseHeaders(ex: Exchange, contentType: string): Record<string, string> {
    return {
      'content-type': contentType,
      'request-id': ex.id,
      'anthropic-organization-id': MOCK_ORGANIZATION_ID,
      'cache-control': 'no-cache',
    };
  }

  function sendJson(ex: Exchange, status: number, payload: unknown, extra: Record<string, string> = {}): void {
    if (ex.gone) return;
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    ex.res.writeHead(status, {
      ...baseHeaders(ex, 'application/json'),
      ...extra,
      'content-length': String(body.length),
    });
    finish(ex, body);
  }

  function sendError(
    ex: Exchange,
    status: number,
    type: string,
    message: string,
    extra: Record<string, string> = {},
  ): void {
    sendJson(ex, status, { type: 'error', error: { type, message }, request_id: ex.id }, extra);
  }

  // ---- request handling ---------------------------------------------------------------------

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const ex: Exchange = {
      id: newRequestId(),
      req,
      res,
      gone: false,
      terminatedByServer: false,
      controller: new AbortController(),
      record,
    };
    open.add(ex);
    stats.requests++;
    if (open.size > maxInFlight) maxInFlight = open.size;

    req.on('error', () => undefined);
    res.on('error', () => undefined);
    res.on('close', () => {
      open.delete(ex);
      if (res.writableFinished) {
        stats.completed++;
        if (record) state.completed.push(ex.id);
      } else {
        if (!ex.terminatedByServer && !closing) {
          stats.aborted++;
          state.aborted.push(ex.id);
        }
        ex.gone = true;
      }
      ex.controller.abort();
    });

    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      ex.rawBody = tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks);
      const bodyText = ex.rawBody.toString('utf8');
      handle(ex, bodyText, tooLarge).catch(() => {
        if (!ex.gone && !ex.res.headersSent) sendError(ex, 500, 'api_error', 'Internal server error');
        else if (!ex.gone) ex.res.destroy();
      });
    });
  });

  async function handle(ex: Exchange, bodyText: string, tooLarge: boolean): Promise<void> {
    const { req } = ex;
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const which = route(method, path);

    const headerKey = req.headers['x-api-key'];
    const authorization = req.headers.authorization;
    const apiKey =
      typeof headerKey === 'string' && headerKey !== ''
        ? headerKey
        : typeof authorization === 'string' && /^bearer\s+/i.test(authorization)
          ? authorization.replace(/^bearer\s+/i, '').trim() || null
          : null;

    let json: unknown;
    let jsonError = false;
    if (bodyText !== '') {
      try {
        json = JSON.parse(bodyText);
      } catch {
        jsonError = true;
      }
    }

    let scenario: MockScenario | null = null;
    let scenarioError: string | null = null;
    try {
      const header = req.headers[MOCK_SCENARIO_HEADER];
      if (typeof header === 'string' && header !== '') {
        const fromHeader = parseScenarioJson(header, `the ${MOCK_SCENARIO_HEADER} header`);
        const messages = isPlainObject(json) && Array.isArray(json.messages) ? json.messages : [];
        scenario = scenarioStep(fromHeader, assistantTurnsAfter(messages, -1));
      } else if ((which === 'messages' || which === 'count_tokens') && !jsonError) scenario = scenarioFromBody(json);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      scenarioError = err.message;
    }

    if (record) {
      const { res } = ex;
      state.requests.push({
        id: ex.id,
        method,
        path,
        url,
        headers: req.headers,
        body: bodyText,
        json,
        apiKey,
        scenario,
        stream: isPlainObject(json) && json.stream === true,
        receivedAt: Date.now(),
        get status() {
          return res.headersSent ? res.statusCode : null;
        },
      });
    }

    // Order mirrors Anthropic: size limit (at the edge), routing, authentication, then the body.
    if (tooLarge)
      return sendError(ex, 413, 'request_too_large', DEFAULT_ERROR_MESSAGES.request_too_large, { connection: 'close' });
    if (which === 'not_found') return sendError(ex, 404, 'not_found_error', 'Not Found');
    if (which === 'method_not_allowed') return sendError(ex, 405, 'invalid_request_error', 'Method Not Allowed');

    if (!apiKey) return sendError(ex, 401, 'authentication_error', 'x-api-key header is required');
    if (which === 'cost_report') {
      if (!apiKey.startsWith(MOCK_ADMIN_KEY_PREFIX) || apiKey.startsWith(`${MOCK_ADMIN_KEY_PREFIX}01-invalid`)) {
        return sendError(ex, 401, 'authentication_error', 'invalid x-api-key: the Admin API needs an admin key');
      }
      return sendCostReport(ex, url);
    }
    if (!apiKey.startsWith('sk-ant-api') || apiKey.startsWith('sk-ant-api03-invalid')) {
      return sendError(ex, 401, 'authentication_error', 'invalid x-api-key');
    }

    if (scenarioError) return sendError(ex, 400, 'invalid_request_error', scenarioError);
    const sc: MockScenario = scenario ?? {};

    if (sc.stallBeforeHeaders) return; // never answer; the exchange closes when the client or the mock does
    await sleep(sc.delayMs ?? 0, ex.controller.signal);
    if (ex.gone) return;

    // Scenario errors.
    let failNow = false;
    if (sc.failTimes !== undefined) {
      const key = sc.key ?? 'default';
      const seen = (state.keyCounts.get(key) ?? 0) + 1;
      state.keyCounts.set(key, seen);
      failNow = seen <= sc.failTimes;
    } else if (sc.key !== undefined) {
      state.keyCounts.set(sc.key, (state.keyCounts.get(sc.key) ?? 0) + 1);
    }
    if (sc.failTimes !== undefined ? failNow : sc.status !== undefined) {
      const status = sc.status ?? 529;
      const type =
        sc.errorType ?? DEFAULT_ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
      const message = sc.errorMessage ?? DEFAULT_ERROR_MESSAGES[type] ?? 'Error';
      const extra: Record<string, string> = {};
      const retryAfter = sc.retryAfter === undefined ? (status === 429 ? 1 : null) : sc.retryAfter;
      if (retryAfter !== null) extra['retry-after'] = String(retryAfter);
      if (sc.shouldRetry !== undefined) extra['x-should-retry'] = String(sc.shouldRetry);
      if (status === 429) Object.assign(extra, rateLimitHeaders(true));
      return sendError(ex, status, type, message, extra);
    }

    if (which === 'models') return sendModels(ex, url);
    if (which === 'store') {
      const answer = store.handle(method, path, ex.req.headers, ex.rawBody ?? Buffer.alloc(0));
      if (ex.gone) return;
      ex.res.writeHead(answer.status, baseHeaders(ex, answer.contentType));
      for (const chunk of answer.chunks) {
        remember(ex, chunk);
        ex.res.write(chunk);
      }
      ex.res.end();
      return;
    }
    if (which === 'model') {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      const model = MOCK_MODELS.find((m) => m.id === id);
      if (!model) return sendError(ex, 404, 'not_found_error', `model: ${id}`);
      return sendJson(ex, 200, { type: 'model', ...model });
    }

    // Body validation.
    if (bodyText === '' || jsonError) {
      return sendError(
        ex,
        400,
        'invalid_request_error',
        bodyText === '' ? 'Request body is required' : 'Request body is not valid JSON',
      );
    }
    if (!isPlainObject(json)) return sendError(ex, 400, 'invalid_request_error', 'Request body must be a JSON object');
    const missing = validateBody(json, which === 'messages');
    if (missing) return sendError(ex, 400, 'invalid_request_error', missing);

    if (which === 'count_tokens') {
      return sendJson(ex, 200, { input_tokens: sc.usage?.input_tokens ?? estimateInputTokens(json) });
    }
    if (json.stream === true) return sendStream(ex, json, sc);
    return sendMessage(ex, json, sc);
  }

  function validateBody(body: Record<string, unknown>, needsMaxTokens: boolean): string | null {
    if (body.model === undefined) return 'model: Field required';
    if (typeof body.model !== 'string' || body.model === '') return 'model: Input should be a valid string';
    if (needsMaxTokens) {
      if (body.max_tokens === undefined) return 'max_tokens: Field required';
      if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
        return 'max_tokens: Input should be a valid integer greater than or equal to 1';
      }
    }
    if (body.messages === undefined) return 'messages: Field required';
    if (!Array.isArray(body.messages)) return 'messages: Input should be a valid list';
    if (body.messages.length === 0) return 'messages: at least one message is required';
    return null;
  }

  function sendCostReport(ex: Exchange, url: string): void {
    const query = new URL(url, 'http://mock').searchParams;
    const startingAt = query.get('starting_at');
    if (!startingAt || Number.isNaN(Date.parse(startingAt)))
      return sendError(ex, 400, 'invalid_request_error', 'starting_at: Field required');
    const endingAt = query.get('ending_at');
    const limit = Math.min(31, Math.max(1, Number(query.get('limit') ?? 7) || 7));
    const byDescription = query.getAll('group_by[]').includes('description');
    const from = Number(query.get('page') ? Buffer.from(query.get('page')!, 'base64url').toString('utf8') : 0) || 0;
    const buckets = mock.costReport.filter(
      (b) =>
        Date.parse(b.starting_at) >= Date.parse(startingAt) &&
        (!endingAt || Date.parse(b.ending_at) <= Date.parse(endingAt)),
    );
    const page = buckets.slice(from, from + limit).map((b) => ({
      starting_at: b.starting_at,
      ending_at: b.ending_at,
      results: byDescription
        ? b.results.map((r) => ({
            currency: 'USD',
            workspace_id: null,
            description: null,
            cost_type: null,
            model: null,
            token_type: null,
            service_tier: null,
            context_window: null,
            ...r,
          }))
        : [
            {
              currency: 'USD',
              amount: sumCents(b.results.map((r) => r.amount)),
              workspace_id: null,
              description: null,
              cost_type: null,
              model: null,
              token_type: null,
              service_tier: null,
              context_window: null,
            },
          ],
    }));
    const more = from + limit < buckets.length;
    sendJson(ex, 200, {
      data: page,
      has_more: more,
      next_page: more ? Buffer.from(String(from + limit)).toString('base64url') : null,
    });
  }

  function sendModels(ex: Exchange, url: string): void {
    const query = new URL(url, 'http://mock').searchParams;
    const limit = Math.min(1000, Math.max(1, Number(query.get('limit') ?? 20) || 20));
    let list = MOCK_MODELS.map((m) => ({ type: 'model', ...m }));
    const after = query.get('after_id');
    const before = query.get('before_id');
    if (after) list = list.slice(list.findIndex((m) => m.id === after) + 1);
    if (before) {
      const at = list.findIndex((m) => m.id === before);
      list = at < 0 ? list : list.slice(Math.max(0, at - limit), at);
    }
    const page = list.slice(0, limit);
    sendJson(ex, 200, {
      data: page,
      has_more: list.length > page.length,
      first_id: page[0]?.id ?? null,
      last_id: page[page.length - 1]?.id ?? null,
    });
  }

  function contentBlocks(
    sc: MockScenario,
    text: string,
  ): { text: string | null; tool: (MockToolUse & { id: string }) | null } {
    const tool = sc.toolUse ? { ...sc.toolUse, id: sc.toolUse.id ?? newToolUseId() } : null;
    return { text: tool && text === '' ? null : text, tool };
  }

  function sendMessage(ex: Exchange, body: Record<string, unknown>, sc: MockScenario): void {
    const text = replyText(sc);
    const usage = resolveUsage(body, sc, text);
    const blocks = contentBlocks(sc, text);
    const content: unknown[] = [];
    if (blocks.text !== null) content.push({ type: 'text', text: blocks.text });
    if (blocks.tool)
      content.push({ type: 'tool_use', id: blocks.tool.id, name: blocks.tool.name, input: blocks.tool.input });
    const message = {
      id: newMessageId(),
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: sc.stopReason ?? (blocks.tool ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage: { ...usageObject(usage, usage.output_tokens), ...(sc.usageExtra ?? {}) },
    };
    const headers = { ...baseHeaders(ex, 'application/json'), ...rateLimitHeaders(false), ...unifiedUsageHeaders(sc) };
    if (sc.stallAfterFrames !== undefined || sc.resetAfterFrames !== undefined) {
      // No frames in a JSON response: send the headers, then stall or reset.
      ex.res.writeHead(200, headers);
      ex.res.flushHeaders();
      if (
        sc.resetAfterFrames !== undefined &&
        (sc.stallAfterFrames === undefined || sc.resetAfterFrames <= sc.stallAfterFrames)
      ) {
        ex.terminatedByServer = true;
        ex.res.destroy();
      }
      return;
    }
    const payload = Buffer.from(JSON.stringify(message), 'utf8');
    ex.res.writeHead(200, { ...headers, 'content-length': String(payload.length) });
    finish(ex, payload);
  }

  function buildFrames(body: Record<string, unknown>, sc: MockScenario): Buffer[] {
    const text = replyText(sc);
    const usage = resolveUsage(body, sc, text);
    const blocks = contentBlocks(sc, text);
    const stopReason = sc.stopReason ?? (blocks.tool ? 'tool_use' : 'end_turn');
    const frames: Buffer[] = [];
    frames.push(
      sseFrame('message_start', {
        type: 'message_start',
        message: {
          id: newMessageId(),
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usageObject(usage, 1), ...usageExtraAt(sc, 'start') },
        },
      }),
    );
    let index = 0;
    let pinged = false;
    const ping = (): void => {
      if (pinged) return;
      pinged = true;
      frames.push(sseFrame('ping', { type: 'ping' }));
    };
    if (blocks.text !== null) {
      frames.push(
        sseFrame('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '' },
        }),
      );
      ping();
      for (const piece of splitIntoPieces(blocks.text, sc.deltas ?? DEFAULT_DELTAS)) {
        frames.push(
          sseFrame('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'text_delta', text: piece },
          }),
        );
      }
      frames.push(sseFrame('content_block_stop', { type: 'content_block_stop', index }));
      index++;
    }
    if (blocks.tool) {
      frames.push(
        sseFrame('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: blocks.tool.id, name: blocks.tool.name, input: {} },
        }),
      );
      ping();
      const json = JSON.stringify(blocks.tool.input ?? null);
      const pieces = ['', ...splitIntoPieces(json, sc.toolDeltas ?? DEFAULT_TOOL_DELTAS)];
      for (const piece of pieces) {
        frames.push(
          sseFrame('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: piece },
          }),
        );
      }
      frames.push(sseFrame('content_block_stop', { type: 'content_block_stop', index }));
    }
    const deltaUsage: Record<string, unknown> =
      sc.deltaUsage === 'cumulative'
        ? {
            input_tokens: usage.input_tokens,
            cache_creation_input_tokens: usage.cache_creation_input_tokens,
            cache_read_input_tokens: usage.cache_read_input_tokens,
            output_tokens: usage.output_tokens,
          }
        : { output_tokens: usage.output_tokens };
    frames.push(
      sseFrame('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { ...deltaUsage, ...usageExtraAt(sc, 'delta') },
      }),
    );
    frames.push(sseFrame('message_stop', { type: 'message_stop' }));
    return frames;
  }

  /** Resolves once the bytes written so far have been handed to the kernel. */
  async function flushed(res: ServerResponse): Promise<void> {
    const socket = res.socket;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 50);
      function done() {
        clearTimeout(timer);
        socket?.off('drain', done);
        resolve();
      }
      if (socket && socket.writableLength > 0) socket.once('drain', done);
      else setTimeout(done, 20);
    });
  }

  async function sendStream(ex: Exchange, body: Record<string, unknown>, sc: MockScenario): Promise<void> {
    const frames = buildFrames(body, sc);
    ex.res.writeHead(200, {
      ...baseHeaders(ex, 'text/event-stream; charset=utf-8'),
      ...rateLimitHeaders(false),
      ...unifiedUsageHeaders(sc),
    });
    ex.res.flushHeaders();

    const cut = (n: number | undefined): number => (n === undefined ? Infinity : Math.min(n, frames.length));
    const stallAt = cut(sc.stallAfterFrames);
    const resetAt = cut(sc.resetAfterFrames);
    const errorAt = cut(sc.errorEventAfterFrames);
    const deltaDelay = sc.deltaDelayMs ?? 0;

    for (let i = 0; i <= frames.length; i++) {
      if (ex.gone) return;
      if (resetAt === i && resetAt <= stallAt && resetAt <= errorAt) {
        ex.terminatedByServer = true;
        // Like a real reset: what was sent has left, then the connection dies.
        await flushed(ex.res);
        ex.res.destroy();
        return;
      }
      if (stallAt === i && stallAt <= errorAt) return; // keep the response open, send nothing more
      if (errorAt === i) {
        const type = sc.errorType ?? 'overloaded_error';
        const message = sc.errorMessage ?? DEFAULT_ERROR_MESSAGES[type] ?? 'Error';
        if (!(await write(ex, sseFrame('error', { type: 'error', error: { type, message } })))) return;
        finish(ex);
        return;
      }
      if (i === frames.length) break;
      if (i > 0 && deltaDelay > 0) {
        await sleep(deltaDelay, ex.controller.signal);
        if (ex.gone) return;
      }
      stats.framesSent++;
      if (!(await write(ex, frames[i]))) return;
    }
    finish(ex);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}`;

  let closed: Promise<void> | null = null;
  const mock: MockAnthropic = {
    costReport: [],
    url: `http://${urlHost}:${port}`,
    port,
    requests: state.requests,
    sentBytes: state.sentBytes,
    aborted: state.aborted,
    completed: state.completed,
    keyCounts: state.keyCounts,
    get inFlight() {
      return open.size;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get stats() {
      return { ...stats };
    },
    close() {
      if (closed) return closed;
      closing = true;
      closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const ex of open) {
          ex.gone = true;
          ex.terminatedByServer = true;
          ex.controller.abort();
        }
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closed;
    },
    reset() {
      state.requests.length = 0;
      state.sentBytes.clear();
      state.aborted.length = 0;
      state.completed.length = 0;
      state.keyCounts.clear();
      maxInFlight = open.size;
      stats.requests = 0;
      stats.completed = 0;
      stats.aborted = 0;
      stats.framesSent = 0;
    },
  };
  return mock;
}
