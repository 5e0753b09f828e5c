import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'undici';
import { findFreePort } from '../../src/database/embedded-postgres';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, testDatabaseUrl, type LooseRecord } from './test-app';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

function newestMtime(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure dist/ holds the current sources (the real server runs from it): compiles with the
 * build's tsconfig when any source under src/ or mock-upstream/ is newer than dist/src/main.js. The compile is
 * incremental (a few seconds); its exit code is not trusted, only the fresh output.
 */
export function ensureBuilt(): void {
  const stale = () =>
    !existsSync(MAIN) ||
    Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'mock-upstream'))) > statSync(MAIN).mtimeMs;
  if (!stale()) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore', timeout: 120_000 });
  if (!existsSync(MAIN)) throw new Error('the build did not produce dist/src/main.js');
}

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  pid: number;
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (cleanup). */
  kill(): void;
}

/** A user registered on a spawned gateway, with an API key and a stored Anthropic key for its organization. */
export interface GatewayTenant {
  organizationId: string;
  token: string;
  key: string;
}

/** Registers `name` through the gateway's own API, then creates an API key and stores `providerKey`. */
export async function setUpGatewayTenant(
  gateway: Pick<GatewayProcess, 'url'>,
  name: string,
  providerKey: string,
): Promise<GatewayTenant> {
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await httpRequest(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const json = (await response.body.json()) as LooseRecord;
    if (response.statusCode >= 300)
      throw new Error(`POST ${path} answered ${response.statusCode}: ${JSON.stringify(json)}`);
    return json;
  };
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Date.now()}@example.com`;
  const registered = await post('/api/v1/auth/register', { email, name, password: 'a long enough password' });
  const auth = { authorization: `Bearer ${registered.accessToken}` };
  const key = (await post('/api/v1/api-keys', { name: `${name} key` }, auth)).key as string;
  await post('/api/v1/provider-keys', { name: 'anthropic', key: providerKey }, auth);
  return { organizationId: registered.user.defaultOrganizationId, token: registered.accessToken, key };
}

/** Starts `node dist/src/main.js` as its own process against the test database. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await findFreePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: testDatabaseUrl(),
      DB_MIGRATE_ON_START: 'false',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'lamplight-proc-')),
      JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited at start (${child.exitCode}):\n${output}`);
    if (output.includes('Lamplight is listening on')) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the gateway did not start within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    child,
    pid: child.pid!,
    output: () => output,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** The gateway's resident set size in bytes, read from /proc (Linux). */
export function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** A process a test started: its output so far, its exit, and a way to wait for a line. */
export interface SpawnedProcess {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr, interleaved as they arrived. */
  output(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the output contains `text`; rejects if the process exits first or after `ms`. */
  waitFor(text: string, ms?: number): Promise<void>;
  /** SIGKILL to the process (and to its group when spawned detached), if still running (cleanup). */
  kill(): void;
}

/** The path of the built server, for tests that start it in another working directory. */
export const GATEWAY_MAIN = MAIN;
export const REPOSITORY_ROOT = ROOT;

/**
 * Spawns `command` with exactly `env` (plus PATH and HOME). `detached` puts it in a process group
 * of its own, as a terminal does, so a test can signal the whole group.
 */
export function spawnProcess(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; detached?: boolean },
): SpawnedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid!,
    output: () => output,
    stderr: () => stderr,
    exited,
    waitFor: async (text, ms = 60_000) => {
      const deadline = Date.now() + ms;
      while (!output.includes(text)) {
        if (!running())
          throw new Error(
            `exited (${child.exitCode ?? child.signalCode}) before printing ${JSON.stringify(text)}:\n${output}`,
          );
        if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} within ${ms} ms:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    kill: () => {
      if (!running()) return;
      try {
        if (options.detached) process.kill(-child.pid!, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    },
  };
}

/** Whether a process with this id exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
