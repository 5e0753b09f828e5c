import jwt from 'jsonwebtoken';
import { LoginAttempts } from '../../src/modules/auth/login-attempts.service';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  expectProblem,
  registerUser,
  startTestApp,
  TEST_JWT_SECRET,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const ISSUER = 'lamplight';
const AUDIENCE = 'lamplight-api';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token as the app would sign it, with any claim or option overridden. */
function signToken(
  payload: Record<string, unknown>,
  options: jwt.SignOptions = {},
  secret: jwt.Secret = TEST_JWT_SECRET,
): string {
  const merged: jwt.SignOptions = {
    algorithm: 'HS256',
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: 600,
    ...options,
  };
  // An option given as undefined means: leave that claim out.
  for (const [name, value] of Object.entries(merged)) {
    if (value === undefined) delete merged[name as keyof jwt.SignOptions];
  }
  return jwt.sign(payload, secret, merged);
}

function me(app: TestApp, headers: Record<string, string> = {}) {
  return app.request({ method: 'GET', url: '/api/v1/auth/me', headers });
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

describe('auth', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('registers a user with a personal organization, signs in, and answers me', async () => {
    const user = await registerUser(app, 'Ada Lovelace');
    const me = await app.request({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth });
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({ id: user.id, email: user.email, name: 'Ada Lovelace' });
    expect(me.json().organizations).toEqual([expect.objectContaining({ id: user.organizationId, role: 'owner' })]);

    const login = await app.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email.toUpperCase(), password: user.password },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, user: { id: user.id } });
  });

  describe('register, login and me', () => {
    it('stores the email lower-cased, creates user, organization and owner membership, and never stores the password', async () => {
      const suffix = randomUUID().slice(0, 8);
      const email = `Grace.Hopper.${suffix}@Example.COM`;
      const password = 'a very long password 123';
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email, name: '  Grace Hopper  ', password },
      });
      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 3600,
        user: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          email: email.toLowerCase(),
          name: 'Grace Hopper',
          defaultOrganizationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      });
      expect(response.body).not.toContain(password);

      const decoded = jwt.verify(body.accessToken, TEST_JWT_SECRET, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
      }) as jwt.JwtPayload;
      expect(decoded.sub).toBe(body.user.id);
      expect(decoded.exp! - decoded.iat!).toBe(3600);

      const [row] = await app.sql<{ email: string; password_hash: string; default_organization_id: string }>(
        'select email, password_hash, default_organization_id from users where id = $1',
        [body.user.id],
      );
      expect(row.email).toBe(email.toLowerCase());
      expect(row.default_organization_id).toBe(body.user.defaultOrganizationId);
      expect(row.password_hash).toMatch(/^scrypt\$/);
      expect(row.password_hash).not.toContain(password);
      const memberships = await app.sql('select organization_id, role from memberships where user_id = $1', [
        body.user.id,
      ]);
      expect(memberships).toEqual([{ organization_id: body.user.defaultOrganizationId, role: 'owner' }]);
    });

    it('logs in with the email in any case and the token answers me', async () => {
      const user = await registerUser(app, 'Case Test');
      const [local, domain] = user.email.split('@');
      const mixed = `${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}`;
      const login = await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: mixed, password: user.password },
      });
      expect(login.statusCode).toBe(200);
      expect(login.json().user).toMatchObject({ id: user.id, email: user.email });

      const response = await me(app, bearer(login.json().accessToken));
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        user: expect.objectContaining({ id: user.id, email: user.email, name: 'Case Test' }),
        organizations: [expect.objectContaining({ id: user.organizationId, role: 'owner' })],
      });
    });

    it('refuses a second account with the same email, whatever its case (409), and creates nothing', async () => {
      const user = await registerUser(app);
      const before = await app.sql<{ n: string }>('select count(*)::text as n from users');
      const organizationsBefore = await app.sql<{ n: string }>('select count(*)::text as n from organizations');
      for (const email of [user.email, user.email.toUpperCase()]) {
        const response = await app.request({
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: { email, name: 'Impostor', password: 'another long password' },
        });
        const body = expectProblem(response, 409, 'EMAIL_TAKEN');
        expect(body.title).toBe('Conflict');
      }
      expect(await app.sql('select count(*)::text as n from users')).toEqual(before);
      expect(await app.sql('select count(*)::text as n from organizations')).toEqual(organizationsBefore);
      // The original account still signs in with its own password, not the impostor's.
      const login = await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: user.email, password: 'another long password' },
      });
      expect(login.statusCode).toBe(401);
    });

    it('makes exactly one account when the same email registers twice at once (201 and 409)', async () => {
      const email = `race-${randomUUID()}@example.com`;
      const [{ started }] = await app.sql<{ started: Date }>("select now() - interval '1 second' as started");
      const register = (name: string) =>
        app.request({
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: { email, name, password: 'a long enough password' },
        });
      const responses = await Promise.all([register('First'), register('Second'), register('Third')]);
      const statuses = responses.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([201, 409, 409]);
      for (const conflict of responses.filter((r) => r.statusCode === 409)) expectProblem(conflict, 409, 'EMAIL_TAKEN');
      const rows = await app.sql<{ id: string; default_organization_id: string }>(
        'select id, default_organization_id from users where email = $1',
        [email],
      );
      expect(rows).toHaveLength(1);
      const winner = responses.find((r) => r.statusCode === 201)!.json();
      expect(rows[0]).toEqual({ id: winner.user.id, default_organization_id: winner.user.defaultOrganizationId });
      // The losers left no organization or membership behind.
      const orphans = await app.sql(
        `select o.id from organizations o
          where o.created_at >= $1 and not exists (select 1 from memberships m where m.organization_id = o.id)`,
        [started],
      );
      expect(orphans).toEqual([]);
    });

    it('answers a wrong password and an unknown email identically (401 INVALID_CREDENTIALS)', async () => {
      const user = await registerUser(app);
      const wrongPassword = await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: user.email, password: 'not the right password' },
      });
      const unknownEmail = await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: `nobody-${randomUUID()}@example.com`, password: user.password },
      });
      const a = expectProblem(wrongPassword, 401, 'INVALID_CREDENTIALS');
      const b = expectProblem(unknownEmail, 401, 'INVALID_CREDENTIALS');
      const { requestId: _a, ...restA } = a;
      const { requestId: _b, ...restB } = b;
      expect(restA).toEqual(restB);
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      expect(wrongPassword.headers['content-type']).toBe(unknownEmail.headers['content-type']);
      expect(wrongPassword.body).not.toContain(user.email);
    });

    it('refuses login for a deleted user, even with the right password', async () => {
      const user = await registerUser(app);
      await app.sql('delete from users where id = $1', [user.id]);
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: user.email, password: user.password },
      });
      expectProblem(response, 401, 'INVALID_CREDENTIALS');
    });
  });

  describe('JWT checks', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await registerUser(app, 'Token Owner');
    });

    it('accepts a token signed exactly as the app signs them (the forging below is otherwise sound)', async () => {
      const response = await me(app, bearer(signToken({ sub: user.id })));
      expect(response.statusCode).toBe(200);
      expect(response.json().user.id).toBe(user.id);
    });

    const rejected: [string, () => string][] = [
      [
        'expired',
        () => signToken({ sub: user.id, iat: nowSeconds() - 7200, exp: nowSeconds() - 60 }, { expiresIn: undefined }),
      ],
      [
        'signed with a wrong secret (forged)',
        () => signToken({ sub: user.id }, {}, `${TEST_JWT_SECRET}-but-not-quite`),
      ],
      [
        'unsigned (alg: none)',
        () =>
          `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
            sub: user.id,
            iss: ISSUER,
            aud: AUDIENCE,
            iat: nowSeconds(),
            exp: nowSeconds() + 600,
          })}.`,
      ],
      [
        'alg: none with the real signature left on',
        () => {
          const [, payload, signature] = signToken({ sub: user.id }).split('.');
          return `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`;
        },
      ],
      ['for another audience', () => signToken({ sub: user.id }, { audience: 'some-other-api' })],
      ['from another issuer', () => signToken({ sub: user.id }, { issuer: 'someone-else' })],
      ['without an audience', () => jwt.sign({ sub: user.id }, TEST_JWT_SECRET, { issuer: ISSUER, expiresIn: 600 })],
      ['without an issuer', () => jwt.sign({ sub: user.id }, TEST_JWT_SECRET, { audience: AUDIENCE, expiresIn: 600 })],
      ['not yet valid (future nbf)', () => signToken({ sub: user.id }, { notBefore: 3600 })],
      ['without an expiry', () => signToken({ sub: user.id }, { expiresIn: undefined })],
      [
        'declaring RS256 but HMAC-signed with the secret (algorithm confusion)',
        () => {
          const header = b64url({ alg: 'RS256', typ: 'JWT' });
          const payload = b64url({
            sub: user.id,
            iss: ISSUER,
            aud: AUDIENCE,
            iat: nowSeconds(),
            exp: nowSeconds() + 600,
          });
          const signature = createHmac('sha256', TEST_JWT_SECRET).update(`${header}.${payload}`).digest('base64url');
          return `${header}.${payload}.${signature}`;
        },
      ],
      [
        'really RS256-signed with an attacker key',
        () => {
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          return jwt.sign({ sub: user.id }, privateKey, {
            algorithm: 'RS256',
            issuer: ISSUER,
            audience: AUDIENCE,
            expiresIn: 600,
          });
        },
      ],
      ['HS512-signed with the right secret', () => signToken({ sub: user.id }, { algorithm: 'HS512' })],
      ['for a user that does not exist', () => signToken({ sub: randomUUID() })],
      ['with a subject that is not a user id', () => signToken({ sub: 'admin' })],
      ['with no subject', () => signToken({ user: user.id })],
      ['garbage', () => 'this-is-not-a-jwt'],
      ['three garbage segments', () => 'aaa.bbb.ccc'],
      [
        'a token with its payload altered',
        () => {
          const other = randomUUID();
          const [header, , signature] = signToken({ sub: user.id }).split('.');
          return `${header}.${b64url({ sub: other, iss: ISSUER, aud: AUDIENCE, iat: nowSeconds(), exp: nowSeconds() + 600 })}.${signature}`;
        },
      ],
    ];

    it.each(rejected)('rejects a token %s with 401 UNAUTHENTICATED', async (_label, makeToken) => {
      const response = await me(app, bearer(makeToken()));
      const body = expectProblem(response, 401, 'UNAUTHENTICATED');
      expect(body.title).toBe('Unauthorized');
      expect(response.body).not.toContain(user.email);
    });

    it('rejects the token of a user whose row is then deleted', async () => {
      const doomed = await registerUser(app, 'Soon Gone');
      expect((await me(app, doomed.auth)).statusCode).toBe(200);
      await app.sql('delete from users where id = $1', [doomed.id]);
      expectProblem(await me(app, doomed.auth), 401, 'UNAUTHENTICATED');
      // The same applies to any other protected route.
      expectProblem(
        await app.request({ method: 'GET', url: '/api/v1/organizations', headers: doomed.auth }),
        401,
        'UNAUTHENTICATED',
      );
    });

    it('only takes the token from the Authorization header with the Bearer scheme', async () => {
      const token = signToken({ sub: user.id });
      expect((await me(app, { authorization: `bearer ${token}` })).statusCode).toBe(200);
      expectProblem(await me(app, { authorization: token }), 401, 'UNAUTHENTICATED');
      expectProblem(await me(app, { authorization: `Basic ${token}` }), 401, 'UNAUTHENTICATED');
      expectProblem(
        await app.request({ method: 'GET', url: `/api/v1/auth/me?access_token=${token}` }),
        401,
        'UNAUTHENTICATED',
      );
      expectProblem(await me(app, { 'x-lamplight-api-key': token }), 401, 'UNAUTHENTICATED');
    });
  });

  describe('deny by default', () => {
    it.each([
      ['GET', '/api/v1/auth/me'],
      ['GET', '/api/v1/organizations'],
      ['POST', '/api/v1/organizations'],
      ['GET', '/api/v1/api-keys'],
      ['POST', '/api/v1/api-keys'],
      ['DELETE', `/api/v1/api-keys/${randomUUID()}`],
      ['GET', '/api/v1/provider-keys'],
    ] as const)('%s %s without credentials is 401 problem+json', async (method, url) => {
      const response = await app.request({ method, url, ...(method === 'POST' ? { payload: {} } : {}) });
      const body = expectProblem(response, 401, 'UNAUTHENTICATED');
      expect(body).toMatchObject({
        type: 'https://lamplight.dev/problems/unauthenticated',
        title: 'Unauthorized',
        detail: 'Missing or invalid credentials',
      });
    });

    it('an empty Bearer token is 401', async () => {
      expectProblem(await me(app, { authorization: 'Bearer ' }), 401, 'UNAUTHENTICATED');
    });
  });

  describe('request validation', () => {
    it('lists each failing field of a register body (400 problem+json with errors[]) and creates nothing', async () => {
      const before = await app.sql('select count(*)::text as n from users');
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: 'not-an-email', name: 'Short Password', password: 'short' },
      });
      const body = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { field: 'email', message: expect.any(String) },
          { field: 'password', message: expect.any(String) },
        ]),
      );
      const fields = new Set(body.errors!.map((e) => e.field));
      expect([...fields].sort()).toEqual(['email', 'password']);
      expect(response.body).not.toContain('short"');
      expect(await app.sql('select count(*)::text as n from users')).toEqual(before);
    });

    it('names missing fields and refuses unknown ones', async () => {
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { isAdmin: true },
      });
      const body = expectProblem(response, 400, 'VALIDATION_FAILED');
      const fields = new Set(body.errors!.map((e) => e.field));
      expect([...fields].sort()).toEqual(['email', 'isAdmin', 'name', 'password']);
    });

    it('refuses a blank name and a password one character too short, and accepts exactly 12', async () => {
      const email = `edge-${randomUUID()}@example.com`;
      const bad = await app.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email, name: '   ', password: '12345678901' },
      });
      const body = expectProblem(bad, 400, 'VALIDATION_FAILED');
      expect([...new Set(body.errors!.map((e) => e.field))].sort()).toEqual(['name', 'password']);

      const good = await app.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email, name: 'Edge', password: '123456789012' },
      });
      expect(good.statusCode).toBe(201);
    });

    it('validates the login body the same way', async () => {
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'nope', password: '' },
      });
      const body = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect([...new Set(body.errors!.map((e) => e.field))].sort()).toEqual(['email', 'password']);
    });

    it('answers a malformed JSON body with 400 problem+json', async () => {
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"email": ',
      });
      expectProblem(response, 400, 'BAD_REQUEST');
    });
  });

  it('never writes a password or token to the log', async () => {
    const user = await registerUser(app, 'Log Check');
    await app.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: user.password },
    });
    await me(app, user.auth);
    const logs = app.logs.join('\n');
    expect(logs).toContain('/api/v1/auth/login');
    expect(logs).not.toContain(user.password);
    expect(logs).not.toContain(user.token);
  });
});

describe('login rate limiting', () => {
  let app: TestApp;
  let ipCounter = 0;
  /** A client address used nowhere else in this suite. */
  const freshAddress = () => `10.20.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

  async function register(name: string): Promise<{ email: string; password: string; id: string }> {
    const email = `limited-${randomUUID()}@example.com`;
    const password = 'rate limited password';
    const response = await app.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: freshAddress(),
      payload: { email, name, password },
    });
    expect(response.statusCode).toBe(201);
    return { email, password, id: response.json().user.id };
  }

  function login(email: string, password: string, remoteAddress: string) {
    return app.request({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { email, password } });
  }

  beforeAll(async () => {
    app = await startTestApp({
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '3',
      LOGIN_RATE_LIMIT_PER_IP: '5',
      LOGIN_RATE_LIMIT_WINDOW_SECONDS: '60',
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it('holds back an address that keeps failing on one account (429, retry-after, growing), never the account itself', async () => {
    const account = await register('Target');
    const attacker = freshAddress();
    const attempts = [
      await login(account.email, 'wrong password 1', attacker),
      await login(account.email.toUpperCase(), 'wrong password 2', attacker),
      await login(account.email, 'wrong password 3', attacker),
    ];
    expect(attempts.map((r) => r.statusCode)).toEqual([401, 401, 401]);

    // That address waits, even with the right password, in any email case.
    const fourth = await login(account.email.toUpperCase(), account.password, attacker);
    const body = expectProblem(fourth, 429, 'TOO_MANY_ATTEMPTS');
    expect(body.title).toBe('Too Many Requests');
    const retryAfter = Number(fourth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(fourth.body).not.toContain('accessToken');

    // The owner, from a clean address, signs in with the right password.
    const owner = await login(account.email, account.password, freshAddress());
    expect(owner.statusCode).toBe(200);
    expect(owner.json().user.id).toBe(account.id);

    // Failures spread over many addresses lock nobody out either.
    for (let i = 0; i < 6; i += 1)
      expect((await login(account.email, `spread ${i}`, freshAddress())).statusCode).toBe(401);
    expect((await login(account.email, account.password, freshAddress())).statusCode).toBe(200);

    // Backoff: once the wait is over, the next failure from that address doubles it.
    const persistent = freshAddress();
    for (let i = 0; i < 3; i += 1)
      expect((await login(account.email, `persistent ${i}`, persistent)).statusCode).toBe(401);
    // (The per-address limit, 5 here, counts every attempt: this address has two left.)
    const later = Date.now() + 61_000;
    const clock = jest.spyOn(app.app.get(LoginAttempts), 'now').mockImplementation(() => later);
    try {
      expect((await login(account.email, 'persistent again', persistent)).statusCode).toBe(401);
      const doubled = await login(account.email, account.password, persistent);
      expectProblem(doubled, 429, 'TOO_MANY_ATTEMPTS');
      expect(Number(doubled.headers['retry-after'])).toBe(120);
    } finally {
      clock.mockRestore();
    }

    // Another account is not affected.
    const other = await register('Bystander');
    const ok = await login(other.email, other.password, freshAddress());
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.id).toBe(other.id);
  });

  it('limits one address across different accounts (the 6th attempt is 429), leaving other addresses alone', async () => {
    const accounts = [];
    for (let i = 0; i < 6; i += 1) accounts.push(await register(`Spray ${i}`));
    const address = freshAddress();
    for (const account of accounts.slice(0, 5)) {
      const response = await login(account.email, account.password, address);
      expect(response.statusCode).toBe(200);
    }
    const sixth = await login(accounts[5].email, accounts[5].password, address);
    expectProblem(sixth, 429, 'TOO_MANY_ATTEMPTS');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(60);

    // The same account from another address is fine: the address was the limit, not the account.
    const elsewhere = await login(accounts[5].email, accounts[5].password, freshAddress());
    expect(elsewhere.statusCode).toBe(200);
  });

  it('counts an IPv6 client by its /64, so rotating addresses within it does not escape the limit', async () => {
    const accounts = [];
    for (let i = 0; i < 6; i += 1) accounts.push(await register(`Rotator ${i}`));
    for (const [i, account] of accounts.slice(0, 5).entries()) {
      const response = await login(account.email, account.password, `2001:db8:77:1::${(i + 1).toString(16)}`);
      expect(response.statusCode).toBe(200);
    }
    const sixth = await login(accounts[5].email, accounts[5].password, '2001:db8:77:1:ffff:ffff:ffff:fff0');
    expectProblem(sixth, 429, 'TOO_MANY_ATTEMPTS');
    // Another /64 is another client.
    const neighbour = await login(accounts[5].email, accounts[5].password, '2001:db8:77:2::1');
    expect(neighbour.statusCode).toBe(200);
  });

  it('does not limit other routes by the login counters', async () => {
    const account = await register('Unlimited');
    const token = (await login(account.email, account.password, freshAddress())).json().accessToken;
    const address = freshAddress();
    for (let i = 0; i < 8; i += 1) {
      const response = await app.request({
        method: 'GET',
        url: '/api/v1/auth/me',
        remoteAddress: address,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.statusCode).toBe(200);
    }
  });
});
