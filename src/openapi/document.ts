import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto } from '../common/openapi/problem.dto';
import pluginMetadata from '../metadata';

const DESCRIPTION = `Lamplight is a multi-tenant gateway for the Anthropic Messages API with session analytics.

Authenticate with a JWT from \`POST /api/v1/auth/login\` (**bearer**) or a platform API key \`lmp_…\`
(**apiKey**, in \`x-lamplight-api-key\` or as a bearer token). Organization-scoped routes act on the
organization named by \`X-Organization-Id\`, else the API key's organization, else your default one.

Errors are RFC 9457 \`application/problem+json\`, except under \`/spotlight/anthropic/\`, where they
take Anthropic's own error shape so Anthropic SDKs behave.`;

let metadataLoaded = false;

/** Loads what the swagger compiler plugin generated (src/metadata.ts), once per process. */
async function loadPluginMetadata(): Promise<void> {
  if (metadataLoaded) return;
  await SwaggerModule.loadPluginMetadata(pluginMetadata as () => Promise<Record<string, unknown>>);
  metadataLoaded = true;
}

export async function createOpenApiDocument(app: INestApplication): Promise<OpenAPIObject> {
  await loadPluginMetadata();
  const config = new DocumentBuilder()
    .setTitle('Lamplight')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT from login, or a platform API key' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-lamplight-api-key', description: 'A platform API key (lmp_…)' }, 'apiKey')
    .build();
  return SwaggerModule.createDocument(app, config, {
    extraModels: [ProblemDto],
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey}_${methodKey}`,
  });
}

/** Swagger UI at /docs and the document at /docs-json; authorization survives reloads. */
export async function setupOpenApi(app: INestApplication): Promise<void> {
  const document = await createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Lamplight API',
    swaggerOptions: { persistAuthorization: true, displayOperationId: true, tryItOutEnabled: false },
  });
}
