import { api, type Organization, unwrap } from '../api';
import { apiKeyNames, memberNames } from '../names';
import { Empty, Show, useLoad } from '../ui';
import { SpendAlertSettings } from './spend-alert-settings';
import { SpendLimitForm } from './spend-limit-form';
import type { ScopeNames } from './spend-limit-labels';
import { SpendLimitTable } from './spend-limit-table';
import { SpendReport } from './spend-report';

/**
 * Spend limits (the /api/v1/spend-limits routes): the limits with their current spend, reserved
 * amount and utilization; spend per API key and member beside its limit; alert settings. Owners
 * and admins change them; members read the organization's limits and their own (the API decides).
 */
export function SpendLimitsSection(props: { organization: Organization; isAdmin: boolean; query: URLSearchParams }) {
  const [load, reload] = useLoad(async () => {
    const [limits, settings, apiKeys, members] = await Promise.all([
      api.GET('/api/v1/spend-limits').then(unwrap),
      api.GET('/api/v1/spend-limits/settings').then(unwrap),
      apiKeyNames(),
      memberNames(props.organization),
    ]);
    const names: ScopeNames = { apiKeys, members };
    return { limits: limits.data, settings, names };
  }, props.organization.id);
  const canManage = props.isAdmin;
  return (
    <>
      {!canManage && (
        <p class="notice" role="note">
          Read only: you see the organization's limits and your own. Owners and admins set and change limits.
        </p>
      )}
      <Show load={load} retry={reload} label="Loading spend limits…">
        {({ limits, settings, names }) => (
          <>
            <div class="card">
              <h2>Spend limits</h2>
              {limits.length === 0 ? (
                <Empty>
                  <p>
                    {canManage
                      ? 'No limits yet: calls are not held to any amount. Set one below.'
                      : 'No limit applies to you.'}
                  </p>
                </Empty>
              ) : (
                <SpendLimitTable limits={limits} names={names} canManage={canManage} onChanged={reload} />
              )}
              {canManage && <SpendLimitForm names={names} onCreated={reload} />}
            </div>
            <SpendReport
              names={names}
              query={props.query}
              limitsVersion={limits.map((l) => `${l.id}:${l.amount}:${l.updatedAt}`).join(',')}
            />
            <SpendAlertSettings settings={settings} canManage={canManage} onChanged={reload} />
          </>
        )}
      </Show>
    </>
  );
}
