import { createApp } from './app.factory';
import { ConfigValidationError } from './config/env.schema';

async function main(): Promise<void> {
  const { app, config } = await createApp();
  await app.listen({ port: config.port, host: config.host });
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  process.stdout.write(`Lamplight is listening on ${url} (API docs at ${url}/docs)\n`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Lamplight failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
