import { takeMismatches } from './openapi-conformance';

// Runs after each e2e suite: every response its apps sent had to match openapi/openapi.json.
afterAll(() => {
  const { mismatches } = takeMismatches();
  expect([...new Set(mismatches)]).toEqual([]);
});
