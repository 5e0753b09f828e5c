import { useState } from 'preact/hooks';
import { api, type Schemas, type SpendSettings, unwrap } from '../api';
import { ErrorBox, field, useAction } from '../ui';

/** Percentages as the API takes them, from "50, 80, 100". */
function thresholds(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
}

/**
 * The organization's spend-limit settings: the time zone its days, weeks and months (and the
 * overview's days) follow, the alert thresholds and the webhook alerts are posted to.
 */
export function SpendAlertSettings(props: { settings: SpendSettings; canManage: boolean; onChanged: () => void }) {
  const { settings, canManage } = props;
  const [saved, setSaved] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const { error, run } = useAction(props.onChanged);
  const save = (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const webhookUrl = field(data, 'webhookUrl').trim();
    const body: Schemas['UpdateSpendSettingsDto'] = {
      timeZone: field(data, 'timeZone').trim(),
      alertThresholds: thresholds(field(data, 'alertThresholds')),
      webhookUrl: webhookUrl || null,
    };
    setSaved(false);
    void run(async () => unwrap(await api.PATCH('/api/v1/spend-limits/settings', { body }))).then(
      (done) => done && setSaved(true),
    );
  };
  const rotate = () =>
    void run(async () => setSecret(unwrap(await api.POST('/api/v1/spend-limits/settings/webhook-secret')).secret));
  return (
    <div class="card">
      <h2>Alerts and time zone</h2>
      {error && <ErrorBox message={error} />}
      {saved && (
        <p class="notice" role="status">
          Saved.
        </p>
      )}
      <form class="stack" onSubmit={save}>
        <label>
          Time zone (IANA)
          <input name="timeZone" defaultValue={settings.timeZone} required maxLength={64} disabled={!canManage} />
        </label>
        <label>
          Alert at these percentages of a limit
          <input
            name="alertThresholds"
            defaultValue={settings.alertThresholds.join(', ')}
            pattern="[0-9,\s]*"
            disabled={!canManage}
            aria-describedby="thresholds-hint"
          />
        </label>
        <p class="hint" id="thresholds-hint">
          Whole numbers from 1 to 100, separated by commas; a limit may set its own.
        </p>
        <label>
          Webhook URL for alerts
          <input
            name="webhookUrl"
            type="url"
            defaultValue={settings.webhookUrl ?? ''}
            placeholder="https://example.com/lamplight-alerts"
            disabled={!canManage}
          />
        </label>
        <p class="sub">
          Signing secret: {settings.webhookSecretSet || secret ? 'set' : 'not set'}. When the calls' counters cannot be
          reached, calls are {settings.failureMode === 'closed' ? 'refused' : 'let through'}.
        </p>
        {secret && (
          <p class="notice" role="status">
            New signing secret (shown once): <code class="mono">{secret}</code>
          </p>
        )}
        {canManage && (
          <div class="actions">
            <button type="submit" class="primary">
              Save settings
            </button>
            <button type="button" onClick={rotate}>
              Make a new signing secret
            </button>
          </div>
        )}
      </form>
    </div>
  );
}
