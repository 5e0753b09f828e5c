// Jest runs with --experimental-vm-modules (see package.json): NestJS 12 and MikroORM 7 ship as
// ES modules, which Jest loads natively, while our TypeScript is compiled to CommonJS by SWC.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Generated files name their imports with `.js`, as nodenext resolution wants.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/**
 * Two tiers: `unit` (the *.spec.ts beside the code: no database, seconds) and `e2e` (test/: the
 * real app on a real PostgreSQL, which the e2e project's global setup creates and drops).
 * `npm run test:unit`, `npm run test:e2e`; `npm test` runs both.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: __dirname,
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      // Every response an app sends in these suites is checked against openapi/openapi.json.
      setupFilesAfterEnv: ['<rootDir>/test/support/openapi-conformance.setup.ts'],
    },
  ],
};
