import { api, type SpendByScope, unwrap } from '../api';
import { when } from '../format';
import { withQuery } from '../router';
import { Spend } from '../spend';
import { Meter, Show, useLoad } from '../ui';
import { inUnit, type ScopeNames } from './spend-limit-labels';
import { nameOf } from '../names';

const REPORT_PERIODS = { daily: 'Today', weekly: 'This week', monthly: 'This month' } as const;
type ReportPeriod = keyof typeof REPORT_PERIODS;

/** Spend per API key and per member in the current day, week or month, each beside its limit. */
export function SpendReport(props: { names: ScopeNames; query: URLSearchParams; limitsVersion: string }) {
  const asked = props.query.get('period') ?? 'monthly';
  const period: ReportPeriod = asked in REPORT_PERIODS ? (asked as ReportPeriod) : 'monthly';
  const [load, reload] = useLoad(
    async () => unwrap(await api.GET('/api/v1/spend-limits/spend', { params: { query: { period } } })),
    `${period}:${props.limitsVersion}`,
  );
  return (
    <div class="card">
      <div class="card-head">
        <h2>Spend per API key and member</h2>
        <nav class="segmented" aria-label="Report period">
          {(Object.keys(REPORT_PERIODS) as ReportPeriod[]).map((p) => (
            <a
              key={p}
              href={withQuery('/settings/limits', props.query, { period: p === 'monthly' ? null : p })}
              aria-current={p === period ? 'true' : undefined}
            >
              {REPORT_PERIODS[p]}
            </a>
          ))}
        </nav>
      </div>
      <Show load={load} retry={reload} label="Loading spend…">
        {(report) => (
          <>
            <p class="sub">
              From {when(report.periodStart)} to {when(report.periodEnd)} ({report.timeZone}).
            </p>
            <div class="stack-tables">
              <ScopeSpend title="API keys" rows={report.apiKeys} kind="api_key" names={props.names.apiKeys} />
              <ScopeSpend title="Members" rows={report.members} kind="member" names={props.names.members} />
            </div>
          </>
        )}
      </Show>
    </div>
  );
}

function ScopeSpend(props: {
  title: string;
  rows: SpendByScope[];
  kind: 'api_key' | 'member';
  names: ScopeNames['apiKeys'];
}) {
  return (
    <div>
      <h3>{props.title}</h3>
      {props.rows.length === 0 ? (
        <p>No calls in this period.</p>
      ) : (
        <div
          class="table-wrap"
          tabIndex={0}
          role="region"
          aria-label={`Spend per ${props.kind === 'api_key' ? 'API key' : 'member'}`}
        >
          <table class="wrap-cells">
            <thead>
              <tr>
                <th scope="col">{props.kind === 'api_key' ? 'API key' : 'Member'}</th>
                <th scope="col" class="num">
                  Spent
                </th>
                <th scope="col">Limit</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row) => {
                const name = nameOf(props.names, row.id, props.kind);
                return (
                  <tr key={row.id ?? 'none'}>
                    <td>
                      {name}
                      <div class="sub">
                        {row.calls} call{row.calls === 1 ? '' : 's'}
                      </div>
                    </td>
                    <td class="num">
                      <Spend cost={row.spentUsd} requests={row.calls} unpriced={row.unpricedCalls} />
                    </td>
                    <td>
                      {row.limit ? (
                        <>
                          {inUnit(row.limit, row.limit.amount)}
                          <Meter value={row.limit.usage.utilization} label={`Used of the limit on ${name}`} />
                        </>
                      ) : (
                        <span class="sub">none</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
