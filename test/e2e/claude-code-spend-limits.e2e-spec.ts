/**
 * Spend limits as the real Claude Code CLI meets them (pinned in package.json, its native binary):
 * Claude Code runs through Lamplight against the mock upstream with a member's API key, and a
 * recording pass-through between the two keeps every response Lamplight gave it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startMockAnthropic, type MockAnthropic, type MockScenario } from '../../mock-upstream/mock-anthropic';
import { startSeverableLink, type SeverableLink } from '../support/reliability-fixtures';
import { addMember, createOrganization, orgHeader } from '../support/tenancy-fixtures';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  testDatabaseUrl,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
const PINNED_VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies[
  '@anthropic-ai/claude-code'
];
const RUN_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 180_000;
const CONSOLE = '/api/v1/spend-limits';

function claudeBinary(): string {
  return join(dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe');
}

const marker = (scenario: MockScenario): string => `MOCK:${JSON.stringify(scenario)}`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One response Lamplight gave Claude Code. */
interface Exchange {
  method: string;
  path: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Forwards every request to Lamplight as it is and keeps what Lamplight answered. */
function startRecorder(target: string): Promise<{ url: string; exchanges: Exchange[]; server: Server }> {
  const upstream = new URL(target);
  const exchanges: Exchange[] = [];
  const server = createServer((req, res) => {
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          res.write(chunk);
        });
        answer.on('end', () => {
          exchanges.push({
            method: req.method ?? '',
            path: req.url ?? '',
            status: answer.statusCode ?? 0,
            headers: answer.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
          res.end();
        });
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exchanges, server }),
    ),
  );
}

describe('Claude Code meets a member spend limit (real CLI)', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  /** Lamplight's connection to PostgreSQL, which a test cuts. */
  let link: SeverableLink;
  /** The test's own connection to PostgreSQL (Lamplight's goes through the link). */
  let db: Client;
  const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
    (await db.query(text, values)).rows as T[];
  let recorder: { url: string; exchanges: Exchange[]; server: Server };
  let owner: TestUser;
  let member: TestUser;
  let organizationId: string;
  let memberKey: string;
  let work: string;
  let project: string;
  let home: string;
  let binary: string;
  const tmuxSocket = `lamplight-spend-${process.pid}`;
  const running = new Set<ChildProcess>();

  /** The platform key as Claude Code takes an API key (`x-api-key`), or as a bearer token (`ANTHROPIC_AUTH_TOKEN`). */
  type Credential = 'api-key' | 'auth-token';
  const env = (credential: Credential = 'api-key'): Record<string, string> => ({
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    SHELL: existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    TMPDIR: join(work, 'tmp'),
    ANTHROPIC_BASE_URL: `${recorder.url}/spotlight/anthropic`,
    ...(credential === 'api-key' ? { ANTHROPIC_API_KEY: memberKey } : { ANTHROPIC_AUTH_TOKEN: memberKey }),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
  });

  /** Runs `claude -p <args>`; gives its exit code and what it printed. */
  function claude(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(binary, ['-p', ...args], { cwd: project, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      child.on('exit', () => running.delete(child));
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`claude -p did not finish within ${RUN_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, RUN_TIMEOUT_MS);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', tmuxSocket, ...args], { encoding: 'utf8' });

  /**
   * Runs Claude Code interactively in a tmux pane, types `prompt`, and gives the screen once
   * `settled` holds for it (or the last screen when the time is up).
   */
  async function interactive(
    prompt: string,
    settled: (screen: string) => boolean,
    credential: Credential = 'api-key',
  ): Promise<string> {
    const name = `cc${Date.now()}`;
    const vars = Object.entries(env(credential)).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '50', '-c', project, ...vars, binary);
    const screen = () => tmux('capture-pane', '-p', '-t', name);
    try {
      await eventually(() => Promise.resolve(screen().includes('\u276f') ? true : undefined), 30_000);
      tmux('send-keys', '-t', name, '-l', prompt);
      const pending = () => {
        const input = screen()
          .split('\n')
          .filter((line) => line.includes('\u276f'))
          .at(-1);
        return input !== undefined && input.includes(prompt.slice(-20));
      };
      await eventually(() => Promise.resolve(pending() ? true : undefined), 10_000);
      // Enter until the input box lets the prompt go (a key typed while the box still takes the text is lost).
      let lastEnter = 0;
      try {
        await eventually(() => {
          if (settled(screen())) return Promise.resolve(true);
          if (pending() && Date.now() - lastEnter > 2_000) {
            tmux('send-keys', '-t', name, 'Enter');
            lastEnter = Date.now();
          }
          return Promise.resolve(undefined);
        }, 40_000);
      } catch {
        throw new Error(`Claude Code did not show what was expected; its screen:\n${screen()}`);
      }
      // Whatever Claude Code adds once the answer is in (a notice, a status line) has time to show.
      await new Promise((r) => setTimeout(r, 2_000));
      return screen();
    } finally {
      tmux('kill-session', '-t', name);
    }
  }

  const messagesExchanges = (from: number) =>
    recorder.exchanges.slice(from).filter((e) => e.method === 'POST' && e.path.includes('/v1/messages'));
  const upstreamMessages = (from: number) => mock.requests.slice(from).filter((r) => r.path === '/v1/messages');

  let limitId: string;
  /** Puts the member's monthly counter at `spent` micro-USD (as if calls had spent it). */
  /**
   * Waits until the instance has given back its lease on the member's counter (after 1 s idle; after
   * an outage its lease statements back off, up to 15 s, so a loaded machine may take longer).
   */
  const leaseGivenBack = () =>
    eventually(async () => {
      const rows = await sql(`select 1 from spend_leases where organization_id = $1 and counter_key = $2`, [
        organizationId,
        limitId,
      ]);
      return rows.length === 0 ? true : undefined;
    }, 40_000);
  /** Sets what the counter holds, once no lease could let a call through on figures from before. */
  const spend = async (spent: number) => {
    await leaseGivenBack();
    await sql(`update spend_counters set spent = $2, reserved = 0 where organization_id = $1 and counter_key = $3`, [
      organizationId,
      spent,
      limitId,
    ]);
  };

  beforeAll(async () => {
    binary = claudeBinary();
    expect(
      execFileSync(binary, ['--version'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
      }).trim(),
    ).toBe(`${PINNED_VERSION} (Claude Code)`);
    work = mkdtempSync(join(tmpdir(), 'lamplight-claude-spend-'));
    project = join(work, 'project');
    home = join(work, 'home');
    for (const dir of [project, join(home, '.claude'), join(work, 'tmp')]) mkdirSync(dir, { recursive: true });

    mock = await startMockAnthropic();
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    link = await startSeverableLink(testDatabaseUrl());
    app = await startTestApp(
      { ANTHROPIC_BASE_URL: mock.url, PROXY_RATE_LIMIT_PER_MINUTE: '0' },
      link.through(testDatabaseUrl()),
    );
    recorder = await startRecorder(await listen(app));
    owner = await registerUser(app, 'Spend Owner');
    member = await registerUser(app, 'Spend Member');
    const org = await createOrganization(app, owner, { name: 'Limited Team' });
    organizationId = org.id;
    // Admins issue API keys; the limit is on the developer as a member, whatever their role.
    await addMember(app, owner, org.id, member, 'admin');
    const stored = await app.request({
      method: 'POST',
      url: '/api/v1/provider-keys',
      headers: { ...owner.auth, ...orgHeader(org.id) },
      payload: { name: 'anthropic', key: 'sk-ant-api03-claude-code-spend-limits-key-0123456789' },
    });
    expect(stored.statusCode).toBe(201);
    memberKey = (await createApiKey(app, member, { name: 'laptop' }, org.id)).key;
    // A monthly limit of $100 for the member, set by the owner.
    const created = await app.request({
      method: 'POST',
      url: CONSOLE,
      headers: { ...owner.auth, ...orgHeader(org.id) },
      payload: { scopeType: 'user', scopeId: member.id, period: 'monthly', amount: 100 },
    });
    expect(created.statusCode).toBe(201);
    limitId = created.json().id;

    // Claude Code as a developer has it set up: onboarding done, this API key approved, the project trusted.
    writeFileSync(
      join(home, '.claude', '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        theme: 'dark',
        customApiKeyResponses: { approved: [memberKey.slice(-20)], rejected: [] },
        projects: { [project]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
      }),
    );
    // One call makes the counter; later tests set what it holds.
    const first = await claude(['--output-format', 'json', `Hello. ${marker({ text: 'Hello.' })}`]);
    expect(JSON.parse(first.stdout)).toMatchObject({ is_error: false, result: 'Hello.' });
    await eventually(async () => {
      const rows = await sql<{ reserved: string }>(
        `select reserved from spend_counters where organization_id = $1 and counter_key = $2`,
        [organizationId, limitId],
      );
      return rows.length === 1 && Number(rows[0].reserved) === 0 ? true : undefined;
    });
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    try {
      tmux('kill-server');
    } catch {
      // No tmux server was started.
    }
    recorder?.server.close();
    link?.restore();
    await app?.close();
    await link?.close();
    await db?.end();
    await mock?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(
    'nearly spent: Lamplight sends the usage warning headers; Claude Code with a platform key answers and shows no notice',
    async () => {
      for (const [spent, threshold] of [
        [80_000_000, '0.75'],
        [96_000_000, '0.95'],
      ] as const) {
        await spend(spent);
        const from = recorder.exchanges.length;
        const upFrom = mock.requests.length;
        const printed = await claude([`Near. ${marker({ text: 'Near the cap.' })}`]);
        expect(printed).toMatchObject({ code: 0, stdout: 'Near the cap.\n' });
        for (const credential of ['api-key', 'auth-token'] as const) {
          const interactiveAnswer = `Near the cap, interactive ${threshold} ${credential}.`;
          const screen = await interactive(
            `Near. ${marker({ text: interactiveAnswer })}`,
            (s) => s.includes(`\u25cf ${interactiveAnswer}`),
            credential,
          );
          // As observed with a platform key and ANTHROPIC_BASE_URL (not signed in to a gateway): the
          // answer, and no "You've used NN% of your usage credits" notice, at 75 % as at 95 %.
          expect(screen).toContain(`\u25cf ${interactiveAnswer}`);
          expect(screen).not.toMatch(/usage credits|You've used/);
        }
        const answered = messagesExchanges(from);
        expect(answered.map((e) => e.status)).toEqual([200, 200, 200]);
        expect(upstreamMessages(upFrom)).toHaveLength(3);
        for (const { headers } of answered) {
          expect(headers).toMatchObject({
            'anthropic-ratelimit-unified-status': 'allowed_warning',
            'anthropic-ratelimit-unified-representative-claim': 'overage',
            'anthropic-ratelimit-unified-overage-status': 'allowed_warning',
            'anthropic-ratelimit-unified-overage-surpassed-threshold': threshold,
            'anthropic-ratelimit-unified-reset': String(Date.UTC(2026, 11, 1) / 1000),
            'anthropic-ratelimit-unified-overage-reset': String(Date.UTC(2026, 11, 1) / 1000),
            'x-lamplight-spend-limit-scope': 'user',
            'x-lamplight-spend-limit-period': 'monthly',
          });
          const utilization = Number(headers['anthropic-ratelimit-unified-overage-utilization']);
          expect(utilization).toBeGreaterThan(Number(threshold));
          expect(utilization).toBeLessThan(1);
          expect(String(headers['anthropic-ratelimit-unified-overage-utilization'])).toMatch(/^0\.\d{1,2}$/);
        }
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a session's token budget spent: the message and x-should-retry alone, printed as it is, no retry",
    async () => {
      await spend(0);
      const first = await claude(['--output-format', 'json', `Budget. ${marker({ text: 'Within budget.' })}`]);
      const { session_id: sessionId } = JSON.parse(first.stdout) as { session_id: string };
      await eventually(async () => {
        const rows = await sql(`select 1 from sessions where organization_id = $1 and external_id = $2`, [
          organizationId,
          sessionId,
        ]);
        return rows.length === 1 ? true : undefined;
      });
      const patched = await app.request({
        method: 'PATCH',
        url: `/api/v1/sessions/${sessionId}`,
        headers: { ...member.auth, ...orgHeader(organizationId) },
        payload: { tokenBudget: 1000 },
      });
      expect(patched.statusCode).toBe(200);
      const from = recorder.exchanges.length;
      const upFrom = mock.requests.length;
      const run = await claude(['--resume', sessionId, `More. ${marker({ text: 'Never sent.' })}`]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /^API Error: Request rejected \(429\) \u00b7 Spend limit reached: this session's token budget of 1000 tokens has \d+ tokens spent/,
      );
      expect(run.stdout).toContain("It does not reset: raise the session's token budget, or start a new session.");
      const refused = messagesExchanges(from);
      expect(refused.map((e) => e.status)).toEqual([429]);
      expect(upstreamMessages(upFrom)).toHaveLength(0);
      expect(refused[0].headers['x-should-retry']).toBe('false');
      expect(refused[0].headers['retry-after']).toBeUndefined();
      expect(Object.keys(refused[0].headers).filter((h) => h.startsWith('anthropic-ratelimit-unified-'))).toEqual([]);
      expect(refused[0].headers['x-lamplight-spend-limit-scope']).toBe('session');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'spend limits unreachable, the organization failing closed: the message printed as it is, one request, nothing sent',
    async () => {
      await spend(0);
      const first = await claude(['--output-format', 'json', `Before. ${marker({ text: 'Before the outage.' })}`]);
      const { session_id: sessionId } = JSON.parse(first.stdout) as { session_id: string };
      await eventually(async () => {
        const rows = await sql(
          `select 1 from interactions i join sessions s on s.id = i.session_id
          where s.organization_id = $1 and s.external_id = $2`,
          [organizationId, sessionId],
        );
        return rows.length === 1 ? true : undefined;
      });
      // A lease still valid here would admit the call without the database (by design).
      await leaseGivenBack();
      const from = recorder.exchanges.length;
      const upFrom = mock.requests.length;
      link.sever();
      let run: { code: number | null; stdout: string };
      try {
        run = await claude(['--resume', sessionId, `During. ${marker({ text: 'Never sent.' })}`]);
      } finally {
        link.restore();
      }
      expect(run.code).toBe(1);
      expect(run.stdout).toBe(
        "API Error: Request rejected (429) \u00b7 Spend limits cannot be checked right now and this organization's setting is to refuse calls until they can. Nothing was sent to Anthropic; try again in a few minutes, or ask an owner or admin of your organization if it persists.\n",
      );
      const refused = messagesExchanges(from);
      expect(refused.map((e) => e.status)).toEqual([429]);
      expect(upstreamMessages(upFrom)).toHaveLength(0);
      expect(refused[0].headers['x-should-retry']).toBe('false');
      expect(Object.keys(refused[0].headers).filter((h) => h.startsWith('anthropic-ratelimit-unified-'))).toEqual([
        'anthropic-ratelimit-unified-overage-disabled-reason',
      ]);
      expect(refused[0].headers['anthropic-ratelimit-unified-overage-disabled-reason']).toBe('fetch_error');
      expect(JSON.parse(refused[0].body)).toMatchObject({ error: { type: 'billing_error' } });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "over the cap: Claude Code prints Lamplight's message (when it resets, what to do) and does not retry",
    async () => {
      await spend(100_000_000);
      const from = recorder.exchanges.length;
      const upFrom = mock.requests.length;
      const json = await claude(['--output-format', 'json', `Blocked. ${marker({ text: 'Never sent.' })}`]);
      const text = await claude([`Blocked. ${marker({ text: 'Never sent.' })}`]);
      const screen = await interactive(`Blocked. ${marker({ text: 'Never sent.' })}`, (s) =>
        s.includes('Nothing was sent to Anthropic.'),
      );
      const said =
        'Spend limit reached: your monthly spend limit of $100.00 has $100.00 spent and $0.00 held by calls in flight, no room for this call';
      const when =
        'It resets Dec 1, 00:00 UTC (2026-12-01T00:00:00.000Z); until then, ask an owner or admin of your organization to raise it. Nothing was sent to Anthropic.';
      // `-p --output-format json`: an error result carrying the message behind Claude Code's generic prefix.
      const result = JSON.parse(json.stdout) as { is_error: boolean; api_error_status: number; result: string };
      expect(json.code).toBe(1);
      expect(result).toMatchObject({ is_error: true, api_error_status: 429 });
      expect(result.result).toMatch(new RegExp(`^API Error: Request rejected \\(429\\) \u00b7 ${escape(said)}`));
      expect(result.result).toContain(when);
      // `-p`: the same line on stdout, exit code 1.
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(new RegExp(`^API Error: Request rejected \\(429\\) \u00b7 ${escape(said)}`));
      expect(text.stdout).toContain(when);
      // Interactive: the same line, wrapped to the terminal.
      const flat = screen.replace(/\s+/g, ' ');
      expect(flat).toContain(`\u25cf API Error: Request rejected (429) \u00b7 ${said}`);
      expect(flat).toContain(when);

      // One call per run reached Lamplight (no retry into the block), each refused before Anthropic.
      const refused = messagesExchanges(from);
      expect(refused.map((e) => e.status)).toEqual([429, 429, 429]);
      expect(upstreamMessages(upFrom)).toHaveLength(0);
      const reset = String(Date.UTC(2026, 11, 1) / 1000);
      for (const exchange of refused) {
        expect(exchange.headers).toMatchObject({
          'x-should-retry': 'false',
          'anthropic-ratelimit-unified-status': 'rejected',
          'anthropic-ratelimit-unified-reset': reset,
          'anthropic-ratelimit-unified-overage-reset': reset,
          'anthropic-ratelimit-unified-overage-utilization': '1',
          'anthropic-ratelimit-unified-overage-surpassed-threshold': '1',
          'anthropic-ratelimit-unified-overage-period': 'monthly',
          'anthropic-ratelimit-unified-overage-disabled-reason': 'org_spend_cap_reached',
        });
        expect(exchange.headers['anthropic-ratelimit-unified-representative-claim']).toBeUndefined();
        expect(exchange.headers['anthropic-ratelimit-unified-overage-status']).toBeUndefined();
        const retryAfter = Number(exchange.headers['retry-after']);
        expect(Math.abs(retryAfter - (Number(reset) - Date.now() / 1000))).toBeLessThan(120);
        expect(JSON.parse(exchange.body)).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
      }
    },
    TEST_TIMEOUT_MS,
  );
});
