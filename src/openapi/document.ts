import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { errorCodes } from '../common/errors/error-codes';
import { PROBLEM_CONTENT_TYPE } from '../common/errors/problem';
import { ProblemDto } from '../common/openapi/problem.dto';
import pluginMetadata from '../metadata';
import { toOpenApi31 } from './openapi-31';

const DESCRIPTION = `Lamplight is a multi-tenant gateway for the Anthropic Messages API with session analytics.

Authenticate with a JWT from \`POST /api/v1/auth/login\` (**bearer**) or a platform API key \`lmp_…\`
(**apiKey**, in \`x-lamplight-api-key\` or as a bearer token). Organization-scoped routes act on the
organization named by \`X-Organization-Id\`, else the API key's organization, else your default one.

Errors are RFC 9457 \`application/problem+json\`, except under \`/spotlight/anthropic/\`, where they
take Anthropic's own error shape so Anthropic SDKs behave.

A session has two ids: its UUID (\`id\`, \`sessionId\`, \`session_uuid\`) and the client's own id, its
external id (\`externalId\`, \`session_external_id\`). Any \`{sessionId}\` in a path takes either. The
field \`session_id\` keeps the meaning of the API each route follows: under \`/spotlight/analytics\` (and
a shared session) it is the external id; in \`POST /api/v1/tasks\` it names the session by either id;
in a task's answer it is the UUID, with \`session_external_id\` beside it; in a session's events it
repeats the id the path used.`;

/** One tag per module, in the order Swagger UI shows them. */
export const OPENAPI_TAGS: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'Auth', description: 'Create an account, sign in for a JWT, and see who you are.' },
  {
    name: 'Organizations',
    description:
      'Organizations, their members and roles (owner > admin > member), and the invitations admins send. Signed-in users only, never API keys.',
  },
  {
    name: 'Invitations',
    description:
      'Invitations to organizations addressed to your email: accept to join, or decline. Signed-in users only, never API keys.',
  },
  {
    name: 'API keys',
    description:
      'Platform API keys (`lmp_…`), each bound to one organization and shown whole only when created. Admins create and revoke.',
  },
  {
    name: 'Provider keys',
    description:
      "The organization's Anthropic API keys, encrypted at rest and never readable back (only their last 4 characters).",
  },
  {
    name: 'Proxy',
    description:
      "The Anthropic Messages API, proxied and recorded. Point an Anthropic SDK at `<lamplight>/spotlight/anthropic`; errors here take Anthropic's own shape.",
  },
  {
    name: 'Sessions',
    description:
      "The organization's sessions: list by cursor or offset, read history and events, rename, budget, release, soft-delete, restore, export. `{sessionId}` is a UUID or an external id.",
  },
  {
    name: 'Tasks',
    description: "A query answered in a session with the organization's provider key, recorded like a proxied call.",
  },
  {
    name: 'Analytics',
    description: 'Token usage and cost by model, usage summaries and sessions with totals, in snake_case.',
  },
  {
    name: 'Pricing',
    description:
      'The pricing table every cost is computed from (rates, tiers, tool fees, multipliers), and repricing stored calls under it.',
  },
  {
    name: 'Sharing',
    description:
      'Public share links of sessions: create, check, remove, and the public views that need no authentication.',
  },
  {
    name: 'Spend limits',
    description:
      "Spend limits per organization, API key, member and session, by day, week, month or session lifetime: Anthropic's Admin API shape at /v1/organizations/spend_limits, the console's routes with spend beside each limit, alert settings and the webhook delivery log.",
  },
  { name: 'Health', description: 'Liveness and readiness probes.' },
  { name: 'Console', description: 'The browser console Lamplight serves at `/`: its page and its built files.' },
];

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

let metadataLoaded = false;

/** Loads what the swagger compiler plugin generated (src/metadata.ts), once per process. */
async function loadPluginMetadata(): Promise<void> {
  if (metadataLoaded) return;
  await SwaggerModule.loadPluginMetadata(pluginMetadata as () => Promise<Record<string, unknown>>);
  metadataLoaded = true;
}

/**
 * Routes without `@Authenticated` are the `@Public()` ones (the global guard denies everything
 * else), so they say so explicitly with an empty requirement: generators then send no credentials.
 */
function declarePublicRoutes(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation && !operation.security) operation.security = [];
    }
  }
}

const ANTHROPIC_ERROR_REF = '#/components/schemas/AnthropicErrorDto';

/** Whether an operation documents its errors in Anthropic's shape (the routes declared with @AnthropicRoute). */
function answersInAnthropicShape(operation: { responses: Record<string, unknown> }): boolean {
  return Object.entries(operation.responses).some(
    ([status, response]) =>
      Number(status) >= 400 &&
      (response as { content?: Record<string, { schema?: { $ref?: string } }> }).content?.['application/json']?.schema
        ?.$ref === ANTHROPIC_ERROR_REF,
  );
}

/**
 * Answers any route may give, documented on every operation that does not already say so, in the
 * error shape it documents: 503 while the server drains on shutdown or cannot reach its database;
 * on the routes that take a body, 413 for one over BODY_LIMIT_BYTES and 415 for one not in JSON.
 */
function declareServerWideAnswers(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      // The share page answers its own errors as HTML pages.
      if (
        !operation ||
        (operation.responses['200'] as { content?: Record<string, unknown> } | undefined)?.content?.['text/html']
      )
        continue;
      const anthropic = answersInAnthropicShape(operation);
      const content = {
        [anthropic ? 'application/json' : PROBLEM_CONTENT_TYPE]: {
          schema: { $ref: `#/components/schemas/${anthropic ? 'AnthropicErrorDto' : 'ProblemDto'}` },
        },
      };
      if (operation.requestBody && !operation.responses['413']) {
        operation.responses['413'] = {
          description: 'The request body is larger than this server accepts (BODY_LIMIT_BYTES)',
          content,
        };
      }
      if (operation.requestBody && !operation.responses['415']) {
        operation.responses['415'] = {
          description: 'The request body is not JSON (content-type application/json)',
          content,
        };
      }
      if (!operation.responses['503']) {
        operation.responses['503'] = {
          description: 'Lamplight is shutting down, or its database cannot be reached; retry shortly',
          content,
        };
      }
    }
  }
}

/**
 * The problem schema's `code` lists every code a client may receive, taken from the code enums
 * (see error-codes.ts), so the document cannot drift from them.
 */
function declareErrorCodes(document: OpenAPIObject): void {
  const schema = document.components?.schemas?.ProblemDto as
    { properties?: Record<string, Record<string, unknown>> } | undefined;
  const code = schema?.properties?.code;
  if (!code) throw new Error('The OpenAPI document has no ProblemDto.code to list the error codes on');
  code.enum = errorCodes();
}

export async function createOpenApiDocument(app: INestApplication): Promise<OpenAPIObject> {
  await loadPluginMetadata();
  const builder = new DocumentBuilder()
    .setTitle('Lamplight')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addServer('/', 'This Lamplight server')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A JWT from register or login, or a platform API key (lmp_…)',
      },
      'bearer',
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-lamplight-api-key', description: 'A platform API key (lmp_…)' },
      'apiKey',
    );
  for (const tag of OPENAPI_TAGS) builder.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    extraModels: [ProblemDto],
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey}_${methodKey}`,
  });
  declarePublicRoutes(document);
  declareServerWideAnswers(document);
  declareErrorCodes(document);
  return toOpenApi31(document);
}

/**
 * Swagger UI at /docs and the document at /docs-json. Authorization (bearer or API key) is kept
 * in the browser's local storage, so it survives reloads; X-Organization-Id is a parameter of
 * every organization-scoped operation.
 */
export async function setupOpenApi(app: INestApplication): Promise<void> {
  const document = await createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Lamplight API',
    swaggerOptions: {
      persistAuthorization: true,
      displayOperationId: true,
      displayRequestDuration: true,
      tryItOutEnabled: false,
      filter: true,
      docExpansion: 'list',
      // No badge fetched from validator.swagger.io: the page loads nothing from elsewhere.
      validatorUrl: null,
    },
  });
}
