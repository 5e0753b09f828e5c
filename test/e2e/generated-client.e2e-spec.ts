import Anthropic from '@anthropic-ai/sdk';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { createLamplightClient, type LamplightClient } from '../../sdk';
import { eventually, listen, startTestApp, type TestApp } from '../support/test-app';

/**
 * A user's whole journey through the generated TypeScript client (sdk/, from openapi/openapi.json)
 * against the app listening on 127.0.0.1: every call below is the SDK's, bar the proxied call,
 * which is the official Anthropic SDK's. If the document misdescribes a route, this breaks.
 */
describe('the generated TypeScript client', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    baseUrl = await listen(app);
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('register → API key → provider key → proxied call → list → rename → share → public view → delete', async () => {
    const anonymous = createLamplightClient({ baseUrl });
    const email = `sdk-${Date.now()}@example.com`;

    // Register: a JWT and a personal organization.
    const registered = await anonymous.POST('/api/v1/auth/register', {
      body: { email, name: 'Grace Hopper', password: 'a long enough password' },
    });
    expect(registered.response.status).toBe(201);
    const { accessToken, user } = registered.data!;
    expect(accessToken).toEqual(expect.any(String));
    const client: LamplightClient = createLamplightClient({
      baseUrl,
      token: accessToken,
      organizationId: user.defaultOrganizationId ?? undefined,
    });

    const me = await client.GET('/api/v1/auth/me');
    expect(me.response.status).toBe(200);
    expect(me.data!.user.email).toBe(email);

    // A platform API key (shown whole only now) and the organization's Anthropic key.
    const apiKey = await client.POST('/api/v1/api-keys', { body: { name: 'sdk test' } });
    expect(apiKey.response.status).toBe(201);
    expect(apiKey.data!.key).toMatch(/^lmp_/);
    const providerKey = await client.POST('/api/v1/provider-keys', {
      body: { name: 'anthropic', key: 'sk-ant-api03-lamplight-generated-client-test-0123456789' },
    });
    expect(providerKey.response.status).toBe(201);
    expect(providerKey.data!.last4).toBe('6789');

    // A proxied call through the official Anthropic SDK, with the platform key.
    const anthropic = new Anthropic({
      baseURL: `${baseUrl}/spotlight/anthropic`,
      apiKey: apiKey.data!.key,
      maxRetries: 0,
    });
    const message = await anthropic.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hello from the generated client test' }],
      metadata: { user_id: 'sdk-flow-session' },
    });
    expect(message.type).toBe('message');

    // The session appears in the list once the recorder has written the call.
    const listed = await eventually(async () => {
      const page = await client.GET('/api/v1/sessions', {
        params: { query: { limit: 10, externalId: 'sdk-flow-session' } },
      });
      expect(page.response.status).toBe(200);
      return page.data!.data.find((s) => s.taskCount === 1);
    });
    expect(listed).toMatchObject({
      externalId: 'sdk-flow-session',
      organization: user.defaultOrganizationId,
      user: user.id,
    });

    // Rename it, by its external id.
    const renamed = await client.PATCH('/api/v1/sessions/{sessionId}', {
      params: { path: { sessionId: 'sdk-flow-session' } },
      body: { title: '  Generated client flow  ' },
    });
    expect(renamed.response.status).toBe(200);
    expect(renamed.data!.title).toBe('Generated client flow');

    // Share it, then view it with no credentials at all.
    const shared = await client.POST('/spotlight/analytics/sessions/{sessionUuid}/share', {
      params: { path: { sessionUuid: listed.id } },
      body: { include_content: true },
    });
    expect(shared.response.status).toBe(201);
    expect(shared.data!.share_token).toMatch(/^shr_/);
    const publicView = await anonymous.GET('/spotlight/analytics/sessions/shared/{shareToken}', {
      params: { path: { shareToken: shared.data!.share_token } },
    });
    expect(publicView.response.status).toBe(200);
    expect(publicView.data!.session).toMatchObject({ session_id: 'sdk-flow-session', total_requests: 1 });
    expect(publicView.data!.interactions).toEqual([
      expect.objectContaining({ model: 'claude-sonnet-4-6', user_query: 'Hello from the generated client test' }),
    ]);

    // Delete it: 204, then it is gone for the API and for the public link alike.
    const deleted = await client.DELETE('/api/v1/sessions/{sessionId}', { params: { path: { sessionId: listed.id } } });
    expect(deleted.response.status).toBe(204);
    const gone = await client.GET('/api/v1/sessions/{sessionId}', { params: { path: { sessionId: listed.id } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error).toMatchObject({ status: 404, code: expect.any(String) });
    const goneView = await anonymous.GET('/spotlight/analytics/sessions/shared/{shareToken}', {
      params: { path: { shareToken: shared.data!.share_token } },
    });
    expect(goneView.response.status).toBe(404);
    const after = await client.GET('/api/v1/sessions', { params: { query: { externalId: 'sdk-flow-session' } } });
    expect(after.data!.data).toEqual([]);
  });
});
