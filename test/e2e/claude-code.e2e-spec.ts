/**
 * Conformance with the real Claude Code CLI (`@anthropic-ai/claude-code`, pinned in package.json,
 * its native binary from the npm package): `claude -p` runs through Lamplight against the mock
 * upstream, and each scenario checks what Lamplight recorded in PostgreSQL.
 *
 * The CLI is steered through the mock with a `MOCK:{...}` marker in the prompt (the mock reads it
 * in the latest user message that holds one; `then` scripts the replies after each tool result).
 * It runs with a throwaway HOME and config dir, the platform API key as ANTHROPIC_API_KEY, and
 * every non-essential connection off, so it reaches nothing but Lamplight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  startMockAnthropic,
  type MockAnthropic,
  type MockScenario,
  type RecordedRequest,
} from '../../mock-upstream/mock-anthropic';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
const PINNED_VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies[
  '@anthropic-ai/claude-code'
];
const PROVIDER_KEY = 'sk-ant-api03-lamplight-claude-code-provider-key-0123456789';
/** One CLI run; a run that takes longer is killed and fails its test (which has time to report it). */
const RUN_TIMEOUT_MS = 45_000;
const TEST_TIMEOUT_MS = 120_000;

/** The CLI's native binary, as npm installs it (the postinstall puts it in place of a stub). */
function claudeBinary(): string {
  let packageJson: string;
  try {
    packageJson = require.resolve('@anthropic-ai/claude-code/package.json');
  } catch {
    throw new Error('@anthropic-ai/claude-code is not installed: run `npm ci` (it is a pinned devDependency)');
  }
  return join(dirname(packageJson), 'bin', 'claude.exe');
}

/** What `claude -p --output-format json` prints. */
interface ClaudeResult {
  type: string;
  subtype: string;
  is_error: boolean;
  result: string;
  session_id: string;
  num_turns: number;
  api_error_status?: number | null;
  api_error_type?: string;
  subagent_stats?: { spawned: number; max_depth: number };
}

interface ClaudeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  result: ClaudeResult;
}

interface InteractionRow {
  id: string;
  session_id: string;
  model: string;
  stream: boolean;
  http_status: number;
  outcome: string;
  stop_reason: string | null;
  error_type: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_total_nano_usd: string | null;
  upstream_request_id: string | null;
  agent_id: string | null;
  user_query: string | null;
  final_output: string | null;
  content: { request: unknown[]; response: { type: string; text?: string; name?: string; input?: unknown }[] } | null;
}

interface SessionRow {
  id: string;
  external_id: string;
  device: { id: string; type: string; platform: string; name: string; osVersion: string };
  request_count: string;
}

const marker = (scenario: MockScenario): string => `MOCK:${JSON.stringify(scenario)}`;

/** The Claude Code session a forwarded body belongs to: `metadata.user_id` is JSON with session_id. */
function metadataOf(request: RecordedRequest): { session_id?: string; device_id?: string } {
  const userId = (request.json as { metadata?: { user_id?: unknown } } | undefined)?.metadata?.user_id;
  if (typeof userId !== 'string') return {};
  try {
    return JSON.parse(userId) as { session_id?: string; device_id?: string };
  } catch {
    return {};
  }
}

/** The text of a forwarded message's content blocks, tool results included. */
function textOf(content: unknown): string {
  return JSON.stringify(content);
}

describe('Claude Code through Lamplight (real CLI)', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let owner: TestUser;
  let platformKey: string;
  let work: string;
  let project: string;
  let home: string;
  let binary: string;
  const running = new Set<ChildProcess>();

  /** Runs `claude -p --output-format json <args>` in `cwd` and parses its result. */
  function claude(args: string[], cwd = project): Promise<ClaudeRun> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      SHELL: existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh',
      LANG: 'C.UTF-8',
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      TMPDIR: join(work, 'tmp'),
      ANTHROPIC_BASE_URL: `${baseURL}/spotlight/anthropic`,
      ANTHROPIC_API_KEY: platformKey,
      // Nothing but Lamplight: no telemetry, error reports, update checks or other side traffic.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_AUTOUPDATER: '1',
    };
    return new Promise((resolve, reject) => {
      const child = spawn(binary, ['-p', '--output-format', 'json', ...args], {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(child);
      child.on('exit', () => running.delete(child));
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `claude ${args.join(' ')} did not finish within ${RUN_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        );
      }, RUN_TIMEOUT_MS);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`could not start the Claude Code CLI (${binary}): ${error.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        let result: ClaudeResult;
        try {
          result = JSON.parse(stdout) as ClaudeResult;
        } catch {
          reject(
            new Error(
              `claude ${args.join(' ')} exited ${code} without a JSON result\nstdout: ${stdout}\nstderr: ${stderr}`,
            ),
          );
          return;
        }
        resolve({ code, stdout, stderr, result });
      });
    });
  }

  /** Runs the CLI and returns what the mock received meanwhile. */
  async function claudeObserved(args: string[], cwd = project): Promise<ClaudeRun & { upstream: RecordedRequest[] }> {
    const before = mock.requests.length;
    const run = await claude(args, cwd);
    return { ...run, upstream: mock.requests.slice(before) };
  }

  const sessions = (externalId: string) =>
    app.sql<SessionRow>(
      `select id, external_id, device, request_count from sessions where organization_id = $1 and external_id = $2`,
      [owner.organizationId, externalId],
    );

  const interactionsOf = (externalId: string) =>
    app.sql<InteractionRow>(
      `select i.* from interactions i join sessions s on s.id = i.session_id
       where s.organization_id = $1 and s.external_id = $2 order by i.started_at, i.id`,
      [owner.organizationId, externalId],
    );

  /** Waits until the session holds `count` interactions, then gives them (and checks no more come). */
  async function recorded(externalId: string, count: number): Promise<InteractionRow[]> {
    const rows = await eventually(async () => {
      const found = await interactionsOf(externalId);
      return found.length >= count ? found : undefined;
    });
    expect(rows).toHaveLength(count);
    return rows;
  }

  /** The mock's /v1/messages requests of one Claude Code session (the body names it). */
  const messagesOf = (upstream: RecordedRequest[], sessionId: string) =>
    upstream.filter((r) => r.path === '/v1/messages' && metadataOf(r).session_id === sessionId);

  /**
   * What holds for every Claude Code session: exactly one live session row with Claude Code's
   * device, one interaction per answered call (each upstream answer recorded once, none twice),
   * and the provider key, never the platform key, upstream.
   */
  async function expectOneClaudeCodeSession(sessionId: string, upstream: RecordedRequest[]): Promise<SessionRow> {
    const rows = await sessions(sessionId);
    expect(rows).toHaveLength(1);
    const [session] = rows;
    const forwarded = messagesOf(upstream, sessionId);
    expect(forwarded.length).toBeGreaterThan(0);
    const deviceIds = new Set(forwarded.map((r) => metadataOf(r).device_id));
    expect(deviceIds.size).toBe(1);
    expect(session.device).toMatchObject({ type: 'claude-code', id: [...deviceIds][0] });
    expect(session.device.platform).not.toBe('unknown');
    for (const request of upstream) {
      expect(request.apiKey).toBe(PROVIDER_KEY);
      expect(JSON.stringify(request.headers)).not.toContain(platformKey);
      expect(request.headers['user-agent']).toMatch(new RegExp(`^claude-cli/${PINNED_VERSION.replace(/\./g, '\\.')} `));
    }
    const interactions = await interactionsOf(sessionId);
    const upstreamIds = interactions.map((row) => row.upstream_request_id);
    expect(new Set(upstreamIds).size).toBe(upstreamIds.length);
    expect(Number(session.request_count)).toBe(interactions.length);
    return session;
  }

  /**
   * A prompt turn's user_query: the typed text, once the blocks Claude Code injected into that
   * message (as forwarded upstream) are left out. Returns whether Claude Code injected any.
   */
  function expectUserQuery(row: InteractionRow, typed: string, forwarded: RecordedRequest): boolean {
    const messages = (forwarded.json as { messages: { role: string; content: unknown }[] }).messages;
    const message = messages
      .filter((m) => m.role === 'user' && textOf(m.content).includes(JSON.stringify(typed).slice(1, -1)))
      .at(-1);
    expect(message).toBeDefined();
    const injected = textOf(message!.content).includes('<system-reminder>');
    expect(row.user_query).toBe(typed);
    return injected;
  }

  beforeAll(async () => {
    binary = claudeBinary();
    const version = await new Promise<string>((resolve, reject) => {
      const child = spawn(binary, ['--version'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.on('error', (error) =>
        reject(new Error(`the Claude Code CLI cannot run here (${binary}): ${error.message}`)),
      );
      child.on('close', (code) =>
        code === 0
          ? resolve(out.trim())
          : reject(new Error(`the Claude Code CLI cannot run here (${binary}, exit ${code}): ${out}`)),
      );
    });
    // The npm package holds a stub until its postinstall links the platform binary in (package.json allowScripts).
    expect(version).toBe(`${PINNED_VERSION} (Claude Code)`);

    work = mkdtempSync(join(tmpdir(), 'lamplight-claude-code-'));
    project = join(work, 'project');
    home = join(work, 'home');
    for (const dir of [project, home, join(work, 'tmp')]) mkdirSync(dir, { recursive: true });

    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    baseURL = await listen(app);
    owner = await registerUser(app, 'Claude Code User');
    platformKey = (await createApiKey(app, owner, { name: 'claude code' })).key;
    await storeProviderKey(app, owner, PROVIDER_KEY);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    await app?.close();
    await mock?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let firstSession: string;
  const firstPrompt = `Say hello. ${marker({ text: 'Hello through Lamplight.' })}`;

  it(
    'a prompt: one session with the Claude Code device, one interaction',
    async () => {
      const run = await claudeObserved([firstPrompt]);
      expect(run.result).toMatchObject({ is_error: false, result: 'Hello through Lamplight.' });
      firstSession = run.result.session_id;
      const forwarded = messagesOf(run.upstream, firstSession);
      expect(forwarded).toHaveLength(1);
      expect(forwarded[0].stream).toBe(true);

      const [row] = await recorded(firstSession, 1);
      await expectOneClaudeCodeSession(firstSession, run.upstream);
      expect(row).toMatchObject({
        model: (forwarded[0].json as { model: string }).model,
        stream: true,
        http_status: 200,
        outcome: 'ok',
        stop_reason: 'end_turn',
        agent_id: null,
        final_output: 'Hello through Lamplight.',
        upstream_request_id: forwarded[0].id,
      });
      expect(Number(row.cost_total_nano_usd)).toBeGreaterThan(0);
      // Claude Code wraps a session's first prompt among <system-reminder> blocks: what the clean query must leave out.
      expect(expectUserQuery(row, firstPrompt, forwarded[0])).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '--continue: the same Claude Code session, the same Lamplight session, one more interaction',
    async () => {
      const prompt = `And again. ${marker({ text: 'Continued through Lamplight.' })}`;
      const run = await claudeObserved(['--continue', prompt]);
      expect(run.result).toMatchObject({
        is_error: false,
        result: 'Continued through Lamplight.',
        session_id: firstSession,
      });
      // The whole conversation went upstream again, the first answer in it.
      const [forwarded] = messagesOf(run.upstream, firstSession);
      expect(textOf(forwarded.json)).toContain('Hello through Lamplight.');

      const rows = await recorded(firstSession, 2);
      await expectOneClaudeCodeSession(firstSession, run.upstream);
      expect(rows[1]).toMatchObject({
        outcome: 'ok',
        final_output: 'Continued through Lamplight.',
        upstream_request_id: forwarded.id,
      });
      expectUserQuery(rows[1], prompt, forwarded);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '--resume <id>: an older session resumed while a newer one is the latest',
    async () => {
      const other = await claudeObserved([`Something else. ${marker({ text: 'A separate conversation.' })}`]);
      const otherSession = other.result.session_id;
      expect(otherSession).not.toBe(firstSession);
      await recorded(otherSession, 1);
      await expectOneClaudeCodeSession(otherSession, other.upstream);

      const prompt = `Back to the first. ${marker({ text: 'Resumed through Lamplight.' })}`;
      const run = await claudeObserved(['--resume', firstSession, prompt]);
      expect(run.result).toMatchObject({
        is_error: false,
        result: 'Resumed through Lamplight.',
        session_id: firstSession,
      });
      const rows = await recorded(firstSession, 3);
      await expectOneClaudeCodeSession(firstSession, run.upstream);
      const [forwarded] = messagesOf(run.upstream, firstSession);
      expect(rows[2]).toMatchObject({ final_output: 'Resumed through Lamplight.', upstream_request_id: forwarded.id });
      expectUserQuery(rows[2], prompt, forwarded);
      expect(await interactionsOf(otherSession)).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a tool round trip: Read of a file, then Bash echo, each result sent back through Lamplight',
    async () => {
      const file = join(project, 'lamp-note.txt');
      const contents = `the lamp is lit ${Date.now()}`;
      writeFileSync(file, `${contents}\n`);
      const echoed = `lamplight-bash-${process.pid}`;
      const prompt = `Read the note, then echo. ${marker({
        text: '',
        toolUse: { name: 'Read', input: { file_path: file } },
        then: [
          { text: '', toolUse: { name: 'Bash', input: { command: `echo ${echoed}`, description: 'Echo a word' } } },
          { text: 'Read and echoed.' },
        ],
      })}`;
      const run = await claudeObserved(['--allowedTools', 'Read', `Bash(echo:*)`, '--', prompt]);
      expect(run.result).toMatchObject({ is_error: false, result: 'Read and echoed.', num_turns: 3 });
      const session = run.result.session_id;

      const forwarded = messagesOf(run.upstream, session);
      expect(forwarded).toHaveLength(3);
      const lastMessage = (r: RecordedRequest) =>
        (r.json as { messages: { role: string; content: unknown }[] }).messages.at(-1)!;
      // The CLI really ran the tools: their results went upstream through Lamplight.
      expect(lastMessage(forwarded[1])).toMatchObject({
        role: 'user',
        content: [expect.objectContaining({ type: 'tool_result' })],
      });
      expect(textOf(lastMessage(forwarded[1]).content)).toContain(contents);
      expect(textOf(lastMessage(forwarded[2]).content)).toContain(echoed);

      const rows = await recorded(session, 3);
      await expectOneClaudeCodeSession(session, run.upstream);
      expect(rows.map((row) => row.stop_reason)).toEqual(['tool_use', 'tool_use', 'end_turn']);
      expect(rows.map((row) => row.upstream_request_id)).toEqual(forwarded.map((r) => r.id));
      expect(rows[0].content?.response).toEqual([
        expect.objectContaining({ type: 'tool_use', name: 'Read', input: { file_path: file } }),
      ]);
      expect(rows[1].content?.response).toEqual([expect.objectContaining({ type: 'tool_use', name: 'Bash' })]);
      expect(rows[2].final_output).toBe('Read and echoed.');
      expectUserQuery(rows[0], prompt, forwarded[0]);
      // The tool results are not something the person typed.
      for (const row of rows.slice(1)) {
        expect(row.user_query ?? '').not.toContain(contents);
        expect(row.user_query ?? '').not.toContain(echoed);
        expect(row.user_query ?? '').not.toContain('<system-reminder>');
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '/context: count_tokens calls go through Lamplight and are not recorded as interactions',
    async () => {
      const run = await claudeObserved(['/context']);
      expect(run.result.is_error).toBe(false);
      expect(run.result.result).toContain('Context Usage');
      const counted = run.upstream.filter((r) => r.path === '/v1/messages/count_tokens');
      expect(counted.length).toBeGreaterThan(0);
      expect(counted.every((r) => r.status === 200)).toBe(true);
      expect(run.upstream.filter((r) => r.path === '/v1/messages')).toHaveLength(0);
      for (const request of run.upstream) expect(request.apiKey).toBe(PROVIDER_KEY);
      // Give the recorder a moment: nothing may appear for a command that asked no model anything.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await interactionsOf(run.result.session_id)).toHaveLength(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a subagent that starts its own subagent: one session, each call under its agent id',
    async () => {
      const leafPrompt = `Check the note. ${marker({ text: 'Grandchild done.' })}`;
      const childPrompt = `Look deeper. ${marker({
        text: '',
        toolUse: {
          name: 'Agent',
          input: {
            description: 'Check the note',
            prompt: leafPrompt,
            subagent_type: 'general-purpose',
            run_in_background: false,
          },
        },
        then: [{ text: 'Child done.' }],
      })}`;
      const prompt = `Delegate. ${marker({
        text: '',
        toolUse: {
          name: 'Agent',
          input: {
            description: 'Look deeper',
            prompt: childPrompt,
            subagent_type: 'general-purpose',
            run_in_background: false,
          },
        },
        then: [{ text: 'Main done.' }],
      })}`;
      const run = await claudeObserved(['--allowedTools', 'Agent', '--', prompt]);
      expect(run.result).toMatchObject({ is_error: false, result: 'Main done.' });
      expect(run.result.subagent_stats).toMatchObject({ spawned: 2, max_depth: 2 });
      const session = run.result.session_id;

      // Claude Code's own record of its agents: <config>/projects/<project>/<session>/subagents/agent-<id>.meta.json.
      const projects = join(home, '.claude', 'projects');
      const transcriptDir = readdirSync(projects)
        .map((name) => join(projects, name, session, 'subagents'))
        .find((dir) => existsSync(dir));
      expect(transcriptDir).toBeDefined();
      const agents = readdirSync(transcriptDir!)
        .filter((name) => name.endsWith('.meta.json'))
        .map((name) => ({
          id: name.slice('agent-'.length, -'.meta.json'.length),
          ...(JSON.parse(readFileSync(join(transcriptDir!, name), 'utf8')) as {
            description: string;
            parentAgentId?: string;
          }),
        }));
      const child = agents.find((a) => a.description === 'Look deeper')!;
      const leaf = agents.find((a) => a.description === 'Check the note')!;
      expect(child).toBeDefined();
      expect(leaf).toMatchObject({ parentAgentId: child.id });

      const forwarded = messagesOf(run.upstream, session);
      expect(forwarded).toHaveLength(5);
      const rows = await recorded(session, 5);
      await expectOneClaudeCodeSession(session, run.upstream);
      // main asks for the child; the child asks for the leaf; the leaf answers; the child answers; main answers.
      expect(rows.map((row) => row.agent_id)).toEqual([null, child.id, leaf.id, child.id, null]);
      expect(rows.map((row) => row.final_output)).toEqual([
        null,
        null,
        'Grandchild done.',
        'Child done.',
        'Main done.',
      ]);
      expect(rows.map((row) => row.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
      expectUserQuery(rows[0], prompt, forwarded[0]);
      // Each subagent's first call carries the prompt its parent gave it.
      expectUserQuery(rows[1], childPrompt, forwarded[1]);
      expectUserQuery(rows[2], leafPrompt, forwarded[2]);

      const parents = await app.sql<{ agent_id: string | null; parent_agent_id: string | null }>(
        `select i.agent_id, i.parent_agent_id from interactions i join sessions s on s.id = i.session_id
       where s.organization_id = $1 and s.external_id = $2 order by i.started_at, i.id`,
        [owner.organizationId, session],
      );
      // Claude Code names a parent only below the first level (the main agent has no id).
      expect(parents.map((row) => row.parent_agent_id)).toEqual([null, null, child.id, null, null]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a 529 from Anthropic: Lamplight retries it, Claude Code sees one answer, one interaction',
    async () => {
      const key = `claude-code-529-${Date.now()}`;
      const prompt = `Try through an overload. ${marker({ status: 529, failTimes: 1, key, text: 'Answered after an overload.' })}`;
      const run = await claudeObserved([prompt]);
      expect(run.result).toMatchObject({ is_error: false, result: 'Answered after an overload.' });
      const session = run.result.session_id;

      const forwarded = messagesOf(run.upstream, session);
      expect(forwarded.map((r) => r.status)).toEqual([529, 200]);
      // Lamplight's retry: the same body twice, byte for byte.
      expect(forwarded[1].body).toBe(forwarded[0].body);
      const [row] = await recorded(session, 1);
      await expectOneClaudeCodeSession(session, run.upstream);
      expect(row).toMatchObject({
        http_status: 200,
        outcome: 'ok',
        upstream_request_id: forwarded[1].id,
        final_output: 'Answered after an overload.',
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a 429 from Anthropic: retried by Lamplight, then handed to Claude Code as final; recorded once',
    async () => {
      const prompt = `Try when limited. ${marker({ status: 429, retryAfter: 0 })}`;
      const run = await claudeObserved([prompt]);
      expect(run.result).toMatchObject({ is_error: true, api_error_status: 429 });
      expect(run.result.result).toContain('429');
      const session = run.result.session_id;

      // Lamplight's two retries, then `x-should-retry: false`, which Claude Code honours: no retries of its own.
      const forwarded = messagesOf(run.upstream, session);
      expect(forwarded.map((r) => r.status)).toEqual([429, 429, 429]);
      const [row] = await recorded(session, 1);
      await expectOneClaudeCodeSession(session, run.upstream);
      expect(row).toMatchObject({ http_status: 429, outcome: 'error', upstream_request_id: forwarded[2].id });
      // A JSON error answered to a streaming request keeps its error type.
      expect(row.error_type).toBe('rate_limit_error');
    },
    TEST_TIMEOUT_MS,
  );

  it('over the whole run: every answered call recorded exactly once, one session per Claude Code session', async () => {
    const messages = mock.requests.filter((r) => r.path === '/v1/messages');
    const claudeSessions = new Set(messages.map((r) => metadataOf(r).session_id));
    const all = await app.sql<{ external_id: string; upstream_request_id: string | null; http_status: number }>(
      `select s.external_id, i.upstream_request_id, i.http_status from interactions i join sessions s on s.id = i.session_id
       where s.organization_id = $1`,
      [owner.organizationId],
    );
    const rows = await app.sql<{ external_id: string }>(`select external_id from sessions where organization_id = $1`, [
      owner.organizationId,
    ]);
    expect(new Set(rows.map((row) => row.external_id))).toEqual(claudeSessions);
    expect(rows).toHaveLength(claudeSessions.size);

    const answered = messages.filter((r) => r.status === 200).map((r) => r.id);
    const recordedIds = all.map((row) => row.upstream_request_id);
    expect(new Set(recordedIds).size).toBe(recordedIds.length);
    expect(recordedIds.filter((id) => id !== null && answered.includes(id)).sort()).toEqual([...answered].sort());
    // Besides the answers: the one 429 handed to Claude Code after Lamplight's retries.
    expect(all.filter((row) => row.http_status !== 200)).toHaveLength(1);
    expect(all).toHaveLength(answered.length + 1);
  });
});
