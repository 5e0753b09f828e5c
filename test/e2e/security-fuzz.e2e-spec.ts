/**
 * Issue 8, case 21: property-based requests (fast-check, through Fastify's inject) to every
 * operation of the OpenAPI document the app serves, with random path parameters, query values
 * and bodies (schema-shaped, mutated, or arbitrary JSON), authenticated as a member of
 * organization A. Never a 5xx; every status is one the document lists for the operation; a
 * success body matches its documented schema; and no body ever carries one of organization B's
 * ids. Bounded: a fixed seed, a fixed number of runs per operation and a time limit.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Response as InjectResponse } from 'light-my-request';
import type { TestApp } from '../support/test-app';
import { orgHeader } from '../support/tenancy-fixtures';
import { createTeam, type Gateway, sdk, sessionWithCalls, startGateway, type Team } from '../support/sessions-fixtures';

const SEED = 20261123;
const RUNS_PER_OPERATION = 30;
const TIME_LIMIT_PER_OPERATION_MS = 8_000;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON Schema from the OpenAPI document, walked by key
type Schema = Record<string, any>;
interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  operation: Schema;
}

describe('fuzzing every documented operation (issue 8, case 21)', () => {
  let gateway: Gateway;
  let app: TestApp;
  let a: Team;
  let b: Team;
  let document: Schema;
  let operations: Operation[];
  /** Ids that must never appear in an answer to A's member. */
  let idsB: string[];
  /** Values the generators draw from: A's and B's real ids (the interesting ones), and odd strings. */
  let idPool: string[];
  /** A's sessions (UUIDs and external ids) and calls. */
  let idsA: string[];

  beforeAll(async () => {
    gateway = await startGateway({ LOGIN_RATE_LIMIT_PER_IP: '10000', LOGIN_RATE_LIMIT_PER_ACCOUNT: '10000' });
    app = gateway.app;
    a = await createTeam(gateway, 'Fuzz A');
    b = await createTeam(gateway, 'Fuzz B');
    for (const [team, external] of [
      [a, 'fuzz-shared'],
      [b, 'fuzz-shared'],
      [b, 'fuzz-b-only'],
    ] as const) {
      await sessionWithCalls(gateway, sdk(gateway, { key: team.key }), team.organizationId, external, ['one', 'two']);
    }
    const share = await app.request({
      method: 'POST',
      url: '/spotlight/analytics/sessions/fuzz-b-only/share',
      headers: { ...b.owner.auth, ...b.orgHeaders },
      payload: {},
    });
    expect(share.statusCode).toBe(201);

    const rows = await app.sql<{ id: string; org: string }>(
      `select id::text, organization_id::text as org from sessions
       union all select id::text, organization_id::text from interactions
       union all select id::text, organization_id::text from api_keys
       union all select id::text, organization_id::text from provider_keys
       union all select id::text, organization_id::text from share_links
       union all select user_id::text, organization_id::text from memberships
       union all select id::text, id::text from organizations`,
    );
    const of = (team: Team) => rows.filter((r) => r.org === team.organizationId).map((r) => r.id);
    idsB = [...new Set(of(b))];
    // A's member's own user id is left out, so a random "remove member" cannot make them leave A mid-run.
    idPool = [...new Set([...of(a), ...idsB])].filter((id) => id !== a.member.id);
    const ownA = await app.sql<{ id: string }>(
      `select id::text from sessions where organization_id = $1 union select external_id from sessions where organization_id = $1
       union select id::text from interactions where organization_id = $1 union select $1::text`,
      [a.organizationId],
    );
    idsA = ownA.map((r) => r.id);

    const served = await app.request({ method: 'GET', url: '/docs-json' });
    expect(served.statusCode).toBe(200);
    document = served.json();
    operations = Object.entries(document.paths as Record<string, Schema>).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({ method, path, operation: item[method] as Schema })),
    );
  });

  afterAll(async () => {
    await gateway?.close();
  });

  /** Follows a local `$ref`. */
  function resolve(schema: Schema | undefined): Schema | undefined {
    let current = schema;
    for (let depth = 0; current?.$ref && depth < 10; depth++) {
      const path = (current.$ref as string).replace(/^#\//, '').split('/');
      current = path.reduce<Schema | undefined>((node, part) => node?.[part], document);
    }
    return current;
  }

  const oddStrings = fc.constantFrom(
    '',
    ' ',
    '..',
    '../..',
    '%2F',
    '\u0000',
    '\u202e',
    'null',
    'undefined',
    '-1',
    '0',
    '1e309',
    'NaN',
    "' or 1=1 --",
    '<script>',
    'a'.repeat(300),
    'default-session',
    'fuzz-shared',
    'fuzz-b-only',
  );
  const anyString = () => fc.oneof(fc.string({ maxLength: 40 }), oddStrings, fc.constantFrom(...idPool), fc.uuid());
  const anyScalar = () =>
    fc.oneof(anyString(), fc.integer({ min: -1e12, max: 1e12 }), fc.double(), fc.boolean(), fc.constant(null));

  /** Values shaped by a schema, now and then replaced by something else entirely (the mutation). */
  function valueFor(raw: Schema | undefined, depth = 0, mutate = true): fc.Arbitrary<unknown> {
    const schema = resolve(raw) ?? {};
    const variants = schema.oneOf ?? schema.anyOf;
    if (variants) return fc.oneof(...(variants as Schema[]).map((v) => valueFor(v, depth + 1)));
    if (schema.allOf)
      return valueFor(Object.assign({}, ...(schema.allOf as Schema[]).map((s) => resolve(s))), depth + 1);
    let shaped: fc.Arbitrary<unknown>;
    if (schema.enum) shaped = fc.constantFrom(...(schema.enum as unknown[]));
    else if (schema.type === 'integer' || schema.type === 'number') {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1e9;
      const max = typeof schema.maximum === 'number' ? Math.min(schema.maximum, Number.MAX_SAFE_INTEGER) : 1e9;
      shaped = fc.oneof(
        fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, 1e9) }),
        fc.constantFrom(min - 1, max + 1, 0, -1, 1.5),
      );
    } else if (schema.type === 'boolean') shaped = fc.boolean();
    else if (schema.type === 'array')
      shaped = depth > 3 ? fc.constant([]) : fc.array(valueFor(schema.items, depth + 1), { maxLength: 3 });
    else if (schema.type === 'object' || schema.properties) {
      if (depth > 3) return fc.constant({});
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const model = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, valueFor(v, depth + 1)]));
      shaped = fc.record(model, { requiredKeys: (schema.required ?? []).filter((k: string) => k in model) });
    } else if (schema.format === 'date-time')
      shaped = fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        anyString(),
      );
    else if (schema.format === 'uuid') shaped = fc.oneof(fc.constantFrom(...idPool), fc.uuid(), anyString());
    else shaped = anyString();
    if (!mutate) return shaped;
    return fc.oneof(
      { weight: 4, arbitrary: shaped },
      { weight: 1, arbitrary: anyScalar() },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    );
  }

  /** A light structural check of a success body against its schema: types, required members, items. */
  function schemaErrors(value: unknown, raw: Schema | undefined, at = '$'): string[] {
    const schema = resolve(raw);
    if (!schema || Object.keys(schema).length === 0) return [];
    // OpenAPI 3.1: a nullable schema lists "null" among its types (or as an anyOf variant).
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
    if (value === null) return types.includes('null') || schema.oneOf || schema.anyOf ? [] : [`${at} is null`];
    if (schema.oneOf || schema.anyOf) {
      const variants = (schema.oneOf ?? schema.anyOf) as Schema[];
      return variants.some((v) => schemaErrors(value, v, at).length === 0) ? [] : [`${at} matches no variant`];
    }
    if (schema.allOf) return (schema.allOf as Schema[]).flatMap((s) => schemaErrors(value, s, at));
    if (schema.enum && !(schema.enum as unknown[]).includes(value))
      return [`${at} = ${JSON.stringify(value)} not in enum`];
    switch (types.find((type) => type !== 'null')) {
      case 'string':
        return typeof value === 'string' ? [] : [`${at} is not a string`];
      case 'integer':
        return Number.isInteger(value) ? [] : [`${at} is not an integer`];
      case 'number':
        return typeof value === 'number' ? [] : [`${at} is not a number`];
      case 'boolean':
        return typeof value === 'boolean' ? [] : [`${at} is not a boolean`];
      case 'array':
        return Array.isArray(value)
          ? value.flatMap((item, i) => schemaErrors(item, schema.items, `${at}[${i}]`))
          : [`${at} is not an array`];
      default:
        if (!types.includes('object') && !schema.properties) return [];
        if (typeof value !== 'object' || Array.isArray(value)) return [`${at} is not an object`];
        return [
          ...((schema.required ?? []) as string[]).filter((k) => !(k in value)).map((k) => `${at}.${k} is missing`),
          ...Object.entries((schema.properties ?? {}) as Record<string, Schema>)
            .filter(([k]) => k in value)
            .flatMap(([k, s]) => schemaErrors((value as Record<string, unknown>)[k], s, `${at}.${k}`)),
        ];
    }
  }

  function check(op: Operation, response: InjectResponse, request: unknown): void {
    const status = response.statusCode;
    const documented = Object.keys(op.operation.responses ?? {});
    const context = {
      operation: `${op.method.toUpperCase()} ${op.path}`,
      status,
      body: response.body.slice(0, 400),
      request,
    };
    expect({ ...context, serverError: status >= 500 }).toEqual({ ...context, serverError: false });
    expect({ ...context, documented: documented.includes(String(status)) }).toEqual({ ...context, documented: true });
    // One of B's ids the request itself carried may be echoed (a validation message); any other is a leak.
    const lower = response.body.toLowerCase();
    const sent = JSON.stringify(request).toLowerCase();
    const leaked = idsB.filter((id) => lower.includes(id.toLowerCase()) && !sent.includes(id.toLowerCase()));
    expect({ ...context, leaked }).toEqual({ ...context, leaked: [] });
    const contentType = String(response.headers['content-type'] ?? '');
    if (status < 300 && contentType.startsWith('application/json')) {
      const schema = op.operation.responses?.[String(status)]?.content?.['application/json']?.schema;
      const errors = schemaErrors(response.json(), schema);
      expect({ ...context, errors }).toEqual({ ...context, errors: [] });
    }
    if (status >= 400 && !op.path.startsWith('/spotlight/anthropic/') && !op.path.startsWith('/shared/')) {
      expect({ ...context, contentType }).toEqual({
        ...context,
        contentType: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(response.json().status).toBe(status);
    }
  }

  it('covers every operation of the document (and the document is not empty)', () => {
    expect(operations.length).toBeGreaterThanOrEqual(40);
    for (const path of [
      '/api/v1/sessions/{sessionId}',
      '/spotlight/anthropic/v1/messages',
      '/api/v1/tasks',
      '/spotlight/analytics/sessions/{sessionUuid}/share',
    ]) {
      expect(operations.map((o) => o.path)).toContain(path);
    }
  });

  it('never answers a 5xx, an undocumented status, a malformed success body, or one of B’s ids', async () => {
    const exercised = new Map<string, number>();
    let requestCount = 0;
    for (const op of operations) {
      const parameters = ((op.operation.parameters ?? []) as Schema[]).map((p) => resolve(p)!);
      const pathParams = parameters.filter((p) => p.in === 'path');
      const queryParams = parameters.filter((p) => p.in === 'query');
      const bodySchema = op.operation.requestBody?.content?.['application/json']?.schema;
      const requestArbitrary = fc.record({
        // A's own ids (so routes get past their lookups), B's ids (so a leak would show), anything.
        path: fc.tuple(
          ...pathParams.map(() =>
            fc.oneof(
              { weight: 3, arbitrary: fc.constantFrom(...idsA) },
              { weight: 2, arbitrary: fc.constantFrom(...idPool) },
              { weight: 1, arbitrary: anyString() },
            ),
          ),
        ),
        // Mostly absent or well-formed (so handlers run), sometimes anything.
        query: fc.tuple(
          ...queryParams.map((p) =>
            fc.oneof(
              { weight: 4, arbitrary: fc.constant(undefined) },
              { weight: 3, arbitrary: valueFor(p.schema, 0, false).map(String) },
              { weight: 1, arbitrary: anyString() },
            ),
          ),
        ),
        body: bodySchema
          ? fc.oneof(
              { weight: 5, arbitrary: valueFor(bodySchema) },
              { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
            )
          : fc.constant(undefined),
        asApiKey: fc.boolean(),
      });
      const key = `${op.method} ${op.path}`;
      await fc.assert(
        fc.asyncProperty(requestArbitrary, async (input) => {
          let url = op.path;
          pathParams.forEach((p, i) => (url = url.replace(`{${p.name}}`, encodeURIComponent(String(input.path[i])))));
          const query = new URLSearchParams();
          queryParams.forEach((p, i) => input.query[i] !== undefined && query.set(p.name, String(input.query[i])));
          const search = query.toString();
          const headers: Record<string, string> =
            input.asApiKey && !op.path.startsWith('/api/v1/organizations')
              ? { 'x-lamplight-api-key': a.key }
              : { ...a.member.auth, ...orgHeader(a.organizationId) };
          if (op.path.startsWith('/spotlight/anthropic/')) headers['anthropic-version'] = '2023-06-01';
          const request = {
            method: op.method.toUpperCase() as 'GET',
            url: search ? `${url}?${search}` : url,
            headers,
            remoteAddress: `10.9.${Math.floor(++requestCount / 250) % 250}.${requestCount % 250}`,
            ...(op.operation.requestBody
              ? {
                  payload: JSON.stringify(input.body ?? null),
                  headers: { ...headers, 'content-type': 'application/json' },
                }
              : {}),
          };
          const response = await app.request(request);
          exercised.set(key, (exercised.get(key) ?? 0) + 1);
          check(op, response, { url: request.url, body: request.payload, asApiKey: input.asApiKey });
        }),
        {
          seed: SEED,
          numRuns: RUNS_PER_OPERATION,
          interruptAfterTimeLimit: TIME_LIMIT_PER_OPERATION_MS,
          markInterruptAsFailure: false,
          endOnFailure: true,
        },
      );
    }
    // Every operation was really exercised, most of them the full number of runs.
    for (const op of operations)
      expect({ op: `${op.method} ${op.path}`, runs: (exercised.get(`${op.method} ${op.path}`) ?? 0) > 0 }).toEqual({
        op: `${op.method} ${op.path}`,
        runs: true,
      });
    // A stays usable after the fuzzing: its member still reads its sessions, B's data is where it was.
    const after = await app.request({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { ...a.member.auth, ...orgHeader(a.organizationId) },
    });
    expect(after.statusCode).toBe(200);
    const [{ n }] = await app.sql<{ n: string }>(
      'select count(*)::text as n from sessions where organization_id = $1 and deleted_at is null',
      [b.organizationId],
    );
    expect(Number(n)).toBe(2);
  }, 600_000);

  it('a random uuid or B’s ids never resolve for A (spot check beside the fuzz)', async () => {
    for (const id of [randomUUID(), ...idsB.slice(0, 5)]) {
      const response = await app.request({
        method: 'GET',
        url: `/api/v1/sessions/${encodeURIComponent(id)}`,
        headers: { ...a.member.auth, ...orgHeader(a.organizationId) },
      });
      expect(response.statusCode).toBe(404);
    }
  });
});
