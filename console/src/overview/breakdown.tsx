import { useMemo } from 'preact/hooks';
import { api, type Organization, type Schemas, unwrap } from '../api';
import { TimeChart } from '../chart';
import { money, short } from '../format';
import { apiKeyNames, memberNames, nameOf } from '../names';
import { withQuery } from '../router';
import { Show, useLoad } from '../ui';
import { linesOf, type Period, periodQuery } from './period';
import { hasPricedCalls } from '../spend';
import { type UsageRow, UsageTable } from './usage-table';

export const DIMENSIONS = {
  model: { label: 'By model', heading: 'Model' },
  api_key: { label: 'By API key', heading: 'API key' },
  member: { label: 'By member', heading: 'Member' },
} as const;
export type Dimension = keyof typeof DIMENSIONS;

/** How many groups get a line of their own in the charts (the table lists them all). */
const MAX_LINES = 8;

interface Breakdown {
  groups: UsageRow[];
  buckets: Array<{ bucket_start: string; values: Map<string, { cost_usd: number; total_tokens: number }> }>;
}

type TokenAnalytics = Schemas['TokenAnalyticsResponseDto'];

function byModel(tokens: TokenAnalytics): Breakdown {
  return {
    groups: tokens.models.map((m) => ({ ...m, key: m.model, label: m.model })),
    buckets: (tokens.series ?? []).map((b) => ({
      bucket_start: b.bucket_start,
      values: new Map(b.models.map((m) => [m.model, m])),
    })),
  };
}

/** Calls by API key or member, named from the organization's keys and members. */
async function byPrincipal(organization: Organization, by: 'api_key' | 'member', period: Period): Promise<Breakdown> {
  const [usage, names] = await Promise.all([
    api.GET('/spotlight/analytics/principals', { params: { query: { ...periodQuery(period), by } } }).then(unwrap),
    by === 'api_key' ? apiKeyNames() : memberNames(organization),
  ]);
  const keyOf = (id: string | null) => id ?? 'none';
  return {
    groups: usage.principals.map((p) => ({ ...p, key: keyOf(p.id), label: nameOf(names, p.id, by) })),
    buckets: (usage.series ?? []).map((b) => ({
      bucket_start: b.bucket_start,
      values: new Map(b.principals.map((p) => [keyOf(p.id), p])),
    })),
  };
}

/** The period's spend and tokens over time, split by model, API key or member, with a table of the groups. */
export function UsageBreakdown(props: {
  organization: Organization;
  isAdmin: boolean;
  period: Period;
  tokens: TokenAnalytics;
  by: Dimension;
  query: URLSearchParams;
}) {
  const { period, by } = props;
  const [load, reload] = useLoad<Breakdown>(
    async () => (by === 'model' ? byModel(props.tokens) : byPrincipal(props.organization, by, period)),
    `${by}:${period.start}:${period.end}:${period.timeZone}`,
  );
  const dimensions = (Object.keys(DIMENSIONS) as Dimension[]).filter((d) => d === 'model' || props.isAdmin);
  return (
    <div class="card">
      <div class="card-head">
        <h2>Spend and tokens over time</h2>
        <nav class="segmented" aria-label="Split spend and tokens">
          {dimensions.map((d) => (
            <a
              key={d}
              href={withQuery('/', props.query, { by: d === 'model' ? null : d })}
              aria-current={d === by ? 'true' : undefined}
            >
              {DIMENSIONS[d].label}
            </a>
          ))}
        </nav>
      </div>
      {by !== 'model' && !props.isAdmin ? (
        <p>Spend by API key and by member is shown to owners and admins.</p>
      ) : (
        <Show load={load} retry={reload} label="Loading the breakdown…">
          {(breakdown) => <BreakdownCharts breakdown={breakdown} period={period} heading={DIMENSIONS[by].heading} />}
        </Show>
      )}
    </div>
  );
}

function BreakdownCharts(props: { breakdown: Breakdown; period: Period; heading: string }) {
  const { breakdown, period } = props;
  const charts = useMemo(() => {
    const times = period.buckets.map((at) => at / 1000);
    const shown = breakdown.groups.slice(0, MAX_LINES);
    const lines = (field: 'cost_usd' | 'total_tokens', groups: UsageRow[]) =>
      linesOf(
        period,
        breakdown.buckets,
        groups.map((g) => ({ label: g.label, value: (b) => b.values.get(g.key)?.[field] })),
      );
    // A group whose calls are all unpriced has no spend line: its spend is unknown, not $0.
    return { times, spend: lines('cost_usd', shown.filter(hasPricedCalls)), tokens: lines('total_tokens', shown) };
  }, [breakdown, period]);
  const heading = props.heading.toLowerCase();
  return (
    <>
      <div class="grid-2 flat">
        <div>
          <h3>Spend by {heading}</h3>
          <TimeChart
            title={`Spend over time by ${heading}`}
            times={charts.times}
            series={charts.spend}
            format={money}
            timeZone={period.timeZone}
          />
        </div>
        <div>
          <h3>Tokens by {heading}</h3>
          <TimeChart
            title={`Tokens over time by ${heading}`}
            times={charts.times}
            series={charts.tokens}
            format={short}
            timeZone={period.timeZone}
          />
        </div>
      </div>
      {breakdown.groups.length > MAX_LINES && (
        <p class="sub">The charts show the {MAX_LINES} highest spenders; the table lists all of them.</p>
      )}
      <UsageTable heading={props.heading} rows={breakdown.groups} />
    </>
  );
}
