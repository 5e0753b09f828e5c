import { useState } from 'preact/hooks';
import { api, type Schemas, type SpendLimit, unwrap } from '../api';
import { ErrorBox, field, useAction } from '../ui';
import { PERIODS, type ScopeNames, SCOPES } from './spend-limit-labels';

type ScopeType = SpendLimit['scopeType'];
type Period = SpendLimit['period'];

/** Sets a USD limit on the organization, an API key, a member or a session (an existing one's amount is replaced). */
export function SpendLimitForm(props: { names: ScopeNames; onCreated: () => void }) {
  const [scopeType, setScopeType] = useState<ScopeType>('organization');
  const [period, setPeriod] = useState<Period>('monthly');
  const { error, run } = useAction(props.onCreated);
  const [created, setCreated] = useState(false);
  const choices: Record<'api_key' | 'user', Array<[string, string]>> = {
    api_key: [...props.names.apiKeys.entries()],
    user: [...props.names.members.entries()],
  };
  const periods = (Object.keys(PERIODS) as Period[]).filter((p) => p !== 'session' || scopeType === 'session');
  const submit = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const body: Schemas['CreateSpendLimitDto'] = {
      scopeType,
      ...(scopeType === 'organization' ? {} : { scopeId: field(data, 'scopeId').trim() }),
      period,
      amount: Number(field(data, 'amount')),
    };
    setCreated(false);
    void run(async () => unwrap(await api.POST('/api/v1/spend-limits', { body }))).then((done) => {
      if (!done) return;
      setCreated(true);
      form.reset();
      setScopeType('organization');
      setPeriod('monthly');
    });
  };
  return (
    <form class="stack wide" onSubmit={submit} aria-labelledby="new-limit-title">
      <h3 id="new-limit-title">Set a limit</h3>
      {error && <ErrorBox message={error} />}
      {created && (
        <p class="notice" role="status">
          Limit saved.
        </p>
      )}
      <div class="form-row">
        <label>
          Applies to
          <select
            name="scopeType"
            value={scopeType}
            onChange={(e) => {
              const next = (e.target as HTMLSelectElement).value as ScopeType;
              setScopeType(next);
              if (next !== 'session' && period === 'session') setPeriod('monthly');
            }}
          >
            {(Object.keys(SCOPES) as ScopeType[]).map((s) => (
              <option key={s} value={s}>
                {SCOPES[s]}
              </option>
            ))}
          </select>
        </label>
        {(scopeType === 'api_key' || scopeType === 'user') && (
          <label>
            {scopeType === 'api_key' ? 'API key' : 'Member'}
            <select name="scopeId" required>
              {choices[scopeType].map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        )}
        {scopeType === 'session' && (
          <label>
            Session UUID
            <input name="scopeId" required pattern="[0-9a-fA-F-]{36}" placeholder="from the session's address" />
          </label>
        )}
        <label>
          Period
          <select
            name="period"
            value={period}
            onChange={(e) => setPeriod((e.target as HTMLSelectElement).value as Period)}
          >
            {periods.map((p) => (
              <option key={p} value={p}>
                {PERIODS[p]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Amount (USD)
          <input name="amount" type="number" min={0} step={0.01} required inputMode="decimal" />
        </label>
      </div>
      <div class="actions">
        <button type="submit" class="primary">
          Save limit
        </button>
      </div>
    </form>
  );
}
