/**
 * Runs the mock Anthropic upstream as a process (demo, benchmarks, manual testing).
 *
 *   MOCK_ANTHROPIC_PORT  port to listen on (default 4010; 0 = any free port)
 *   MOCK_ANTHROPIC_HOST  interface (default 127.0.0.1)
 *   MOCK_ANTHROPIC_RECORD=1  keep every request and response body in memory (off by default, since a
 *                        long benchmark run would otherwise grow without bound)
 *
 * Prints `mock Anthropic upstream listening on <url>` once ready; stops on SIGINT / SIGTERM.
 */
import { startMockAnthropic } from './mock-anthropic';

async function main(): Promise<void> {
  const rawPort = process.env.MOCK_ANTHROPIC_PORT ?? '4010';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`MOCK_ANTHROPIC_PORT must be a port number, got ${JSON.stringify(rawPort)}`);
  }
  const host = process.env.MOCK_ANTHROPIC_HOST || '127.0.0.1';
  const record = process.env.MOCK_ANTHROPIC_RECORD === '1';

  const mock = await startMockAnthropic({ port, host, record });
  process.stdout.write(`mock Anthropic upstream listening on ${mock.url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`received ${signal}, stopping (served ${mock.stats.requests} requests)\n`);
    mock.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `mock Anthropic upstream failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
