import { api, type Organization, type Schemas, unwrap } from '../api';
import { ms, money, number, percent, short, timeZone } from '../format';
import { Activity } from '../overview/activity';
import { DIMENSIONS, type Dimension, UsageBreakdown } from '../overview/breakdown';
import { type Period, periodOf, periodQuery, RANGES, type RangeKey } from '../overview/period';
import { TopSessions } from '../overview/top-sessions';
import { withQuery } from '../router';
import { Empty, Show, Tile, useLoad } from '../ui';

interface OverviewData {
  period: Period;
  tokens: Schemas['TokenAnalyticsResponseDto'];
  latency: Schemas['LatencyAnalyticsResponseDto'];
  top: Schemas['AnalyticsSessionListResponseDto'];
}

/** The organization's time zone (its spend-limit settings), or the browser's when it cannot be read. */
async function organizationTimeZone(): Promise<string> {
  const result = await api.GET('/api/v1/spend-limits/settings');
  return result.data?.timeZone ?? timeZone();
}

/**
 * Spend and tokens over time by model, API key or member; requests, errors, latency and time to
 * first token; the period's totals, cache savings and top sessions. Period and split live in the URL.
 */
export function OverviewPage(props: { organization: Organization; query: URLSearchParams }) {
  const asked = props.query.get('range') ?? '7d';
  const rangeKey: RangeKey = asked in RANGES ? (asked as RangeKey) : '7d';
  const askedBy = props.query.get('by') ?? 'model';
  const by: Dimension = askedBy in DIMENSIONS ? (askedBy as Dimension) : 'model';
  const [load, reload] = useLoad<OverviewData>(async () => {
    const period = periodOf(rangeKey, await organizationTimeZone());
    // Every figure here comes from the rollups (the cache tile from the token totals), so the page
    // costs the same at any number of calls.
    const [tokens, latency, top] = await Promise.all([
      api.GET('/spotlight/analytics/tokens', { params: { query: periodQuery(period) } }).then(unwrap),
      api.GET('/spotlight/analytics/latency', { params: { query: periodQuery(period) } }).then(unwrap),
      api
        .GET('/spotlight/analytics/sessions', { params: { query: { sort: 'cost', order: 'desc', limit: 5 } } })
        .then(unwrap),
    ]);
    return { period, tokens, latency, top };
  }, `${props.organization.id}:${rangeKey}`);

  return (
    <section aria-labelledby="overview-title">
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
        <nav class="segmented" aria-label="Period">
          {(Object.keys(RANGES) as RangeKey[]).map((key) => (
            <a
              key={key}
              href={withQuery('/', props.query, { range: key === '7d' ? null : key })}
              aria-current={key === rangeKey ? 'true' : undefined}
            >
              {RANGES[key].label}
            </a>
          ))}
        </nav>
      </div>
      <Show load={load} retry={reload} label="Loading usage…">
        {(data) => <OverviewBody data={data} organization={props.organization} by={by} query={props.query} />}
      </Show>
    </section>
  );
}

function OverviewBody(props: {
  data: OverviewData;
  organization: Organization;
  by: Dimension;
  query: URLSearchParams;
}) {
  const { period, tokens, latency, top } = props.data;
  const totals = tokens.totals;
  if (totals.requests === 0) {
    return (
      <Empty>
        <h2>No calls in this period</h2>
        <p>
          Point an Anthropic SDK or Claude Code at <code>{window.location.origin}/spotlight/anthropic</code> with an API
          key from <a href="/settings/api-keys">Settings</a>, or run <code>npm run demo</code>.
        </p>
      </Empty>
    );
  }
  const unpriced = totals.unpriced_requests;
  return (
    <>
      <div class="tiles">
        <Tile
          label="Spend"
          value={money(totals.cost_usd)}
          hint={unpriced > 0 ? `+ ${number(unpriced)} unpriced call${unpriced === 1 ? '' : 's'}` : 'all calls priced'}
        />
        <Tile
          label="Requests"
          value={number(totals.requests)}
          hint={`${number(totals.error_requests)} errors (${percent(totals.error_requests / totals.requests)})`}
        />
        <Tile
          label="Tokens"
          value={short(totals.total_tokens)}
          hint={`${short(totals.input_tokens)} in · ${short(totals.output_tokens)} out`}
        />
        <Tile
          label="Latency p50"
          value={ms(latency.totals.latency_p50_ms)}
          hint={`p95 ${ms(latency.totals.latency_p95_ms)} · first token ${ms(latency.totals.ttft_p50_ms)}`}
        />
        <Tile
          label="Cache hit rate"
          value={percent(hitRate(totals))}
          hint={`${money(totals.cache_savings_usd)} saved by cache reads`}
        />
      </div>
      <UsageBreakdown
        organization={props.organization}
        isAdmin={props.organization.role !== 'member'}
        period={period}
        tokens={tokens}
        by={props.by}
        query={props.query}
      />
      <Activity period={period} tokens={tokens} latency={latency} />
      <div class="card">
        <h2>Top sessions by spend</h2>
        <TopSessions sessions={top.sessions} />
      </div>
      <p class="footnote">
        Times in {period.timeZone}
        {period.granularity === 'day' ? ', one point per day' : ', one point per hour'}. Unpriced calls (a model missing
        from the pricing table) are counted apart, never as $0. Latency percentiles are within 5%.
      </p>
    </>
  );
}

/** Cache reads as a share of all input tokens (read, written and uncached); null without input. */
function hitRate(t: Schemas['UsageFiguresDto']): number | null {
  const allInput = t.input_tokens + t.cache_read_tokens + t.cache_write_5m_tokens + t.cache_write_1h_tokens;
  return allInput === 0 ? null : t.cache_read_tokens / allInput;
}
