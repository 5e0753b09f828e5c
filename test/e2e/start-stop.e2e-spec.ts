/**
 * Start and stop as an operator meets them, on real processes: `npm start` and signals, a busy
 * port, a data directory another instance holds, `.env`, and the demo beside a running server.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'undici';
import { findFreePort } from '../../src/database/embedded-postgres';
import {
  ensureBuilt,
  GATEWAY_MAIN,
  processAlive,
  REPOSITORY_ROOT,
  spawnProcess,
  type SpawnedProcess,
} from '../support/gateway-process';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, testDatabaseUrl } from '../support/test-app';

/** A fresh directory the embedded PostgreSQL (which runs as the `postgres` user) can enter. */
function dataDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'lamplight-start-'));
  chmodSync(directory, 0o755);
  return directory;
}

function pidIn(file: string): number {
  return Number(readFileSync(file, 'utf8').split('\n')[0]);
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The environment of a server on the machine's test database (no embedded PostgreSQL). */
function serverEnv(extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    DATABASE_URL: testDatabaseUrl(),
    DB_MIGRATE_ON_START: 'false',
    JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
    ...extra,
  };
}

describe('start and stop', () => {
  const spawned: SpawnedProcess[] = [];
  const track = (process: SpawnedProcess) => (spawned.push(process), process);
  /** Processes a failed test may leave behind (a node that outlived npm, its PostgreSQL). */
  const strays: number[] = [];

  beforeAll(() => ensureBuilt(), 180_000);
  afterEach(async () => {
    // SIGTERM first, so a server stops its embedded PostgreSQL; SIGKILL if it does not exit.
    for (const spawnedProcess of spawned.splice(0)) {
      if (spawnedProcess.child.exitCode === null && spawnedProcess.child.signalCode === null)
        spawnedProcess.child.kill('SIGTERM');
      const timer = setTimeout(() => spawnedProcess.kill(), 15_000);
      await spawnedProcess.exited;
      clearTimeout(timer);
    }
    for (const pid of strays.splice(0)) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  describe('`npm start` with the embedded PostgreSQL: a signal stops node and the database, whoever receives it', () => {
    const directory = dataDir();

    it.each([
      ['SIGTERM to npm (what `docker stop` sends to the main process)', 'npm', 'SIGTERM'],
      ['SIGTERM to node', 'node', 'SIGTERM'],
      ['SIGINT to the whole process group (Ctrl-C in a terminal)', 'group', 'SIGINT'],
    ] as const)(
      '%s',
      async (_name, target, signal) => {
        const port = await findFreePort();
        // No DATABASE_URL: the README's own start command.
        const server = track(
          spawnProcess('npm', ['start'], {
            env: { NODE_ENV: 'development', LOG_LEVEL: 'info', PORT: String(port), DATA_DIR: directory },
            detached: true,
          }),
        );
        await server.waitFor('Lamplight is listening on', 150_000);
        const node = pidIn(join(directory, 'lamplight.pid'));
        const postgres = pidIn(join(directory, 'pg', 'postmaster.pid'));
        strays.push(node, postgres);
        expect(node).not.toBe(server.pid);
        expect(processAlive(node) && processAlive(postgres)).toBe(true);
        const health = await httpRequest(`http://127.0.0.1:${port}/health/ready`);
        expect(health.statusCode).toBe(200);
        await health.body.dump();

        if (target === 'npm') process.kill(server.pid, signal);
        else if (target === 'node') process.kill(node, signal);
        else process.kill(-server.pid, signal);

        const exit = await server.exited;
        await until(() => !processAlive(node) && !processAlive(postgres), 20_000, 'node and PostgreSQL to exit').catch(
          (error) => {
            throw new Error(
              `${error.message}; still running:${processAlive(node) ? ` node ${node}` : ''}${processAlive(postgres) ? ` postgres ${postgres}` : ''}`,
            );
          },
        );
        expect(exit.code).toBe(0);
        expect(server.output()).toContain('Stopped the embedded PostgreSQL');
        expect(existsSync(join(directory, 'lamplight.pid'))).toBe(false);
      },
      240_000,
    );
  });

  it('a busy PORT ends start-up at once with one line naming PORT, and exit code 1', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const directory = dataDir();
      const started = Date.now();
      const server = track(
        spawnProcess(process.execPath, [GATEWAY_MAIN], { env: serverEnv({ PORT: String(port), DATA_DIR: directory }) }),
      );
      const exit = await server.exited;
      expect(exit.code).toBe(1);
      expect(server.stderr().trim().split('\n')).toEqual([
        `Lamplight failed to start: PORT ${port} on 127.0.0.1 is already in use by another process; stop it, or set PORT to a free port.`,
      ]);
      expect(server.output()).not.toContain('successfully started');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(existsSync(join(directory, 'lamplight.pid'))).toBe(false);
    } finally {
      holder.close();
    }
  }, 60_000);

  it('a DATA_DIR another instance holds ends start-up with one line naming DATA_DIR; a lock left by a killed instance does not', async () => {
    const directory = dataDir();
    const first = track(
      spawnProcess(process.execPath, [GATEWAY_MAIN], {
        env: serverEnv({ PORT: String(await findFreePort()), DATA_DIR: directory }),
      }),
    );
    await first.waitFor('Lamplight is listening on');

    const second = track(
      spawnProcess(process.execPath, [GATEWAY_MAIN], {
        env: serverEnv({ PORT: String(await findFreePort()), DATA_DIR: directory }),
      }),
    );
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stderr().trim().split('\n')).toEqual([
      `Lamplight failed to start: DATA_DIR ${directory} is in use by another Lamplight (pid ${first.pid}); stop it, or set DATA_DIR to another directory.`,
    ]);
    expect(processAlive(first.pid)).toBe(true);

    // A crash leaves the lock file behind; the next start takes it over.
    first.kill();
    await first.exited;
    expect(existsSync(join(directory, 'lamplight.pid'))).toBe(true);
    const third = track(
      spawnProcess(process.execPath, [GATEWAY_MAIN], {
        env: serverEnv({ PORT: String(await findFreePort()), DATA_DIR: directory }),
      }),
    );
    await third.waitFor('Lamplight is listening on');
    expect(pidIn(join(directory, 'lamplight.pid'))).toBe(third.pid);
  }, 90_000);

  it('reads .env from the working directory, and a variable set in the environment wins over it', async () => {
    const workingDirectory = dataDir();
    const fromEnvironment = dataDir();
    const port = await findFreePort();
    writeFileSync(
      join(workingDirectory, '.env'),
      [
        `PORT=${port}`,
        `DATA_DIR=${join(workingDirectory, 'from-dotenv')}`,
        'PUBLIC_BASE_URL=https://lamplight.example.com',
        '',
      ].join('\n'),
    );
    const server = track(
      spawnProcess(process.execPath, [GATEWAY_MAIN], {
        cwd: workingDirectory,
        env: serverEnv({ DATA_DIR: fromEnvironment }),
      }),
    );
    await server.waitFor('Lamplight is listening on');
    expect(server.output()).toContain(`Lamplight is listening on http://127.0.0.1:${port}`);
    expect(server.output()).toContain(`data dir  ${fromEnvironment}`);
    expect(server.output()).toContain(`settings  environment, then ${join(workingDirectory, '.env')}`);
    expect(existsSync(join(fromEnvironment, 'lamplight.pid'))).toBe(true);
    expect(existsSync(join(workingDirectory, 'from-dotenv'))).toBe(false);
  }, 60_000);

  it('the demo (`npm run demo`) runs while a server holds the same PORT and DATA_DIR, each on its own embedded PostgreSQL', async () => {
    const directory = dataDir();
    const port = await findFreePort();
    const env = { NODE_ENV: 'development', LOG_LEVEL: 'warn', PORT: String(port), DATA_DIR: directory };
    const server = track(spawnProcess(process.execPath, [GATEWAY_MAIN], { env }));
    await server.waitFor('Lamplight is listening on', 120_000);

    const demo = track(
      spawnProcess(process.execPath, [join(REPOSITORY_ROOT, 'dist', 'mock-upstream', 'demo.js'), '--once'], { env }),
    );
    const exit = await demo.exited;
    expect({ code: exit.code, output: demo.output() }).toEqual({
      code: 0,
      output: expect.stringContaining('messages.create →'),
    });
    expect(demo.output()).toContain('messages.stream →');
    expect(demo.output()).toContain(`The demo's data is in ${join(directory, 'demo')}`);
    expect(demo.output()).not.toContain(`:${port}/`);

    // The server was never disturbed.
    const health = await httpRequest(`http://127.0.0.1:${port}/health/ready`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const postgres = pidIn(join(directory, 'pg', 'postmaster.pid'));
    strays.push(postgres);
    process.kill(server.pid, 'SIGTERM');
    expect((await server.exited).code).toBe(0);
    await until(() => !processAlive(postgres), 20_000, 'PostgreSQL to exit');
  }, 240_000);
});
