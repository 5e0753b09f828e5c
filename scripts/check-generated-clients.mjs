// Generates TypeScript clients from openapi/openapi.json with two generators no one here wrote,
// openapi-typescript (the committed sdk/ is its output) and @hey-api/openapi-ts, and compiles
// both with `tsc --strict`. Fails (exit 1) when either cannot make a client that compiles.
// Usage: node scripts/check-generated-clients.mjs   (CI runs it; it writes only to a temp dir)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@hey-api/openapi-ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const documentPath = join(root, 'openapi', 'openapi.json');
const work = mkdtempSync(join(tmpdir(), 'lamplight-clients-'));

try {
  execFileSync(
    process.execPath,
    [join(root, 'scripts', 'generate-sdk.mjs'), '--out', join(work, 'openapi-typescript')],
    { stdio: 'inherit' },
  );
  await createClient({
    input: documentPath,
    output: { path: join(work, 'hey-api') },
    plugins: ['@hey-api/typescript', '@hey-api/sdk', '@hey-api/client-fetch'],
    logs: { level: 'silent' },
  });
  // What the server sends must be assignable to what each generator made of the document.
  const nulls = `granularity: null, taskError: null, historyCost: null, analyticsCost: null`;
  writeFileSync(
    join(work, 'openapi-typescript-usage.ts'),
    `import type { components } from './openapi-typescript/schema';
type S = components['schemas'];
export const sent: { granularity: S['TokenAnalyticsResponseDto']['granularity']; taskError: S['TaskResponseDto']['error']; historyCost: S['SessionInteractionDto']['cost']; analyticsCost: S['AnalyticsInteractionDto']['cost_by_bucket_usd'] } = { ${nulls} };
`,
  );
  writeFileSync(
    join(work, 'hey-api-usage.ts'),
    `import type { TokenAnalyticsResponseDto, TaskResponseDto, SessionInteractionDto, AnalyticsInteractionDto } from './hey-api/types.gen';
export const sent: { granularity: TokenAnalyticsResponseDto['granularity']; taskError: TaskResponseDto['error']; historyCost: SessionInteractionDto['cost']; analyticsCost: AnalyticsInteractionDto['cost_by_bucket_usd'] } = { ${nulls} };
`,
  );
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        types: [],
        skipLibCheck: false,
      },
      include: ['openapi-typescript/**/*.ts', 'hey-api/**/*.ts', '*.ts'],
    }),
  );
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(work, 'tsconfig.json')],
    { stdio: 'inherit' },
  );
  console.log('openapi-typescript and @hey-api/openapi-ts clients compile with tsc --strict');
} finally {
  rmSync(work, { recursive: true, force: true });
}
