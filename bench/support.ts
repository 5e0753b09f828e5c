/** Process, database and network plumbing for the benchmark harness. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { findFreePort } from '../src/database/embedded-postgres';
import { createFreshDatabase } from '../src/database/fresh-database';

export const ROOT = join(__dirname, '..', '..');
export const DIST = join(ROOT, 'dist');

export interface Spawned {
  child: ChildProcess;
  url: string;
  /** The last lines the process wrote (for failures). */
  tail(): string;
  exited: Promise<number | null>;
}

/** Starts `node <script>` and waits for a line matching `ready` (whose first group is the URL). */
export async function spawnNode(
  script: string,
  env: Record<string, string | undefined>,
  ready: RegExp,
  timeoutMs = 90_000,
): Promise<Spawned> {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start in time:\n${lines.join('\n')}`)),
      timeoutMs,
    );
    const onData = (data: Buffer) => {
      for (const line of data.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(line.slice(0, 500));
        if (lines.length > 40) lines = lines.slice(-20);
        const match = ready.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready:\n${lines.join('\n')}`));
    });
  });
  return { child, url, tail: () => lines.join('\n'), exited };
}

export async function stop(process_: Spawned | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!process_ || process_.child.exitCode !== null) return;
  process_.child.kill(signal);
  const timer = setTimeout(() => process_.child.kill('SIGKILL'), 30_000);
  await process_.exited;
  clearTimeout(timer);
}

/** Runs one load job in its own process (see load.ts) and returns its result. */
export async function runLoad<T>(job: Record<string, unknown>, timeoutMs = 300_000): Promise<T> {
  const child = spawn(process.execPath, [join(DIST, 'bench', 'load.js'), JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  const last = out.trim().split('\n').at(-1);
  if (code !== 0 || !last) throw new Error(`load job ${String(job.kind)} failed (${code}): ${err.slice(-2000)}`);
  return JSON.parse(last) as T;
}

export interface BenchDatabase {
  url: string;
  serverHost: string;
  serverPort: number;
  /** The name of the database, to build URLs through a proxy. */
  name: string;
  user: string;
  password: string;
  drop(): Promise<void>;
}

/** A fresh migrated database on DATABASE_URL's server, or on an embedded cluster under .data/pg-bench. */
export async function freshDatabase(): Promise<BenchDatabase> {
  const database = await createFreshDatabase({
    serverUrl: process.env.DATABASE_URL,
    embeddedDir: join(ROOT, '.data', 'pg-bench'),
    prefix: 'lamplight_bench',
  });
  const parsed = new URL(database.url);
  return {
    ...database,
    serverHost: parsed.hostname,
    serverPort: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

/**
 * A TCP relay in front of PostgreSQL. `outage()` is what a restart looks like to every client:
 * all connections dropped at once and new ones refused until it ends.
 */
export class PostgresRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  async start(port?: number): Promise<void> {
    this.port = port ?? (await findFreePort());
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.host);
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async outage(ms: number): Promise<void> {
    await this.down();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.start(this.port);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}
