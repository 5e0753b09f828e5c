import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createApp } from '../app.factory';
import { createOpenApiDocument } from './document';

export const OPENAPI_PATH = join(process.cwd(), 'openapi', 'openapi.json');

/** The document exactly as the running app serves it at /docs-json, as committed text. */
export async function renderOpenApiDocument(): Promise<string> {
  const { app } = await createApp({
    documentOnly: true,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      // The document does not depend on secrets; fixed ones keep this from writing any.
      JWT_SECRET: 'openapi-document-only-secret-0123456789abcdef',
      ENCRYPTION_KEY: `hex:${'00'.repeat(32)}`,
    },
  });
  try {
    return `${JSON.stringify(await createOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

/** `npm run openapi` writes openapi/openapi.json; `--check` fails when the committed one differs. */
async function main(): Promise<void> {
  const rendered = await renderOpenApiDocument();
  if (process.argv.includes('--check')) {
    const committed = readFileSync(OPENAPI_PATH, 'utf8');
    if (committed !== rendered) {
      process.stderr.write('openapi/openapi.json is stale: run `npm run openapi` and commit it.\n');
      process.exit(1);
    }
    process.stdout.write('openapi/openapi.json is up to date\n');
    return;
  }
  mkdirSync(dirname(OPENAPI_PATH), { recursive: true });
  writeFileSync(OPENAPI_PATH, rendered);
  process.stdout.write(`Wrote ${OPENAPI_PATH}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
