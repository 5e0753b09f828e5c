import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENAPI_PATH, renderOpenApiDocument } from '../../src/openapi/write-openapi';
import { startTestApp, type TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

type Operation = {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  responses: Record<string, unknown>;
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
      ];
      for (const { path, operation } of operations()) {
        if (publicPaths.includes(path)) {
          expect(operation.security ?? []).toEqual([]);
          continue;
        }
        expect(operation.security?.length).toBeGreaterThan(0);
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
      for (const path of ['/api/v1/api-keys', '/api/v1/provider-keys']) {
        for (const operation of Object.values(document.paths[path])) {
          expect(operation.parameters?.some((p) => p.in === 'header' && p.name === 'X-Organization-Id')).toBe(true);
        }
      }
    });
  });
});
