import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPENAPI_TAGS } from '../../src/openapi/document';
import { OPENAPI_PATH, renderOpenApiDocument } from '../../src/openapi/write-openapi';
import { startTestApp, type TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

type MediaType = { schema?: { $ref?: string }; example?: unknown; examples?: Record<string, { value: unknown }> };
type Operation = {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; description?: string }[];
  responses: Record<string, { description: string; content?: Record<string, MediaType> }>;
  tags?: string[];
};

describe('OpenAPI document', () => {
  it('src/metadata.ts is what the swagger plugin makes of the current sources', () => {
    expect(() =>
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'generate-openapi-metadata.mjs'), '--check'], {
        cwd: ROOT,
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });

  it('the committed openapi/openapi.json is exactly what the app produces', async () => {
    const rendered = await renderOpenApiDocument();
    expect(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'))).toEqual(JSON.parse(rendered));
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(rendered);
  });

  it('the committed TypeScript client (sdk/schema.ts) is what openapi-typescript makes of openapi/openapi.json', () => {
    const out = mkdtempSync(join(tmpdir(), 'lamplight-sdk-'));
    try {
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'generate-sdk.mjs'), '--out', out], {
        cwd: ROOT,
        stdio: 'pipe',
      });
      expect(readFileSync(join(ROOT, 'sdk', 'schema.ts'), 'utf8')).toBe(readFileSync(join(out, 'schema.ts'), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('passes `redocly lint` with no errors', () => {
    const run = () =>
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js'), 'lint', '--config', 'redocly.yaml'],
        {
          cwd: ROOT,
          stdio: 'pipe',
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      );
    expect(run).not.toThrow();
  });

  describe('served by the app', () => {
    let app: TestApp;
    let document: { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: object } };

    beforeAll(async () => {
      app = await startTestApp();
      const response = await app.request({ method: 'GET', url: '/docs-json' });
      expect(response.statusCode).toBe(200);
      document = response.json();
    });
    afterAll(() => app.close());

    it('serves Swagger UI at /docs', async () => {
      const response = await app.request({ method: 'GET', url: '/docs' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/html');
      expect(response.body).toContain('swagger-ui');
    });

    it('declares both security schemes', () => {
      expect(document.components.securitySchemes).toMatchObject({
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-lamplight-api-key' },
      });
    });

    const operations = () =>
      Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
      );

    it('names every operation for people, tags it, and documents a success response', () => {
      const ids = operations().map(({ operation }) => operation.operationId);
      expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      for (const { operation } of operations()) {
        expect(operation.tags?.length).toBeGreaterThan(0);
        expect(Object.keys(operation.responses).some((status) => /^2\d\d$/.test(status))).toBe(true);
      }
    });

    it('declares security on every route but the public ones, and X-Organization-Id where it applies', () => {
      const publicPaths = [
        '/health',
        '/health/ready',
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        '/spotlight/analytics/sessions/shared/{shareToken}',
        '/shared/{shareToken}',
        '/api/v1/auth/cookie/register',
        '/api/v1/auth/cookie/login',
        '/api/v1/auth/cookie/logout',
        '/',
        '/assets/{file}',
      ];
      for (const { path, operation } of operations()) {
        if (publicPaths.includes(path)) {
          expect(operation.security ?? []).toEqual([]);
          continue;
        }
        expect(operation.security?.length).toBeGreaterThan(0);
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
      for (const { path, operation } of operations()) {
        const scoped = operation.parameters?.some((p) => p.in === 'header' && p.name === 'X-Organization-Id') ?? false;
        expect([path, scoped]).toEqual([
          path,
          !publicPaths.includes(path) &&
            !path.startsWith('/api/v1/auth/') &&
            !path.startsWith('/api/v1/organizations') &&
            !path.startsWith('/api/v1/invitations'),
        ]);
      }
      for (const path of ['/api/v1/api-keys', '/api/v1/provider-keys']) {
        for (const operation of Object.values(document.paths[path])) {
          expect(operation.parameters?.some((p) => p.in === 'header' && p.name === 'X-Organization-Id')).toBe(true);
        }
      }
    });

    it('has one described tag per module, and every operation uses one of them', () => {
      const doc = document as unknown as { tags: { name: string; description: string }[] };
      expect(doc.tags.map((t) => t.name)).toEqual(OPENAPI_TAGS.map((t) => t.name));
      for (const tag of doc.tags) expect(tag.description.length).toBeGreaterThan(20);
      for (const { operation } of operations())
        expect(doc.tags.map((t) => t.name)).toEqual(expect.arrayContaining(operation.tags ?? []));
    });

    it("documents every error with its body: problem+json, or Anthropic's error on the proxy", () => {
      const proxy = (path: string) => path.startsWith('/spotlight/anthropic/');
      for (const { path, operation } of operations()) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!/^[45]\d\d$/.test(status)) continue;
          if (path === '/shared/{shareToken}') {
            expect(Object.keys(response.content ?? {})).toEqual(['text/html']);
          } else if (proxy(path)) {
            expect([path, status, response.content?.['application/json']?.schema?.$ref]).toEqual([
              path,
              status,
              '#/components/schemas/AnthropicErrorDto',
            ]);
          } else if (path !== '/health/ready') {
            expect([path, status, response.content?.['application/problem+json']?.schema?.$ref]).toEqual([
              path,
              status,
              '#/components/schemas/ProblemDto',
            ]);
          }
        }
      }
    });

    it('documents 400 where input can be invalid, 404 where a path id can be unknown, 429 where rate-limited', () => {
      for (const { path, operation } of operations()) {
        const statuses = Object.keys(operation.responses);
        const headerOrQuery =
          operation.parameters?.some((p) => p.in === 'query' || p.name === 'X-Organization-Id') ?? false;
        const body = (operation as { requestBody?: unknown }).requestBody !== undefined;
        if (headerOrQuery || body)
          expect([path, operation.operationId, statuses]).toEqual([
            path,
            operation.operationId,
            expect.arrayContaining(['400']),
          ]);
        if (operation.parameters?.some((p) => p.in === 'path')) {
          expect([path, operation.operationId, statuses]).toEqual([
            path,
            operation.operationId,
            expect.arrayContaining(['404']),
          ]);
        }
        for (const parameter of operation.parameters?.filter((p) => p.in === 'path') ?? [])
          expect(parameter.description).toBeTruthy();
      }
      for (const path of [
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        '/spotlight/analytics/sessions/shared/{shareToken}',
        '/shared/{shareToken}',
      ]) {
        for (const operation of Object.values(document.paths[path]))
          expect(Object.keys(operation.responses)).toContain('429');
      }
    });

    it('carries the documented examples on the public API routes', () => {
      const schemas = (
        document as unknown as {
          components: { schemas: Record<string, { properties: Record<string, { example?: unknown }> }> };
        }
      ).components.schemas;
      const example = (schema: string, property: string) => schemas[schema].properties[property].example;
      // The sharing API: share links and the public view.
      expect(example('ShareLinkResponseDto', 'share_token')).toBe('shr_xyz789abc123');
      expect(example('ShareRemovedResponseDto', 'message')).toBe('Sharing removed successfully');
      expect(example('SharedSessionSummaryDto', 'total_input_tokens')).toBe(12450);
      expect(example('SharedInteractionDto', 'model')).toBe('claude-sonnet-4-20250514');
      const status =
        document.paths['/spotlight/analytics/sessions/{sessionUuid}/share'].get.responses['200'].content![
          'application/json'
        ];
      expect(status.examples?.notShared.value).toEqual({ is_shared: false });
      expect(status.examples?.shared.value).toMatchObject({
        is_shared: true,
        share_token: 'shr_xyz789abc123',
        shared_at: '2025-01-20T14:00:00Z',
      });
      // The analytics API: analytics.
      expect(example('AnalyticsSessionDto', 'total_output_tokens')).toBe(8320);
      expect(example('ModelUsageDto', 'model')).toBe('claude-sonnet-4-20250514');
      // The sessions and tasks API: sessions, events, tasks.
      expect(example('SessionTurnDto', 'user_query')).toBe('What is 2+2?');
      expect(example('SessionTurnMetadataDto', 'agents_involved')).toEqual(['planner', 'simple-agent']);
      expect(example('SessionEventsResponseDto', 'session_id')).toBe('chat-session-123');
      expect(example('CreateTaskDto', 'session_id')).toBe('my-chat-session');
      // The session list API: the session list.
      expect(example('SessionResponseDto', 'tokenBudget')).toBe(10000);
      expect(example('SessionListResponseDto', 'object')).toBe('list');
    });
  });
});
