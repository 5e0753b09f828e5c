import { createApp, redactUrl } from './app.factory';
import { type AppConfig, loadAppConfig } from './config/app-config';
import { loadDotEnv } from './config/dotenv';
import { ConfigValidationError } from './config/env.schema';
import { flushLogs } from './common/http/logging';
import { startupBanner } from './common/startup/banner';
import { lockDataDir } from './common/startup/data-dir-lock';
import { assertPortAvailable, describeListenError } from './common/startup/port';
import { StartupError } from './common/startup/startup-error';

const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

async function main(): Promise<void> {
  const envFile = loadDotEnv();
  const config: AppConfig = loadAppConfig();
  // Checked before the database starts, so a second instance fails in a moment with the reason.
  lockDataDir(config.dataDir);
  await assertPortAvailable(config.host, config.port);

  // Until the app's own shutdown hooks are in place, a signal ends start-up at once (the exit hook
  // of the embedded PostgreSQL stops it on the way out).
  const stopDuringStart = (signal: keyof typeof STOP_SIGNALS) => {
    process.stderr.write(`Lamplight: ${signal} during start-up, stopping\n`);
    process.exit(STOP_SIGNALS[signal]);
  };
  for (const signal of Object.keys(STOP_SIGNALS) as (keyof typeof STOP_SIGNALS)[]) process.on(signal, stopDuringStart);
  const { app, database } = await createApp({ config });
  for (const signal of Object.keys(STOP_SIGNALS)) process.removeListener(signal, stopDuringStart);

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close().catch(() => undefined);
    const reason = describeListenError(error, config.host, config.port);
    throw reason ? new StartupError(reason) : error;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const facts = { config, envFile, database: { url: redactUrl(database.url), embedded: Boolean(database.embedded) } };
  await flushLogs();
  process.stdout.write(startupBanner(facts, port));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    process.stderr.write(`Lamplight failed to start: ${reason}\n`);
  }
  process.exit(1);
});
