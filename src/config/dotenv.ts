import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/**
 * Reads `.env` from the working directory into `env`, as `.env.example` promises. A variable that
 * is already set (even to an empty string) wins over the file, so a real environment, a container's
 * or a CI job's, is never overridden. Returns the file's path when one was read.
 */
export function loadDotEnv(
  env: Record<string, string | undefined> = process.env,
  file = resolve('.env'),
): string | undefined {
  if (!existsSync(file)) return undefined;
  const values = parseEnv(readFileSync(file, 'utf8'));
  for (const [name, value] of Object.entries(values)) {
    if (env[name] === undefined) env[name] = value;
  }
  return file;
}
