/**
 * The Anthropic API around Messages, through Lamplight: the reachability probe, the Models API,
 * an organization's model policy, and headers and bodies forwarded as open lists (per Claude
 * Code's gateway protocol), checked with the official SDK at the mock upstream.
 */
import Anthropic from '@anthropic-ai/sdk';
import { request as httpRequest } from 'undici';
import { MOCK_MODELS, startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const PROVIDER_KEY = 'sk-ant-api03-lamplight-surface-test-key-0123456789';

describe('the API around Messages', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let owner: TestUser;
  let key: string;
  let client: Anthropic;

  const setPolicy = async (allowedModels: string[] | null) => {
    const response = await app.request({
      method: 'PATCH',
      url: `/api/v1/organizations/${owner.organizationId}`,
      headers: owner.auth,
      payload: { settings: { allowedModels } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().settings.allowedModels).toEqual(allowedModels);
  };

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    baseURL = await listen(app);
    owner = await registerUser(app, 'Surface Owner');
    key = (await createApiKey(app, owner)).key;
    await storeProviderKey(app, owner, PROVIDER_KEY);
    client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
  });
  afterAll(async () => {
    await app.close();
    await mock.close();
  });
  beforeEach(() => mock.reset());

  it("answers Claude Code's HEAD probe of its base URL with 200 and no body", async () => {
    const response = await httpRequest(`${baseURL}/spotlight/anthropic`, { method: 'HEAD' });
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toBe('');
  });

  it("lists and gets models with the SDK, with the organization's stored key and the query string as sent", async () => {
    const page = await client.models.list({ limit: 1000 });
    expect(page.data.map((model) => model.id)).toEqual(MOCK_MODELS.map((model) => model.id));
    const listed = mock.requests.at(-1)!;
    expect(listed.url).toBe('/v1/models?limit=1000');
    expect(listed.apiKey).toBe(PROVIDER_KEY);
    const model = await client.models.retrieve('claude-sonnet-4-6');
    expect(model).toMatchObject({ id: 'claude-sonnet-4-6', type: 'model' });
    await expect(client.models.retrieve('claude-no-such-model')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("applies the organization's model policy: a narrowed list, unknown to retrieve, refused before Anthropic", async () => {
    await setPolicy(['claude-sonnet-*', 'claude-haiku-4-5*']);
    try {
      const page = await client.models.list();
      expect(page.data.map((m) => m.id)).toEqual(
        MOCK_MODELS.map((m) => m.id).filter(
          (id) => id.startsWith('claude-sonnet-') || id.startsWith('claude-haiku-4-5'),
        ),
      );
      expect(page.first_id).toBe(page.data[0].id);
      expect(page.last_id).toBe(page.data.at(-1)!.id);
      await expect(client.models.retrieve('claude-opus-4-6')).rejects.toBeInstanceOf(Anthropic.NotFoundError);

      const before = mock.requests.length;
      const refused = client.messages.create({
        model: 'claude-opus-4-6',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
      });
      await expect(refused).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
      await expect(refused).rejects.toMatchObject({ error: { type: 'error', error: { type: 'permission_error' } } });
      await expect(
        client.messages.countTokens({ model: 'claude-opus-4-6', messages: [{ role: 'user', content: 'hi' }] }),
      ).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
      expect(mock.requests.length).toBe(before);

      const allowed = await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(allowed.type).toBe('message');
    } finally {
      await setPolicy(null);
    }
    expect((await client.models.list()).data).toHaveLength(MOCK_MODELS.length);
  });

  it('refuses a model policy that is not a list of model patterns', async () => {
    for (const allowedModels of ['claude-*', ['claude sonnet'], [''], Array.from({ length: 101 }, () => 'claude-*')]) {
      const response = await app.request({
        method: 'PATCH',
        url: `/api/v1/organizations/${owner.organizationId}`,
        headers: owner.auth,
        payload: { settings: { allowedModels } },
      });
      expect(response.statusCode).toBe(400);
    }
  });

  it("forwards unknown anthropic-* headers and unknown body fields byte for byte, and nothing of Lamplight's own", async () => {
    const body = `{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"future_field":{"nested":[1,2.50,"\\u00e9"]},  "another_new_thing":true}`;
    const response = await httpRequest(`${baseURL}/spotlight/anthropic/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'context-management-2025-06-27,interleaved-thinking-2025-05-14',
        'anthropic-dangerous-direct-browser-access': 'true',
        'anthropic-some-future-header': 'value with  two spaces',
        'x-claude-code-session-id': 'cc-session-1',
        'x-stainless-retry-count': '0',
        authorization: `Bearer ${key}`,
        'x-lamplight-session-id': 'surface-session',
        'x-organization-id': owner.organizationId,
        'x-forwarded-for': '203.0.113.9',
        cookie: 'a=b',
      },
      body,
    });
    expect(response.statusCode).toBe(200);
    await response.body.text();
    const seen = mock.requests.at(-1)!;
    expect(seen.url).toBe('/v1/messages?beta=true');
    expect(seen.body).toBe(body);
    expect(seen.headers).toMatchObject({
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'context-management-2025-06-27,interleaved-thinking-2025-05-14',
      'anthropic-dangerous-direct-browser-access': 'true',
      'anthropic-some-future-header': 'value with  two spaces',
      'x-claude-code-session-id': 'cc-session-1',
      'x-stainless-retry-count': '0',
      'x-api-key': PROVIDER_KEY,
    });
    for (const name of ['authorization', 'x-lamplight-session-id', 'x-organization-id', 'x-forwarded-for', 'cookie'])
      expect(seen.headers[name]).toBeUndefined();
  });

  it('passes SSE pings and upstream error bodies through unmodified', async () => {
    const streamed = await httpRequest(`${baseURL}/spotlight/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': key },
      body: JSON.stringify({
        model: 'claude-sonnet-4-6',
        max_tokens: 8,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const text = await streamed.body.text();
    expect(text).toContain('event: ping');
    expect(Buffer.from(text).equals(mock.sentBytes.get(mock.requests.at(-1)!.id)!)).toBe(true);

    const failed = await httpRequest(`${baseURL}/spotlight/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': key },
      body: JSON.stringify({
        model: 'claude-sonnet-4-6',
        max_tokens: 8,
        messages: [
          {
            role: 'user',
            content: `MOCK:${JSON.stringify({ status: 400, errorMessage: 'messages.0: a detail only Anthropic knows' })}`,
          },
        ],
      }),
    });
    expect(failed.statusCode).toBe(400);
    const errorText = await failed.body.text();
    expect(Buffer.from(errorText).equals(mock.sentBytes.get(mock.requests.at(-1)!.id)!)).toBe(true);
  });

  it('records the error type of a JSON error answered to a streaming request', async () => {
    const failed = client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 8,
      stream: true,
      messages: [{ role: 'user', content: `MOCK:${JSON.stringify({ status: 429, shouldRetry: false })}` }],
      metadata: { user_id: 'json-error-to-stream' },
    });
    await expect(failed).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    const rows = await eventually(async () => {
      const found = await app.sql<Record<string, unknown>>(
        `select i.outcome, i.http_status, i.error_type, i.stream from interactions i join sessions s on s.id = i.session_id where s.external_id = 'json-error-to-stream'`,
      );
      return found.length > 0 ? found : undefined;
    });
    expect(rows).toEqual([{ outcome: 'error', http_status: 429, error_type: 'rate_limit_error', stream: true }]);
  });

  it('refuses a subscription OAuth token and answers Anthropic-shaped errors on the routes around Messages too', async () => {
    const before = mock.requests.length;
    for (const [method, url] of [
      ['GET', '/spotlight/anthropic/v1/models'],
      ['GET', '/spotlight/anthropic/v1/models/claude-sonnet-4-6'],
      ['GET', '/spotlight/anthropic/v1/messages/batches'],
      ['GET', '/spotlight/anthropic/v1/files'],
    ] as const) {
      const response = await app.request({
        method,
        url,
        headers: { 'x-lamplight-api-key': key, authorization: 'Bearer sk-ant-oat01-a-subscription-token' },
      });
      expect([url, response.statusCode]).toEqual([url, 403]);
      expect(response.json()).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      const anonymous = await app.request({ method, url });
      expect([url, anonymous.statusCode]).toEqual([url, 401]);
      expect(anonymous.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    }
    expect(mock.requests.length).toBe(before);
    const hello = await httpRequest(`${baseURL}/spotlight/anthropic/api/hello`, { method: 'HEAD' });
    expect(hello.statusCode).toBe(200);
    await hello.body.dump();
  });
});
