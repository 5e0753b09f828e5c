import { api, type Organization, unwrap } from '../api';
import { money, number, short, when } from '../format';
import { navigate, withQuery } from '../router';
import { Empty, field, Show, useLoad } from '../ui';

const PAGE = 50;
const PERIODS: Record<string, { label: string; days: number | null }> = {
  all: { label: 'Any time', days: null },
  '1d': { label: 'Last 24 hours', days: 1 },
  '7d': { label: 'Last 7 days', days: 7 },
  '30d': { label: 'Last 30 days', days: 30 },
};

interface Row {
  id: string;
  label: string;
  externalId: string;
  requests: number;
  tokens: number;
  cost: number;
  unpriced: number;
  lastActivity: string;
  released: boolean;
}

interface Page {
  rows: Row[];
  next: string | null;
}

/**
 * The organization's sessions. Newest first pages by cursor through /api/v1/sessions (with search
 * and period); by cost or tokens it pages by offset through the analytics list, which sorts.
 */
export function SessionsPage(props: { organization: Organization; query: URLSearchParams }) {
  const q = props.query.get('q') ?? '';
  const period = PERIODS[props.query.get('period') ?? 'all'] ? (props.query.get('period') ?? 'all') : 'all';
  const sort =
    props.query.get('sort') === 'cost' || props.query.get('sort') === 'tokens'
      ? (props.query.get('sort') as 'cost' | 'tokens')
      : 'newest';
  const before = props.query.get('before') ?? undefined;
  const offset = Math.max(0, Number(props.query.get('offset') ?? 0) || 0);

  const [load, reload] = useLoad<Page>(
    async () => {
      if (sort !== 'newest') {
        const data = unwrap(
          await api.GET('/spotlight/analytics/sessions', {
            params: { query: { sort, order: 'desc', limit: PAGE, offset } },
          }),
        );
        return {
          rows: data.sessions.map((s) => ({
            id: s.session_uuid,
            label: s.title ?? s.session_id,
            externalId: s.session_id,
            requests: s.total_requests,
            tokens: s.total_tokens,
            cost: s.total_cost_usd,
            unpriced: s.unpriced_requests,
            lastActivity: s.end_time,
            released: s.released_at !== null,
          })),
          next: offset + PAGE < data.total_count ? String(offset + PAGE) : null,
        };
      }
      const days = PERIODS[period].days;
      const data = unwrap(
        await api.GET('/api/v1/sessions', {
          params: {
            query: {
              limit: PAGE,
              ...(before ? { before } : {}),
              ...(q ? { q } : {}),
              ...(days ? { createdAfter: new Date(Date.now() - days * 86_400_000).toISOString() } : {}),
            },
          },
        }),
      );
      return {
        rows: data.data.map((s) => ({
          id: s.id,
          label: s.title ?? s.externalId,
          externalId: s.externalId,
          requests: s.taskCount,
          tokens: s.tokensUsed,
          cost: s.costUsd,
          unpriced: s.unpricedRequests,
          lastActivity: s.lastActivityAt,
          released: s.releasedAt !== null,
        })),
        next: data.nextCursor ?? null,
      };
    },
    `${props.organization.id}:${q}:${period}:${sort}:${before ?? ''}:${offset}`,
  );

  const onSearch = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    navigate(withQuery('/sessions', props.query, { q: field(form, 'q').trim(), before: null, offset: null }));
  };
  const paged = Boolean(before) || offset > 0;

  return (
    <section aria-labelledby="sessions-title">
      <div class="page-head">
        <h1 id="sessions-title">Sessions</h1>
      </div>
      <form class="filters" role="search" onSubmit={onSearch}>
        <label>
          Search
          <input
            name="q"
            type="search"
            defaultValue={q}
            placeholder="Title or external id"
            maxLength={200}
            disabled={sort !== 'newest'}
          />
        </label>
        <label>
          Period
          <select
            value={period}
            disabled={sort !== 'newest'}
            onChange={(e) =>
              navigate(
                withQuery('/sessions', props.query, {
                  period:
                    (e.target as HTMLSelectElement).value === 'all' ? null : (e.target as HTMLSelectElement).value,
                  before: null,
                }),
              )
            }
          >
            {Object.entries(PERIODS).map(([key, p]) => (
              <option key={key} value={key}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort
          <select
            value={sort}
            onChange={(e) => {
              const value = (e.target as HTMLSelectElement).value;
              navigate(
                withQuery('/sessions', props.query, {
                  sort: value === 'newest' ? null : value,
                  before: null,
                  offset: null,
                }),
              );
            }}
          >
            <option value="newest">Newest</option>
            <option value="cost">Highest spend</option>
            <option value="tokens">Most tokens</option>
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      <Show load={load} retry={reload} label="Loading sessions…">
        {(page) =>
          page.rows.length === 0 ? (
            <Empty>
              <h2>{q || period !== 'all' ? 'No session matches' : 'No sessions yet'}</h2>
              <p>
                {q || period !== 'all'
                  ? 'Try another search or period.'
                  : 'Sessions appear here as soon as calls go through Lamplight.'}
              </p>
            </Empty>
          ) : (
            <>
              <div class="table-wrap">
                <table class="sessions">
                  <caption class="visually-hidden">
                    Sessions,{' '}
                    {sort === 'newest' ? 'newest first' : sort === 'cost' ? 'highest spend first' : 'most tokens first'}
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
                      <th scope="col">Last activity</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.rows.map((row) => (
                      <tr key={row.id}>
                        <td>
                          <a href={`/sessions/${encodeURIComponent(row.id)}`}>{row.label}</a>
                          {row.label !== row.externalId && <div class="sub mono">{row.externalId}</div>}
                          {row.released && <span class="badge">released</span>}
                        </td>
                        <td class="num">{number(row.requests)}</td>
                        <td class="num">{short(row.tokens)}</td>
                        <td class="num">
                          {row.unpriced > 0 && row.unpriced === row.requests ? (
                            <span class="badge">unpriced</span>
                          ) : (
                            money(row.cost)
                          )}
                          {row.unpriced > 0 && row.unpriced < row.requests && (
                            <span class="badge">+{row.unpriced} unpriced</span>
                          )}
                        </td>
                        <td>{when(row.lastActivity)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <nav class="pager" aria-label="Pages">
                {paged && <a href={withQuery('/sessions', props.query, { before: null, offset: null })}>First page</a>}
                {page.next && (
                  <a
                    href={withQuery(
                      '/sessions',
                      props.query,
                      sort === 'newest' ? { before: page.next } : { offset: page.next },
                    )}
                    rel="next"
                  >
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
