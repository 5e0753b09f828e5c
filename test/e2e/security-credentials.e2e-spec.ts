/**
 * Security, credentials (issue 8, cases 5–9): share tokens, platform API keys, stored provider keys
 * and JWTs each fail closed, whatever is forged or tampered with, and no credential is ever logged.
 * Each test asserts what the client gets and what the database holds afterwards; organizations A
 * and B are seeded alike (see security-fixtures.ts). Fuzzing of every operation is in
 * security-fuzz.e2e-spec.ts.
 */
import type Anthropic from '@anthropic-ai/sdk';
import jwt from 'jsonwebtoken';
import { createHmac, randomBytes } from 'node:crypto';
import type { Response as InjectResponse } from 'light-my-request';
import {
  createApiKey,
  expectProblem,
  invalidationReceived,
  registerUser,
  startTestApp,
  TEST_JWT_SECRET,
  type TestApp,
  type TestUser,
} from '../support/test-app';
import { addMember, createOrganization, createProviderKey, fakeAnthropicKey } from '../support/tenancy-fixtures';
import {
  flushRecorder,
  type Gateway,
  SESSIONS,
  sessionWithCalls,
  type Team,
  TASKS,
} from '../support/sessions-fixtures';
import {
  ANALYTICS,
  expectNoCredentialLogged,
  expectNoneOf,
  idsOf,
  MESSAGES,
  orgSnapshot,
  owner,
  setUpTwoOrganizations,
  SHARED_EXTERNAL_ID,
} from '../support/security-fixtures';

describe('security: credentials (cases 5–9)', () => {
  let gateway: Gateway;
  let app: TestApp;
  let a: Team;
  let b: Team;
  let clientA: Anthropic;
  let sessionA: string;
  let sessionB: string;
  let shareTokenB: string;
  let secrets: Set<string>;

  beforeAll(async () => {
    ({ gateway, app, a, b, clientA, sessionA, sessionB, shareTokenB, secrets } = await setUpTwoOrganizations());
  });

  afterAll(async () => {
    await gateway.close();
  });

  describe('case 5: share tokens', () => {
    const lookup = (token: string, remoteAddress = '198.51.100.1') =>
      app.request({ method: 'GET', url: `${ANALYTICS}/sessions/shared/${token}`, remoteAddress });
    const page = (token: string, remoteAddress = '198.51.100.1') =>
      app.request({ method: 'GET', url: `/shared/${token}`, remoteAddress });

    it('random, tampered, truncated, extended and oddly-cased tokens → the same 404', async () => {
      const base = shareTokenB;
      const last = base.at(-1)!;
      const tampered = [
        `shr_${randomBytes(24).toString('base64url')}`,
        `${base.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`,
        base.slice(0, -1),
        `${base}A`,
        base.toUpperCase() === base ? base.toLowerCase() : base.toUpperCase(),
        base.replace('shr_', ''),
        `${base}%00`,
        encodeURIComponent(`${base}' or '1'='1`),
      ];
      for (const token of tampered) {
        const json = await lookup(token);
        expectProblem(json, 404);
        expect((await page(token)).statusCode).toBe(404);
      }
      expect((await lookup(base)).statusCode).toBe(200);
    });

    it('a removed link and an expired link → 404; the rows say why', async () => {
      const row = await sessionWithCalls(gateway, clientA, a.organizationId, 'share-lifecycle', ['x']);
      const create = () =>
        app.request({ method: 'POST', url: `${ANALYTICS}/sessions/${row.id}/share`, headers: owner(a), payload: {} });
      const first = (await create()).json().share_token as string;
      expect((await lookup(first)).statusCode).toBe(200);
      expect(
        (await app.request({ method: 'DELETE', url: `${ANALYTICS}/sessions/${row.id}/share`, headers: owner(a) }))
          .statusCode,
      ).toBe(200);
      expectProblem(await lookup(first), 404);
      expect((await page(first)).statusCode).toBe(404);
      const [removed] = await app.sql<{ revoked_at: Date | null }>(
        `select revoked_at from share_links where token_digest = encode(sha256(convert_to($1::text, 'UTF8')), 'hex')`,
        [first],
      );
      expect(removed.revoked_at).toBeInstanceOf(Date);

      const second = (await create()).json().share_token as string;
      expect(second).not.toBe(first);
      expect((await lookup(second)).statusCode).toBe(200);
      await app.sql(
        `update share_links set expires_at = now() - interval '1 second' where token_digest = encode(sha256(convert_to($1::text, 'UTF8')), 'hex')`,
        [second],
      );
      expectProblem(await lookup(second), 404);
      expect((await page(second)).statusCode).toBe(404);
    });

    it('the public payload carries no organization, user, key or interaction ids', async () => {
      const forbidden = (await idsOf(app, b.organizationId)).filter((id) => id !== shareTokenB && id !== sessionB);
      for (const response of [await lookup(shareTokenB), await page(shareTokenB)]) {
        expect(response.statusCode).toBe(200);
        expectNoneOf(response.body, forbidden);
        expect(response.body).not.toMatch(/organization_?id|user_?id|api_?key_?id|"organization"/i);
      }
    });

    it('tokens are shr_ + at least 128 CSPRNG bits: 200 tokens, all distinct, every bit position balanced', async () => {
      const ids = await app.sql<{ id: string }>(
        `insert into sessions (id, created_at, organization_id, user_id, external_id, device, last_activity_at)
         select gen_random_uuid(), now(), $1, $2, 'entropy-' || n, '{}'::jsonb, now() from generate_series(1, 200) n returning id`,
        [a.organizationId, a.owner.id],
      );
      const tokens: string[] = [];
      for (const { id } of ids) {
        const response = await app.request({
          method: 'POST',
          url: `${ANALYTICS}/sessions/${id}/share`,
          headers: owner(a),
          payload: {},
        });
        expect(response.statusCode).toBe(201);
        tokens.push(response.json().share_token);
      }
      expect(new Set(tokens).size).toBe(tokens.length);
      const bodies = tokens.map((t) => {
        expect(t).toMatch(/^shr_[A-Za-z0-9_-]+$/);
        return Buffer.from(t.slice(4), 'base64url');
      });
      const bits = Math.min(...bodies.map((b) => b.length)) * 8;
      expect(bits).toBeGreaterThanOrEqual(128);
      // Each bit is set in about half the tokens (200 samples: mean 100, sd ~7; a fixed or counter bit fails).
      for (let bit = 0; bit < bits; bit++) {
        const ones = bodies.filter((body) => (body[bit >> 3] >> (7 - (bit & 7))) & 1).length;
        expect({ bit, ones, ok: ones > 55 && ones < 145 }).toEqual({ bit, ones, ok: true });
      }
      // And no shared prefixes, as a counter or a time-based token would have.
      expect(new Set(tokens.map((t) => t.slice(0, 10))).size).toBe(tokens.length);
    });

    it('guessing is rate-limited per address (429 with retry-after), the JSON view and the page alike', async () => {
      const address = '192.0.2.77';
      let limited: InjectResponse | undefined;
      for (let i = 0; i < 200 && !limited; i++) {
        const guess = `shr_${randomBytes(24).toString('base64url')}`;
        const response = await (i % 2 ? page(guess, address) : lookup(guess, address));
        if (response.statusCode === 429) limited = response;
        else expect(response.statusCode).toBe(404);
      }
      expect(limited).toBeDefined();
      expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
      // Even the right token is refused from that address now; another address is unaffected.
      expect((await lookup(shareTokenB, address)).statusCode).toBe(429);
      expect((await lookup(shareTokenB, '192.0.2.78')).statusCode).toBe(200);
    });
  });

  describe('case 6: platform API keys', () => {
    let second: TestApp;
    beforeAll(async () => {
      // A second instance of the app on the same database, as behind a load balancer.
      second = await startTestApp({ ANTHROPIC_BASE_URL: gateway.mock.url });
    });
    afterAll(async () => {
      await second.close();
    });
    const me = (target: TestApp, key: string) =>
      target.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': key } });

    it('wrong, revoked, expired, deleted-organization keys and the stored digest → 401 on both instances', async () => {
      const fresh = await createApiKey(app, a.owner, { name: 'soon revoked' });
      const expiring = await createApiKey(app, a.owner, { name: 'soon expired' });
      const otherOwner = await registerUser(app, 'Doomed Org Owner');
      const doomedOrg = await createOrganization(app, otherOwner, { name: 'Doomed' });
      const orphan = await createApiKey(app, otherOwner, { name: 'orphan' }, doomedOrg.id);
      for (const k of [fresh, expiring, orphan]) {
        secrets.add(k.key);
        expect((await me(app, k.key)).statusCode).toBe(200);
      }
      expect(
        (await app.request({ method: 'DELETE', url: `/api/v1/api-keys/${fresh.id}`, headers: owner(a) })).statusCode,
      ).toBe(204);
      await app.sql(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [expiring.id]);
      expect(
        (
          await app.request({
            method: 'DELETE',
            url: `/api/v1/organizations/${doomedOrg.id}`,
            headers: otherOwner.auth,
          })
        ).statusCode,
      ).toBe(204);
      const [{ digest }] = await app.sql<{ digest: string }>('select digest from api_keys where id = $1', [fresh.id]);
      const [{ digest: liveDigest }] = await app.sql<{ digest: string }>(
        `select digest from api_keys where organization_id = $1 and revoked_at is null limit 1`,
        [a.organizationId],
      );
      const refused = [
        `lmp_${randomBytes(24).toString('base64url').slice(0, 32)}`,
        `${a.key.slice(0, -1)}${a.key.endsWith('A') ? 'B' : 'A'}`,
        fresh.key,
        expiring.key,
        orphan.key,
        digest,
        liveDigest,
        `lmp_${liveDigest}`,
      ];
      for (const target of [app, second]) {
        for (const key of refused) {
          expectProblem(await me(target, key), 401, 'UNAUTHENTICATED');
          const proxied = await target.request({
            method: 'POST',
            url: MESSAGES,
            headers: { 'x-api-key': key, 'content-type': 'application/json' },
            payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
          });
          expect(proxied.statusCode).toBe(401);
          expect(proxied.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
        }
      }
      const [row] = await app.sql<{ revoked_at: Date | null }>('select revoked_at from api_keys where id = $1', [
        fresh.id,
      ]);
      expect(row.revoked_at).toBeInstanceOf(Date);
    });

    it('revocation through instance 1 takes effect at once on instance 2 (the proxy: once its notification is in)', async () => {
      const key = await createApiKey(app, a.owner, { name: 'two instances' });
      secrets.add(key.key);
      const calls = (target: TestApp) => [
        me(target, key.key),
        target.request({ method: 'GET', url: SESSIONS, headers: { 'x-lamplight-api-key': key.key } }),
        target.request({ method: 'GET', url: `${ANALYTICS}/tokens`, headers: { authorization: `Bearer ${key.key}` } }),
      ];
      // Warm whatever the instances may cache, several times over.
      for (let i = 0; i < 3; i++) {
        for (const target of [app, second])
          for (const response of await Promise.all(calls(target))) expect(response.statusCode).toBe(200);
      }
      const upstreamBefore = gateway.mock.requests.length;
      const ok = await fetch(`${gateway.baseURL}${MESSAGES}`, {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(ok.status).toBe(200);
      await ok.text();

      const notified = invalidationReceived(second, 'api-key', key.id);
      expect(
        (await app.request({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: owner(a) })).statusCode,
      ).toBe(204);
      // The API reads the key on every request: refused at once, without any notification.
      for (const response of await Promise.all(calls(second))) expectProblem(response, 401, 'UNAUTHENTICATED');
      // The proxy's hot path may answer from memory until the revocation's notification (sent on commit) is in.
      await notified;
      const proxied = await second.request({
        method: 'POST',
        url: MESSAGES,
        headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
        payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
      });
      expect(proxied.statusCode).toBe(401);
      for (const response of await Promise.all(calls(app))) expectProblem(response, 401, 'UNAUTHENTICATED');
      expect(gateway.mock.requests.length).toBe(upstreamBefore + 1);
    });
  });

  describe('case 7: stored provider keys', () => {
    const call = (target: TestApp, headers: Record<string, string>) =>
      target.request({
        method: 'POST',
        url: MESSAGES,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          'x-lamplight-session-id': 'kek-check',
        },
        payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
      });

    /** What a client must get when the stored key cannot be read: a safe, clear 500 api_error. */
    function expectUnreadable(response: InjectResponse, plaintext: string, ciphertext: string): void {
      expect(response.statusCode).toBe(500);
      const body = response.json();
      expect(body).toMatchObject({
        type: 'error',
        error: { type: 'api_error', message: expect.stringMatching(/stored provider key could not be decrypted/i) },
      });
      for (const secret of [plaintext, plaintext.slice(-8), ciphertext, ciphertext.slice(3, 20)])
        expect(response.body).not.toContain(secret);
      expect(response.body).not.toMatch(/\bat .+\.(ts|js):\d+|aes|gcm|auth tag|ENCRYPTION_KEY/i);
    }

    async function orgWithKey(
      name: string,
    ): Promise<{ owner: TestUser; organizationId: string; keyId: string; plaintext: string; ciphertext: string }> {
      const user = await registerUser(app, name);
      const plaintext = fakeAnthropicKey();
      secrets.add(plaintext);
      secrets.add(user.token);
      const created = await createProviderKey(app, user, { name: 'main', key: plaintext });
      const [{ ciphertext }] = await app.sql<{ ciphertext: string }>(
        'select ciphertext from provider_keys where id = $1',
        [created.id],
      );
      return { owner: user, organizationId: user.organizationId, keyId: created.id, plaintext, ciphertext };
    }

    it('responses show the last 4 characters only; the column is versioned ciphertext, not the plaintext', async () => {
      const org = await orgWithKey('Cipher Owner');
      const list = await app.request({ method: 'GET', url: '/api/v1/provider-keys', headers: org.owner.auth });
      expect(list.statusCode).toBe(200);
      expect(list.json().data ?? list.json()).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: org.keyId, last4: org.plaintext.slice(-4) })]),
      );
      expect(list.body).not.toContain(org.plaintext.slice(0, -4));
      expect(org.ciphertext).toMatch(/^v1:[A-Za-z0-9+/=]+$/);
      expect(org.ciphertext).not.toContain(org.plaintext);
      expect(Buffer.from(org.ciphertext.slice(3), 'base64').toString('latin1')).not.toContain(
        org.plaintext.slice(7, 20),
      );
      const [row] = await app.sql<Record<string, unknown>>('select * from provider_keys where id = $1', [org.keyId]);
      expect(JSON.stringify(row)).not.toContain(org.plaintext);
      // It works as it is: the upstream receives exactly the plaintext.
      const ok = await call(app, org.owner.auth);
      expect(ok.statusCode).toBe(200);
      expect(gateway.mock.requests.at(-1)?.apiKey).toBe(org.plaintext);
    });

    it('a flipped bit → 500 api_error with a clear, safe message; nothing goes upstream; the error is logged without secrets', async () => {
      const org = await orgWithKey('Flipped Owner');
      const raw = Buffer.from(org.ciphertext.slice(3), 'base64');
      raw[raw.length - 1] ^= 0x01;
      const flipped = `v1:${raw.toString('base64')}`;
      await app.sql('update provider_keys set ciphertext = $1 where id = $2', [flipped, org.keyId]);
      const upstreamBefore = gateway.mock.requests.length;
      const logsBefore = app.logs.length;
      expectUnreadable(await call(app, org.owner.auth), org.plaintext, flipped);
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
      const logged = app.logs.slice(logsBefore).join('\n');
      expect(logged).toContain(org.keyId);
      expect(logged).toMatch(/could not be decrypted/);
      expect(logged).not.toContain(flipped);
      expect(logged).not.toContain(org.plaintext);
      const [row] = await app.sql<{ ciphertext: string }>('select ciphertext from provider_keys where id = $1', [
        org.keyId,
      ]);
      expect(row.ciphertext).toBe(flipped);
    });

    it('a ciphertext copied into another organization’s row fails to decrypt there', async () => {
      const source = await orgWithKey('Copy Source');
      const target = await orgWithKey('Copy Target');
      await app.sql('update provider_keys set ciphertext = $1 where id = $2', [source.ciphertext, target.keyId]);
      const upstreamBefore = gateway.mock.requests.length;
      expectUnreadable(await call(app, target.owner.auth), source.plaintext, source.ciphertext);
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
      // And moved into the same organization under another row id, too.
      const second = await createProviderKey(app, source.owner, {
        name: 'second',
        key: fakeAnthropicKey(),
        isDefault: true,
      });
      await app.sql('update provider_keys set ciphertext = $1 where id = $2', [source.ciphertext, second.id]);
      expectUnreadable(await call(app, source.owner.auth), source.plaintext, source.ciphertext);
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
    });

    it('an instance booted with another ENCRYPTION_KEY on the same database cannot use the stored key', async () => {
      const org = await orgWithKey('Wrong KEK Owner');
      const other = await startTestApp({
        ANTHROPIC_BASE_URL: gateway.mock.url,
        ENCRYPTION_KEY: `hex:${'22'.repeat(32)}`,
      });
      try {
        const upstreamBefore = gateway.mock.requests.length;
        expectUnreadable(await call(other, org.owner.auth), org.plaintext, org.ciphertext);
        expect(gateway.mock.requests.length).toBe(upstreamBefore);
        expect(other.logs.join('\n')).not.toContain(org.plaintext);
        // Each instance authenticates with its own keys: booting another app in the process does not
        // swap this one's API-key check for the other's (passport's registry is process-global).
        expect(
          (await app.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': a.key } }))
            .statusCode,
        ).toBe(200);
        expect(
          (await other.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': a.key } }))
            .statusCode,
        ).toBe(401);
      } finally {
        await other.close();
      }
      // The right key still reads it.
      expect((await call(app, org.owner.auth)).statusCode).toBe(200);
    });
  });

  describe('case 8: no credential in any log line', () => {
    it('across success, upstream 401 and 5xx, validation errors and refusals', async () => {
      const clientKey = fakeAnthropicKey();
      secrets.add(clientKey);
      const key = a.key;
      const scenarios = [
        'MOCK:{}',
        'MOCK:{"status":401,"errorType":"authentication_error"}',
        'MOCK:{"status":500}',
        'MOCK:{"status":503,"retryAfter":0}',
      ];
      for (const text of scenarios) {
        for (const headers of [
          { 'x-api-key': key },
          { authorization: `Bearer ${key}` },
          { ...a.owner.auth, 'x-api-key': clientKey },
          a.owner.auth,
        ]) {
          await app.request({
            method: 'POST',
            url: MESSAGES,
            headers: { ...headers, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
            payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: text }] },
          });
        }
      }
      // Validation errors and refusals, with credentials everywhere a client might put them.
      await app.request({
        method: 'PATCH',
        url: `${SESSIONS}/${SHARED_EXTERNAL_ID}`,
        headers: a.owner.auth,
        payload: { title: 42, apiKey: key },
      });
      await app.request({
        method: 'POST',
        url: '/api/v1/provider-keys',
        headers: a.owner.auth,
        payload: { name: 'x', key: clientKey, extra: clientKey },
      });
      await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: a.owner.email, password: a.owner.password, token: a.owner.token },
      });
      await app.request({
        method: 'GET',
        url: `${SESSIONS}?before=${encodeURIComponent(key)}`,
        headers: { 'x-lamplight-api-key': key },
      });
      await app.request({
        method: 'GET',
        url: SESSIONS,
        headers: { authorization: `Bearer ${a.owner.token}x`, cookie: `session=${a.owner.token}` },
      });
      await app.request({
        method: 'POST',
        url: MESSAGES,
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        payload: '{"model":',
      });
      await flushRecorder(gateway);

      expect(app.logs.length).toBeGreaterThan(50);
      expectNoCredentialLogged(app, secrets);
    });
  });

  describe('case 9: JWT forgeries on every kind of route (the /me matrix is in auth.e2e-spec.ts)', () => {
    const ISSUER = 'lamplight';
    const AUDIENCE = 'lamplight-api';
    const now = () => Math.floor(Date.now() / 1000);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const tokens = (sub: string): [string, string][] => [
      [
        'alg none',
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}.`,
      ],
      [
        'HS/RS confusion',
        (() => {
          const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub, iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}`;
          return `${head}.${createHmac('sha256', TEST_JWT_SECRET).update(head).digest('base64url')}`;
        })(),
      ],
      ['expired', jwt.sign({ sub, exp: now() - 10 }, TEST_JWT_SECRET, { issuer: ISSUER, audience: AUDIENCE })],
      [
        'future nbf',
        jwt.sign({ sub }, TEST_JWT_SECRET, { issuer: ISSUER, audience: AUDIENCE, expiresIn: 600, notBefore: 600 }),
      ],
      ['wrong aud', jwt.sign({ sub }, TEST_JWT_SECRET, { issuer: ISSUER, audience: 'elsewhere', expiresIn: 600 })],
      ['wrong iss', jwt.sign({ sub }, TEST_JWT_SECRET, { issuer: 'elsewhere', audience: AUDIENCE, expiresIn: 600 })],
    ];

    it('a well-formed token of the same shape is accepted (so the forgeries fail for their flaw)', async () => {
      const good = jwt.sign({ sub: a.owner.id }, TEST_JWT_SECRET, {
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: 600,
        algorithm: 'HS256',
      });
      expect(
        (await app.request({ method: 'GET', url: SESSIONS, headers: { authorization: `Bearer ${good}` } })).statusCode,
      ).toBe(200);
    });

    it('each forgery → 401 on sessions, analytics, tasks and the proxy; nothing upstream or written', async () => {
      const before = await orgSnapshot(app, a.organizationId);
      const upstreamBefore = gateway.mock.requests.length;
      for (const [label, token] of tokens(a.owner.id)) {
        const headers = { authorization: `Bearer ${token}` };
        for (const [method, url, payload] of [
          ['GET', SESSIONS, undefined],
          ['PATCH', `${SESSIONS}/${sessionA}`, { title: 'forged' }],
          ['GET', `${ANALYTICS}/tokens`, undefined],
          ['POST', TASKS, { query: 'q', session_id: SHARED_EXTERNAL_ID }],
        ] as const) {
          const response = await app.request({ method, url, headers, ...(payload ? { payload } : {}) });
          expect({ label, url, status: response.statusCode }).toEqual({ label, url, status: 401 });
        }
        const proxied = await app.request({
          method: 'POST',
          url: MESSAGES,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
        });
        expect({ label, status: proxied.statusCode, type: proxied.json().error?.type }).toEqual({
          label,
          status: 401,
          type: 'authentication_error',
        });
      }
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
      expect(await orgSnapshot(app, a.organizationId)).toBe(before);
    });

    it('a deleted user’s valid token → 401 on the proxy and the sessions routes', async () => {
      const doomed = await registerUser(app, 'Deleted Caller');
      await addMember(app, a.owner, a.organizationId, doomed, 'member');
      const headers = { ...doomed.auth, ...a.orgHeaders };
      expect((await app.request({ method: 'GET', url: SESSIONS, headers })).statusCode).toBe(200);
      await app.sql('delete from users where id = $1', [doomed.id]);
      expectProblem(await app.request({ method: 'GET', url: SESSIONS, headers }), 401, 'UNAUTHENTICATED');
      const proxied = await app.request({
        method: 'POST',
        url: MESSAGES,
        headers: { ...headers, 'content-type': 'application/json' },
        payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
      });
      expect(proxied.statusCode).toBe(401);
    });
  });

  it('logged no credential it used', () => {
    expectNoCredentialLogged(app, secrets);
  });
});
