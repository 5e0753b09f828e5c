import { useState } from 'preact/hooks';
import { api, type Organization, type Schemas, unwrap } from '../api';
import { money, number, short, when } from '../format';
import { navigate, withQuery } from '../router';
import { Empty, field, Show, useLoad } from '../ui';

type Session = Schemas['SessionResponseDto'];
type Member = Schemas['MemberResponseDto'];

const PAGE = 50;
const PERIODS: Record<string, { label: string; days: number | null }> = {
  all: { label: 'Any time', days: null },
  '1d': { label: 'Last 24 hours', days: 1 },
  '7d': { label: 'Last 7 days', days: 7 },
  '30d': { label: 'Last 30 days', days: 30 },
};
const SORTS = { newest: 'Newest', cost: 'Highest spend', tokens: 'Most tokens' } as const;
const OUTCOMES = { any: 'Any outcome', errors: 'Has errors', ok: 'All calls ok' } as const;
/** The client kinds the proxy records as the device type. */
const AGENTS: Record<string, string> = {
  'claude-code': 'Claude Code',
  'sdk-js': 'SDK (JavaScript)',
  'sdk-python': 'SDK (Python)',
  unknown: 'Unknown client',
};

interface Page {
  rows: Session[];
  next: string | null;
  members: Member[];
  /** The models the organization called in the last 90 days (from the hourly rollups), for the model box. */
  models: string[];
}

/** The filters as the URL holds them: every one bookmarkable, and the back button restores the last. */
interface Filters {
  q: string;
  period: string;
  sort: keyof typeof SORTS;
  outcome: keyof typeof OUTCOMES;
  user: string;
  model: string;
  agent: string;
  deleted: boolean;
  before?: string;
}

function readFilters(query: URLSearchParams, isAdmin: boolean): Filters {
  const pick = <T extends string>(value: string | null, allowed: Record<T, unknown>, fallback: T): T =>
    value !== null && Object.hasOwn(allowed, value) ? (value as T) : fallback;
  return {
    q: query.get('q') ?? '',
    period: pick(query.get('period'), PERIODS, 'all'),
    sort: pick(query.get('sort'), SORTS, 'newest'),
    outcome: pick(query.get('outcome'), OUTCOMES, 'any'),
    user: query.get('user') ?? '',
    model: query.get('model') ?? '',
    agent: query.get('agent') ?? '',
    deleted: isAdmin && query.get('view') === 'deleted',
    before: query.get('before') ?? undefined,
  };
}

/**
 * The organization's sessions through /api/v1/sessions: search, period, member, model, outcome,
 * client and order, paged by cursor. Admins also see the deleted sessions, and restore them.
 */
export function SessionsPage(props: { organization: Organization; query: URLSearchParams }) {
  const isAdmin = props.organization.role !== 'member';
  const f = readFilters(props.query, isAdmin);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  const [load, reload] = useLoad<Page>(async () => {
    const days = PERIODS[f.period].days;
    const [data, members, models] = await Promise.all([
      api
        .GET('/api/v1/sessions', {
          params: {
            query: {
              limit: PAGE,
              ...(f.before ? { before: f.before } : {}),
              ...(f.q ? { q: f.q } : {}),
              ...(days ? { createdAfter: new Date(Date.now() - days * 86_400_000).toISOString() } : {}),
              ...(f.sort !== 'newest' ? { sort: f.sort } : {}),
              ...(f.outcome !== 'any' ? { outcome: f.outcome } : {}),
              ...(f.user ? { user: f.user } : {}),
              ...(f.model ? { model: f.model } : {}),
              ...(f.agent ? { agent: f.agent } : {}),
              ...(f.deleted ? { deleted: 'true' as const } : {}),
            },
          },
        })
        .then(unwrap),
      api
        .GET('/api/v1/organizations/{id}/members', { params: { path: { id: props.organization.id } } })
        .then((r) => r.data?.data ?? []),
      api
        .GET('/spotlight/analytics/tokens', {
          params: { query: { start: new Date(Date.now() - 90 * 86_400_000).toISOString() } },
        })
        .then((r) => r.data?.models.map((m) => m.model) ?? []),
    ]);
    return { rows: data.data, next: data.nextCursor ?? null, members, models };
  }, `${props.organization.id}:${props.query.toString()}`);

  const go = (changes: Record<string, string | null>) =>
    navigate(withQuery('/sessions', props.query, { ...changes, before: null }));
  const onSearch = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    go({ q: field(form, 'q').trim(), model: field(form, 'model').trim() });
  };
  const onSelect = (name: string, none: string) => (event: Event) => {
    const value = (event.currentTarget as HTMLSelectElement).value;
    go({ [name]: value === none ? null : value });
  };
  const restore = async (session: Session) => {
    setNotice(null);
    try {
      unwrap(await api.POST('/api/v1/sessions/{sessionId}/restore', { params: { path: { sessionId: session.id } } }));
      setNotice({ kind: 'ok', text: `Restored “${session.title ?? session.externalId}”.` });
      reload();
    } catch (error) {
      setNotice({ kind: 'error', text: error instanceof Error ? error.message : String(error) });
    }
  };
  const filtered =
    f.q !== '' || f.period !== 'all' || f.outcome !== 'any' || f.user !== '' || f.model !== '' || f.agent !== '';
  const members = load.state === 'ready' ? load.data.members : [];
  const models = new Set(
    load.state === 'ready' ? [...load.data.models, ...load.data.rows.flatMap((s) => s.models ?? [])] : [],
  );
  const title = f.deleted ? 'Deleted sessions' : 'Sessions';

  return (
    <section aria-labelledby="sessions-title">
      <div class="page-head">
        <h1 id="sessions-title">{title}</h1>
        {isAdmin && (
          <nav class="view-switch" aria-label="Which sessions">
            <a
              href={withQuery('/sessions', props.query, { view: null, before: null })}
              aria-current={!f.deleted ? 'page' : undefined}
            >
              Live
            </a>
            <a
              href={withQuery('/sessions', props.query, { view: 'deleted', before: null })}
              aria-current={f.deleted ? 'page' : undefined}
            >
              Deleted
            </a>
          </nav>
        )}
      </div>
      <form class="filters" role="search" aria-label="Filter sessions" onSubmit={onSearch}>
        <label>
          Search
          <input
            key={`q:${f.q}`}
            name="q"
            type="search"
            defaultValue={f.q}
            placeholder="Title or external id"
            maxLength={200}
          />
        </label>
        <label>
          Model
          <input
            key={`model:${f.model}`}
            name="model"
            type="search"
            list="session-models"
            defaultValue={f.model}
            placeholder="Exact model id"
            maxLength={255}
          />
          <datalist id="session-models">
            {[...models].sort().map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </label>
        <FilterSelect
          label="Period"
          value={f.period}
          onChange={onSelect('period', 'all')}
          options={Object.entries(PERIODS).map(([key, p]) => [key, p.label])}
        />
        <FilterSelect
          label="Member"
          value={f.user}
          onChange={onSelect('user', '')}
          any="Everyone"
          options={members.map((m) => [m.userId, m.name || m.email])}
        />
        <FilterSelect
          label="Outcome"
          value={f.outcome}
          onChange={onSelect('outcome', 'any')}
          options={Object.entries(OUTCOMES)}
        />
        <FilterSelect
          label="Client"
          value={f.agent}
          onChange={onSelect('agent', '')}
          any="Any client"
          options={Object.entries(AGENTS)}
        />
        <FilterSelect
          label="Sort"
          value={f.sort}
          onChange={onSelect('sort', 'newest')}
          options={Object.entries(SORTS)}
        />
        <button type="submit">Search</button>
        {filtered && (
          <a
            class="button"
            href={withQuery('/sessions', new URLSearchParams(), { view: f.deleted ? 'deleted' : null })}
          >
            Clear filters
          </a>
        )}
      </form>
      {notice && (
        <p class={notice.kind === 'ok' ? 'notice' : 'error'} role={notice.kind === 'ok' ? 'status' : 'alert'}>
          {notice.text}
        </p>
      )}
      <Show load={load} retry={reload} label={f.deleted ? 'Loading deleted sessions…' : 'Loading sessions…'}>
        {(page) =>
          page.rows.length === 0 ? (
            <Empty>
              <h2>{filtered ? 'No session matches' : f.deleted ? 'No deleted sessions' : 'No sessions yet'}</h2>
              <p>
                {filtered
                  ? 'Try other filters, or clear them.'
                  : f.deleted
                    ? 'Sessions deleted in this organization appear here, and an admin can restore them.'
                    : 'Sessions appear here as soon as calls go through Lamplight.'}
              </p>
            </Empty>
          ) : (
            <>
              <div class="table-wrap">
                <table class="sessions">
                  <caption class="visually-hidden">
                    {title}, {SORTS[f.sort].toLowerCase()} first
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Session</th>
                      <th scope="col" class="num">
                        Requests
                      </th>
                      <th scope="col" class="num">
                        Tokens
                      </th>
                      <th scope="col" class="num">
                        Spend
                      </th>
                      <th scope="col">{f.deleted ? 'Deleted' : 'Last activity'}</th>
                      {f.deleted && (
                        <th scope="col">
                          <span class="visually-hidden">Actions</span>
                        </th>
                      )}
                    </tr>
                  </thead>
                  <tbody>
                    {page.rows.map((row) => (
                      <SessionRow key={row.id} row={row} deleted={f.deleted} onRestore={() => void restore(row)} />
                    ))}
                  </tbody>
                </table>
              </div>
              <nav class="pager" aria-label="Pages">
                {f.before && <a href={withQuery('/sessions', props.query, { before: null })}>First page</a>}
                {page.next && (
                  <a href={withQuery('/sessions', props.query, { before: page.next })} rel="next">
                    Next page
                  </a>
                )}
              </nav>
            </>
          )
        }
      </Show>
    </section>
  );
}

function SessionRow({ row, deleted, onRestore }: { row: Session; deleted: boolean; onRestore: () => void }) {
  const label = row.title ?? row.externalId;
  const errors = row.errorRequests ?? 0;
  const client = AGENTS[row.device.type] ?? row.device.type;
  return (
    <tr>
      <td>
        {deleted ? (
          <span class="strong">{label}</span>
        ) : (
          <a href={`/sessions/${encodeURIComponent(row.id)}`}>{label}</a>
        )}
        {label !== row.externalId && <div class="sub mono">{row.externalId}</div>}
        <div class="row-badges">
          {row.releasedAt && <span class="badge">released</span>}
          {errors > 0 && (
            <span class="badge outcome-error">
              {errors} error{errors === 1 ? '' : 's'}
            </span>
          )}
          <span class="badge">{client}</span>
          {(row.models ?? []).slice(0, 2).map((m) => (
            <span key={m} class="badge mono">
              {m}
            </span>
          ))}
        </div>
      </td>
      <td class="num">{number(row.taskCount)}</td>
      <td class="num">{short(row.tokensUsed)}</td>
      <td class="num">
        {row.unpricedRequests > 0 && row.unpricedRequests === row.taskCount ? (
          <span class="badge">unpriced</span>
        ) : (
          money(row.costUsd)
        )}
        {row.unpricedRequests > 0 && row.unpricedRequests < row.taskCount && (
          <span class="badge">+{row.unpricedRequests} unpriced</span>
        )}
      </td>
      <td>{when(deleted ? row.deletedAt : row.lastActivityAt)}</td>
      {deleted && (
        <td>
          <button type="button" onClick={onRestore} aria-label={`Restore ${label}`}>
            Restore
          </button>
        </td>
      )}
    </tr>
  );
}

/**
 * A labelled filter over a list of [value, label] pairs. With `any`, an empty first option means no
 * filter, and a value the list lacks (from a bookmarked URL) is kept as an option of its own.
 */
function FilterSelect(props: {
  label: string;
  value: string;
  onChange: (event: Event) => void;
  options: [string, string][];
  any?: string;
}) {
  const stray = props.any !== undefined && props.value !== '' && !props.options.some(([key]) => key === props.value);
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={props.onChange}>
        {props.any !== undefined && <option value="">{props.any}</option>}
        {stray && <option value={props.value}>{props.value}</option>}
        {props.options.map(([key, label]) => (
          <option key={key} value={key}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}
