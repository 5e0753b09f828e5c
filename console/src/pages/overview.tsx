import { useMemo } from 'preact/hooks';
import { api, type Organization, type Schemas, unwrap } from '../api';
import { type ChartSeries, TimeChart } from '../chart';
import { money, number, percent, short, timeZone, when } from '../format';
import { withQuery } from '../router';
import { Empty, Show, Tile, useLoad } from '../ui';

const RANGES = {
  '24h': { label: 'Last 24 hours', hours: 24, granularity: 'hour' },
  '7d': { label: 'Last 7 days', hours: 24 * 7, granularity: 'day' },
  '30d': { label: 'Last 30 days', hours: 24 * 30, granularity: 'day' },
} as const;
type RangeKey = keyof typeof RANGES;

interface OverviewData {
  /** Every bucket of the period (ms since the epoch), so empty hours or days show as zero. */
  buckets: number[];
  tokens: Schemas['TokenAnalyticsResponseDto'];
  cache: Schemas['CacheAnalyticsResponseDto'];
  top: Schemas['AnalyticsSessionListResponseDto'];
}

/** Spend and tokens over time by model, with the period's totals, cache savings and top sessions. */
export function OverviewPage(props: { organization: Organization; query: URLSearchParams }) {
  const rangeKey =
    (props.query.get('range') ?? '7d') in RANGES ? ((props.query.get('range') ?? '7d') as RangeKey) : '7d';
  const range = RANGES[rangeKey];
  const [load, reload] = useLoad<OverviewData>(async () => {
    const end = new Date();
    // Whole buckets: from the start of the first hour (or day, in this time zone's terms the server applies).
    const start = new Date(end.getTime() - range.hours * 3600_000);
    if (range.granularity === 'day') start.setHours(0, 0, 0, 0);
    else start.setMinutes(0, 0, 0);
    const buckets: number[] = [];
    for (
      const at = new Date(start);
      at <= end;
      range.granularity === 'day' ? at.setDate(at.getDate() + 1) : at.setHours(at.getHours() + 1)
    ) {
      buckets.push(at.getTime());
    }
    const span = { start: start.toISOString(), end: end.toISOString() };
    const [tokens, cache, top] = await Promise.all([
      api
        .GET('/spotlight/analytics/tokens', {
          params: { query: { ...span, granularity: range.granularity, tz: timeZone() } },
        })
        .then(unwrap),
      api.GET('/spotlight/analytics/cache', { params: { query: span } }).then(unwrap),
      api
        .GET('/spotlight/analytics/sessions', { params: { query: { sort: 'cost', order: 'desc', limit: 5 } } })
        .then(unwrap),
    ]);
    return { buckets, tokens, cache, top };
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
        {(data) => <OverviewBody data={data} />}
      </Show>
    </section>
  );
}

function OverviewBody({ data }: { data: OverviewData }) {
  const { buckets, tokens, cache, top } = data;
  const totals = tokens.totals;
  const charts = useMemo(() => {
    const byStart = new Map((tokens.series ?? []).map((bucket) => [Date.parse(bucket.bucket_start), bucket]));
    const times = buckets.map((at) => at / 1000);
    const pick = (field: 'cost_usd' | 'total_tokens'): ChartSeries[] =>
      // A model whose calls are all unpriced has no spend line: its spend is unknown, not $0.
      tokens.models
        .filter((m) => field === 'total_tokens' || m.unpriced_requests < m.requests)
        .map((m) => m.model)
        .map((model) => ({
          label: model,
          values: buckets.map((at) => byStart.get(at)?.models.find((m) => m.model === model)?.[field] ?? 0),
        }));
    return { times, spend: pick('cost_usd'), tokens: pick('total_tokens') };
  }, [buckets, tokens]);

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
          hint={`${number(totals.error_requests)} errors (${percent(totals.requests ? totals.error_requests / totals.requests : null)})`}
        />
        <Tile
          label="Tokens"
          value={short(totals.total_tokens)}
          hint={`${short(totals.input_tokens)} in · ${short(totals.output_tokens)} out`}
        />
        <Tile
          label="Cache hit rate"
          value={percent(cache.hit_rate)}
          hint={`${money(cache.saved_usd)} saved by cache reads`}
        />
      </div>
      <div class="grid-2">
        <div class="card">
          <h2>Spend by model</h2>
          <TimeChart
            title="Spend over time by model"
            times={charts.times}
            series={charts.spend}
            format={(v) => money(v)}
          />
        </div>
        <div class="card">
          <h2>Tokens by model</h2>
          <TimeChart
            title="Tokens over time by model"
            times={charts.times}
            series={charts.tokens}
            format={(v) => short(v)}
          />
        </div>
      </div>
      <div class="grid-2">
        <div class="card">
          <h2>By model</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" class="num">
                    Requests
                  </th>
                  <th scope="col" class="num">
                    Tokens
                  </th>
                  <th scope="col" class="num">
                    Spend
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.models.map((m) => (
                  <tr key={m.model}>
                    <td class="mono">{m.model}</td>
                    <td class="num">{number(m.requests)}</td>
                    <td class="num">{short(m.total_tokens)}</td>
                    <td class="num">
                      {m.unpriced_requests === m.requests ? <span class="badge">unpriced</span> : money(m.cost_usd)}
                      {m.unpriced_requests > 0 && m.unpriced_requests < m.requests && (
                        <span class="badge">+{m.unpriced_requests} unpriced</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
        <div class="card">
          <h2>Top sessions by spend</h2>
          {top.sessions.length === 0 ? (
            <p>No sessions yet.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Session</th>
                    <th scope="col" class="num">
                      Requests
                    </th>
                    <th scope="col" class="num">
                      Spend
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {top.sessions.map((s) => (
                    <tr key={s.session_uuid}>
                      <td>
                        <a href={`/sessions/${encodeURIComponent(s.session_uuid)}`}>{s.title ?? s.session_id}</a>
                        <div class="sub">{when(s.end_time)}</div>
                      </td>
                      <td class="num">{number(s.total_requests)}</td>
                      <td class="num">
                        {s.unpriced_requests > 0 && s.unpriced_requests === s.total_requests ? (
                          <span class="badge">unpriced</span>
                        ) : (
                          money(s.total_cost_usd)
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      </div>
      <p class="footnote">
        Times in {tokens.timezone}. Unpriced calls (a model missing from the pricing table) are counted apart, never as
        $0.
      </p>
    </>
  );
}
