import { useState } from 'preact/hooks';
import { api, type SpendLimit, unwrap } from '../api';
import { when } from '../format';
import { ErrorBox, field, Meter, useAction } from '../ui';
import { inUnit, PERIODS, type ScopeNames, SCOPES, scopeLabel } from './spend-limit-labels';

/** The limits with where each stands in its current period; managers change the amount or delete. */
export function SpendLimitTable(props: {
  limits: SpendLimit[];
  names: ScopeNames;
  canManage: boolean;
  onChanged: () => void;
}) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Spend limits">
      <table class="cards">
        <thead>
          <tr>
            <th scope="col">Applies to</th>
            <th scope="col">Period</th>
            <th scope="col" class="num">
              Limit
            </th>
            <th scope="col" class="num">
              Spent
            </th>
            <th scope="col" class="num">
              Reserved
            </th>
            <th scope="col">Used</th>
            {props.canManage && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {props.limits.map((limit) => (
            <SpendLimitRow
              key={limit.id}
              limit={limit}
              names={props.names}
              canManage={props.canManage}
              onChanged={props.onChanged}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SpendLimitRow(props: { limit: SpendLimit; names: ScopeNames; canManage: boolean; onChanged: () => void }) {
  const { limit } = props;
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const { error, run } = useAction(props.onChanged);
  const scope = scopeLabel(limit, props.names);
  const path = { id: limit.id };
  const save = (event: Event) => {
    event.preventDefault();
    const amount = Number(field(new FormData(event.currentTarget as HTMLFormElement), 'amount'));
    void run(async () =>
      unwrap(await api.PATCH('/api/v1/spend-limits/{id}', { params: { path }, body: { amount } })),
    ).then((done) => done && setEditing(false));
  };
  const remove = () =>
    void run(async () => {
      const result = await api.DELETE('/api/v1/spend-limits/{id}', { params: { path } });
      if (!result.response.ok) unwrap(result);
    });
  return (
    <tr>
      <td data-label="Applies to">
        <span class="sub">{SCOPES[limit.scopeType]}</span>
        <div>{scope}</div>
        {error && <ErrorBox message={error} />}
      </td>
      <td data-label="Period">
        {PERIODS[limit.period]}
        <div class="sub">
          from {when(limit.usage.periodStart)}
          {limit.usage.periodEnd && ` to ${when(limit.usage.periodEnd)}`}
        </div>
      </td>
      <td class="num" data-label="Limit">
        {editing ? (
          <form class="inline-form" onSubmit={save}>
            <label>
              <span class="visually-hidden">New amount for {scope}</span>
              <input
                name="amount"
                type="number"
                min={0}
                step={limit.unit === 'tokens' ? 1 : 0.01}
                defaultValue={String(limit.amount)}
                required
              />
            </label>
            <button type="submit" class="primary">
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </form>
        ) : (
          inUnit(limit, limit.amount)
        )}
      </td>
      <td class="num" data-label="Spent">
        {inUnit(limit, limit.usage.spent)}
      </td>
      <td class="num" data-label="Reserved">
        {inUnit(limit, limit.usage.reserved)}
      </td>
      <td data-label="Used">
        <Meter value={limit.usage.utilization} label={`Used of the limit on ${scope}`} />
      </td>
      {props.canManage && (
        <td class="row-actions" data-label="Actions">
          {!editing && (
            <button
              type="button"
              onClick={() => setEditing(true)}
              aria-label={`Change amount of the limit on ${scope}`}
            >
              Change amount
            </button>
          )}
          {confirming ? (
            <>
              <button type="button" class="danger" onClick={remove}>
                Confirm delete
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirming(true)} aria-label={`Delete the limit on ${scope}`}>
              Delete
            </button>
          )}
        </td>
      )}
    </tr>
  );
}
