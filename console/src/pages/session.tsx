import { useId, useState } from 'preact/hooks';
import { api, type Me, type Organization, type Schemas, unwrap } from '../api';
import { money, ms, number, short, when } from '../format';
import { renderMarkdown } from '../markdown';
import { CopyButton, ErrorBox, field, Show, Tile, useLoad } from '../ui';

type Session = Schemas['SessionDetailResponseDto'];
type Call = Schemas['SessionInteractionDto'];
type ToolEvent = Schemas['SessionEventDto'];
type Share = Schemas['ShareStatusResponseDto'];

interface SessionData {
  session: Session;
  calls: Call[];
  totalCalls: number;
  share: Share | null;
  /** Tool calls and tool results of each call (by interaction id), rebuilt from the stored content. */
  tools: Map<string, ToolEvent[]>;
}

const TURNS_PER_PAGE = 100;

/** The tool events of the first `count` calls, read a page of turns at a time, in parallel. */
async function toolEvents(sessionId: string, count: number): Promise<Map<string, ToolEvent[]>> {
  const pages = await Promise.all(
    Array.from({ length: Math.ceil(count / TURNS_PER_PAGE) }, (_, i) =>
      api
        .GET('/api/v1/sessions/{sessionId}/events', {
          params: { path: { sessionId }, query: { limit: TURNS_PER_PAGE, offset: i * TURNS_PER_PAGE } },
        })
        .then(unwrap),
    ),
  );
  const tools = new Map<string, ToolEvent[]>();
  for (const turn of pages.flatMap((p) => p.turns)) {
    const events = turn.events.filter((e) => e.type === 'TOOL_USE' || e.type === 'TOOL_RESULT');
    if (events.length > 0) tools.set(turn.task_id, events);
  }
  return tools;
}

/** One session: totals, device, agents with their cost, the transcript, and what can be done with it. */
export function SessionPage(props: { organization: Organization; me: Me; sessionId: string }) {
  const path = { sessionId: props.sessionId };
  const [load, reload] = useLoad<SessionData>(async () => {
    const session = unwrap(await api.GET('/api/v1/sessions/{sessionId}', { params: { path } }));
    const [history, share, tools] = await Promise.all([
      api
        .GET('/api/v1/sessions/{sessionId}/history', {
          params: { path: { sessionId: session.id }, query: { limit: 1000 } },
        })
        .then(unwrap),
      api
        .GET('/spotlight/analytics/sessions/{sessionUuid}/share', { params: { path: { sessionUuid: session.id } } })
        .then((r) => r.data ?? null),
      toolEvents(session.id, Math.min(session.taskCount, 1000)),
    ]);
    return { session, calls: history.data, totalCalls: history.totalCount, share, tools };
  }, props.sessionId);

  if (load.state === 'error' && load.status === 404) {
    return (
      <section class="empty" aria-labelledby="nf-title">
        <h1 id="nf-title">Session not found</h1>
        <p>
          There is no such session in {props.organization.name}. It may have been deleted, or the link belongs to
          another organization.
        </p>
        <p>
          <a href="/sessions">All sessions</a>
        </p>
      </section>
    );
  }
  return (
    <Show load={load} retry={reload} label="Loading session…">
      {(data) => <SessionBody data={data} organization={props.organization} me={props.me} reload={reload} />}
    </Show>
  );
}

function SessionBody({
  data,
  organization,
  me,
  reload,
}: {
  data: SessionData;
  organization: Organization;
  me: Me;
  reload: () => void;
}) {
  const { session, calls } = data;
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [renaming, setRenaming] = useState(false);
  const [deleted, setDeleted] = useState(false);
  const isAdmin = organization.role !== 'member';
  const mayChange = isAdmin || session.user === me.user.id;
  const path = { sessionId: session.id };

  const act = async (what: string, action: () => Promise<unknown>) => {
    setMessage(null);
    try {
      await action();
      setMessage({ kind: 'ok', text: what });
      reload();
    } catch (error) {
      setMessage({ kind: 'error', text: error instanceof Error ? error.message : String(error) });
    }
  };

  const rename = (event: Event) => {
    event.preventDefault();
    const title = field(new FormData(event.currentTarget as HTMLFormElement), 'title');
    void act('Renamed.', async () => {
      unwrap(await api.PATCH('/api/v1/sessions/{sessionId}', { params: { path }, body: { title } }));
      setRenaming(false);
    });
  };
  const remove = () => {
    if (!window.confirm('Delete this session? An admin can restore it.')) return;
    void (async () => {
      const result = await api.DELETE('/api/v1/sessions/{sessionId}', { params: { path } });
      if (result.response.ok) setDeleted(true);
      else
        setMessage({
          kind: 'error',
          text: (result.error as { detail?: string } | undefined)?.detail ?? 'The session could not be deleted.',
        });
    })();
  };
  const restore = () =>
    void act('Restored.', async () => {
      unwrap(await api.POST('/api/v1/sessions/{sessionId}/restore', { params: { path } }));
      setDeleted(false);
    });

  if (deleted) {
    return (
      <section class="empty" aria-labelledby="deleted-title">
        <h1 id="deleted-title">Session deleted</h1>
        <p>
          “{session.title ?? session.externalId}” no longer appears in lists, and its share links were removed.
          {isAdmin ? ' As an admin you can restore it now.' : ' An admin of the organization can restore it.'}
        </p>
        {message?.kind === 'error' && <ErrorBox message={message.text} />}
        <p class="actions center">
          {isAdmin && (
            <button type="button" class="primary" onClick={restore}>
              Restore
            </button>
          )}
          <a class="button" href="/sessions">
            All sessions
          </a>
        </p>
      </section>
    );
  }

  return (
    <article aria-labelledby="session-title">
      <div class="page-head">
        <div>
          <p class="crumbs">
            <a href="/sessions">Sessions</a> /
          </p>
          {renaming ? (
            <form class="rename" onSubmit={rename}>
              <label>
                Title
                <input name="title" defaultValue={session.title ?? ''} maxLength={60} required autoFocus />
              </label>
              <button type="submit" class="primary">
                Save
              </button>
              <button type="button" onClick={() => setRenaming(false)}>
                Cancel
              </button>
            </form>
          ) : (
            <h1 id="session-title">{session.title ?? session.externalId}</h1>
          )}
          <p class="sub mono">{session.externalId}</p>
          {session.releasedAt && <span class="badge">released {when(session.releasedAt)}</span>}
        </div>
        <div class="actions">
          {mayChange && !renaming && (
            <button type="button" onClick={() => setRenaming(true)}>
              Rename
            </button>
          )}
          {mayChange && !session.releasedAt && (
            <button
              type="button"
              onClick={() =>
                void act('Released: the next call with this id opens a new session.', async () =>
                  unwrap(await api.POST('/api/v1/sessions/{sessionId}/release', { params: { path } })),
                )
              }
            >
              Release
            </button>
          )}
          <a class="button" href={`/api/v1/sessions/${encodeURIComponent(session.id)}/export?format=jsonl`} download>
            Export JSONL
          </a>
          <a class="button" href={`/api/v1/sessions/${encodeURIComponent(session.id)}/export?format=csv`} download>
            Export CSV
          </a>
          {mayChange && (
            <button type="button" class="danger" onClick={remove}>
              Delete
            </button>
          )}
        </div>
      </div>
      {message && (
        <p class={message.kind === 'ok' ? 'notice' : 'error'} role={message.kind === 'ok' ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <div class="tiles">
        <Tile
          label="Spend"
          value={
            session.unpricedRequests > 0 && session.unpricedRequests === session.taskCount
              ? 'unpriced'
              : money(session.costUsd)
          }
          hint={session.unpricedRequests > 0 ? `${session.unpricedRequests} unpriced call(s)` : undefined}
        />
        <Tile
          label="Requests"
          value={number(session.taskCount)}
          hint={
            session.errorRequests > 0
              ? `${number(session.errorRequests)} failed`
              : session.taskCount > 0
                ? 'all ok'
                : undefined
          }
        />
        <Tile
          label="Tokens"
          value={short(session.tokensUsed)}
          hint={session.tokenBudget ? `budget ${short(session.tokenBudget)}` : undefined}
        />
        <Tile
          label="Cache reads"
          value={short(session.cacheReadTokens)}
          hint={`${short(session.cacheWrite5mTokens + session.cacheWrite1hTokens)} written`}
        />
      </div>
      <div class="grid-2">
        <div class="card">
          <h2>Device</h2>
          <DeviceList session={session} />
          <p class="sub">
            Started {when(session.createdAt)} · last activity {when(session.lastActivityAt)}
          </p>
          {session.models.length > 0 && <p class="sub">Models: {session.models.join(', ')}</p>}
        </div>
        <div class="card">
          <h2>Agents</h2>
          <AgentTree agents={session.agents} />
        </div>
      </div>
      <SharePanel
        session={session}
        share={data.share}
        mayShare={mayChange && organization.settings.sharingEnabled}
        onChanged={reload}
      />
      <section class="card" aria-labelledby="transcript-title">
        <h2 id="transcript-title">
          Transcript{' '}
          <span class="sub">
            ({number(data.totalCalls)} calls{data.totalCalls > calls.length ? `, first ${calls.length} shown` : ''})
          </span>
        </h2>
        {calls.length === 0 ? (
          <p>No calls in this session.</p>
        ) : (
          <ol class="transcript">
            {calls.map((call, i) => (
              <Turn key={call.id} call={call} index={i + 1} tools={data.tools.get(call.id) ?? []} />
            ))}
          </ol>
        )}
      </section>
    </article>
  );
}

function DeviceList({ session }: { session: Session }) {
  const device = session.device as
    Partial<Record<'id' | 'platform' | 'type' | 'name' | 'osVersion', string>> | null | undefined;
  if (!device) return <p>No device reported.</p>;
  const rows: Array<[string, string | undefined]> = [
    ['Name', device.name],
    ['Type', device.type],
    ['Platform', device.platform],
    ['OS version', device.osVersion],
    ['Device id', device.id],
  ];
  return (
    <dl class="facts">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd class="mono">{value || '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

interface AgentNode {
  id: string;
  parent: string | null;
  calls: number;
  cost: number;
  unpriced: number;
  children: AgentNode[];
}

/** Agents (Claude Code's subagents) as a tree under the main agent, each with its calls and cost (all calls, from the server). */
function AgentTree({ agents }: { agents: Session['agents'] }) {
  const nodes = new Map<string, AgentNode>();
  const MAIN = 'main agent';
  for (const agent of agents) {
    const id = agent.agentId ?? MAIN;
    const node = nodes.get(id) ?? {
      id,
      parent: agent.agentId ? (agent.parentAgentId ?? MAIN) : null,
      calls: 0,
      cost: 0,
      unpriced: 0,
      children: [],
    };
    node.calls += agent.calls;
    node.unpriced += agent.unpricedRequests;
    node.cost += agent.costUsd;
    nodes.set(id, node);
  }
  const roots: AgentNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parent ? nodes.get(node.parent) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  if (roots.length === 0) return <p>No calls yet.</p>;
  const render = (list: AgentNode[]) => (
    <ul class="tree">
      {list.map((node) => (
        <li key={node.id}>
          <span class="mono">{node.id}</span> — {node.calls} call{node.calls === 1 ? '' : 's'},{' '}
          {node.unpriced === node.calls ? 'unpriced' : money(node.cost)}
          {node.unpriced > 0 && node.unpriced < node.calls && ` + ${node.unpriced} unpriced`}
          {node.children.length > 0 && render(node.children)}
        </li>
      ))}
    </ul>
  );
  return render(roots);
}

/** Text longer than this (or with more lines) starts collapsed. */
const LONG_CHARS = 400;
const LONG_LINES = 8;

/**
 * A tool call or tool result: shown whole when short; when long, collapsed to its first lines
 * behind a button (aria-expanded, aria-controls) that Enter and Space operate.
 */
function ToolBlock({ event }: { event: ToolEvent }) {
  const id = useId();
  const long = event.message.length > LONG_CHARS || event.message.split('\n').length > LONG_LINES;
  const [open, setOpen] = useState(!long);
  const kind = event.type === 'TOOL_USE' ? 'Tool call' : 'Tool result';
  const name = event.type === 'TOOL_USE' ? event.message.split(' ', 1)[0] : null;
  const preview = event.message.split('\n').slice(0, 2).join('\n').slice(0, 160);
  return (
    <div class={`tool-block ${event.type === 'TOOL_USE' ? 'tool-use' : 'tool-result'}`}>
      <div class="tool-head">
        <span class="who-label">
          {kind}
          {name ? ` · ${name}` : ''}
        </span>
        {long && (
          <button type="button" class="link" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
            {open ? 'Collapse' : `Expand (${number(event.message.length)} characters)`}
          </button>
        )}
      </div>
      <pre id={id} class={open ? 'tool-text' : 'tool-text collapsed'}>
        {open ? event.message : `${preview}…`}
      </pre>
    </div>
  );
}

function Markdown({ text }: { text: string }) {
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />;
}

function Turn({ call, index, tools }: { call: Call; index: number; tools: ToolEvent[] }) {
  return (
    <li class="turn" id={`call-${call.id}`}>
      <div class="turn-head">
        <span class="turn-number">#{index}</span>
        <span class="mono">{call.model}</span>
        {call.agentId && <span class="badge">agent {call.agentId}</span>}
        <span class={`badge outcome-${call.outcome}`}>
          {call.outcome === 'ok' ? 'ok' : `${call.outcome} ${call.httpStatus}`}
        </span>
        <span class="sub">{when(call.startedAt)}</span>
      </div>
      {call.userQuery !== null && (
        <div class="bubble user">
          <div class="who-label">Prompt</div>
          <Markdown text={call.userQuery} />
        </div>
      )}
      {tools
        .filter((e) => e.type === 'TOOL_RESULT')
        .map((event, i) => (
          <ToolBlock key={`r${i}`} event={event} />
        ))}
      {call.finalOutput !== null && (
        <div class="bubble assistant">
          <div class="who-label">Response</div>
          <Markdown text={call.finalOutput} />
        </div>
      )}
      {tools
        .filter((e) => e.type === 'TOOL_USE')
        .map((event, i) => (
          <ToolBlock key={`u${i}`} event={event} />
        ))}
      {call.userQuery === null && call.finalOutput === null && tools.length === 0 && (
        <p class="sub">
          Content{' '}
          {call.contentStatus === 'not_stored'
            ? 'not stored (the organization keeps no content)'
            : call.contentStatus.replace('_', ' ')}
          .
        </p>
      )}
      <details class="call-details">
        <summary>
          {short(call.totalTokens)} tokens · {money(call.costUsd)} · {ms(call.latencyMs)} · TTFT{' '}
          {ms(call.timeToFirstTokenMs)}
        </summary>
        <dl class="facts">
          <div>
            <dt>Input</dt>
            <dd>{number(call.inputTokens)}</dd>
          </div>
          <div>
            <dt>Output</dt>
            <dd>{number(call.outputTokens)}</dd>
          </div>
          <div>
            <dt>Cache read</dt>
            <dd>{number(call.cacheReadTokens)}</dd>
          </div>
          <div>
            <dt>Cache write 5m</dt>
            <dd>{number(call.cacheWrite5mTokens)}</dd>
          </div>
          <div>
            <dt>Cache write 1h</dt>
            <dd>{number(call.cacheWrite1hTokens)}</dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>{money(call.costUsd)}</dd>
          </div>
          <div>
            <dt>Latency</dt>
            <dd>{ms(call.latencyMs)}</dd>
          </div>
          <div>
            <dt>Time to first token</dt>
            <dd>{ms(call.timeToFirstTokenMs)}</dd>
          </div>
          <div>
            <dt>Stop reason</dt>
            <dd>{call.stopReason ?? '—'}</dd>
          </div>
          <div>
            <dt>Streamed</dt>
            <dd>{call.stream ? 'yes' : 'no'}</dd>
          </div>
          <div>
            <dt>Upstream request</dt>
            <dd class="mono">{call.upstreamRequestId ?? '—'}</dd>
          </div>
        </dl>
      </details>
    </li>
  );
}

const EXPIRY = [
  ['', 'Never'],
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '7 days'],
  ['2592000', '30 days'],
] as const;

function SharePanel({
  session,
  share,
  mayShare,
  onChanged,
}: {
  session: Session;
  share: Share | null;
  mayShare: boolean;
  onChanged: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const path = { sessionUuid: session.id };
  const create = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const expires = field(form, 'expires');
    setError(null);
    try {
      unwrap(
        await api.POST('/spotlight/analytics/sessions/{sessionUuid}/share', {
          params: { path },
          body: {
            include_content: form.get('content') === 'on',
            ...(expires ? { expires_in_seconds: Number(expires) } : {}),
          },
        }),
      );
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const revoke = async () => {
    setError(null);
    try {
      unwrap(await api.DELETE('/spotlight/analytics/sessions/{sessionUuid}/share', { params: { path } }));
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <section class="card" aria-labelledby="share-title">
      <h2 id="share-title">Sharing</h2>
      {error && <ErrorBox message={error} />}
      {share?.is_shared && share.share_url ? (
        <div class="share">
          <p>
            Anyone with this link can see the session
            {share.include_content ? ', including its transcript' : ' (totals and calls, no transcript)'}
            {share.expires_at ? ` until ${when(share.expires_at)}` : ''}.
          </p>
          <div class="share-link">
            <input
              aria-label="Share link"
              readOnly
              value={share.share_url}
              onFocus={(e) => (e.target as HTMLInputElement).select()}
            />
            <CopyButton text={share.share_url} label="Copy link" />
            <a class="button" href={share.share_url} target="_blank" rel="noopener noreferrer">
              Open
            </a>
            {mayShare && (
              <button type="button" class="danger" onClick={() => void revoke()}>
                Revoke
              </button>
            )}
          </div>
        </div>
      ) : mayShare ? (
        <form class="share-form" onSubmit={(e) => void create(e)}>
          <label>
            Expires
            <select name="expires">
              {EXPIRY.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label class="check">
            <input type="checkbox" name="content" /> Include the transcript
          </label>
          <button type="submit" class="primary">
            Create share link
          </button>
        </form>
      ) : (
        <p>Not shared. Only the session's owner and admins can share it, when the organization allows sharing.</p>
      )}
    </section>
  );
}
