import { useState } from 'preact/hooks';
import { api, type Me, type Organization, unwrap } from '../api';
import { when } from '../format';
import { SpendLimitsSection } from '../settings/spend-limits';
import { CopyButton, Empty, ErrorBox, field, Show, useAction, useLoad } from '../ui';

const SECTIONS = [
  ['api-keys', 'API keys'],
  ['provider-keys', 'Provider keys'],
  ['members', 'Members'],
  ['organization', 'Organization'],
  ['limits', 'Spend limits'],
] as const;

export function SettingsPage(props: {
  organization: Organization;
  me: Me;
  section: string;
  query: URLSearchParams;
  onChanged: () => void;
}) {
  const section = SECTIONS.some(([key]) => key === props.section) ? props.section : 'api-keys';
  const isAdmin = props.organization.role !== 'member';
  return (
    <section aria-labelledby="settings-title">
      <div class="page-head">
        <h1 id="settings-title">Settings</h1>
        <span class="sub">
          {props.organization.name} · you are {props.organization.role}
        </span>
      </div>
      <nav class="tabs" aria-label="Settings sections">
        {SECTIONS.map(([key, label]) => (
          <a key={key} href={`/settings/${key}`} aria-current={key === section ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {section === 'api-keys' && <ApiKeys isAdmin={isAdmin} />}
      {section === 'provider-keys' && <ProviderKeys isAdmin={isAdmin} />}
      {section === 'members' && <Members organization={props.organization} isAdmin={isAdmin} me={props.me} />}
      {section === 'organization' && (
        <OrganizationSettings organization={props.organization} isAdmin={isAdmin} onChanged={props.onChanged} />
      )}
      {section === 'limits' && (
        <SpendLimitsSection organization={props.organization} isAdmin={isAdmin} query={props.query} />
      )}
    </section>
  );
}

function ApiKeys({ isAdmin }: { isAdmin: boolean }) {
  const [load, reload] = useLoad(async () => unwrap(await api.GET('/api/v1/api-keys')), 'keys');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const { error, run } = useAction(reload);
  const create = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = field(new FormData(form), 'name').trim();
    void run(async () => {
      const key = unwrap(await api.POST('/api/v1/api-keys', { body: { name } }));
      setCreated({ name: key.name, key: key.key });
      form.reset();
    });
  };
  return (
    <div class="card">
      <h2>API keys</h2>
      <p class="sub">
        Clients send a key as <code>x-api-key</code> or a bearer token to{' '}
        <code>{window.location.origin}/spotlight/anthropic</code>.
      </p>
      {created && (
        <div class="notice" role="status">
          <p>
            <strong>{created.name}</strong>: copy this key now. Lamplight keeps only a digest and cannot show it again.
          </p>
          <div class="share-link">
            <input
              aria-label="New API key"
              readOnly
              value={created.key}
              class="mono"
              onFocus={(e) => (e.target as HTMLInputElement).select()}
            />
            <CopyButton text={created.key} />
            <button type="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {error && <ErrorBox message={error} />}
      {isAdmin && (
        <form class="inline-form" onSubmit={create}>
          <label>
            Name
            <input name="name" required maxLength={100} placeholder="e.g. laptop, CI" />
          </label>
          <button type="submit" class="primary">
            Create key
          </button>
        </form>
      )}
      <Show load={load} retry={reload}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No API keys yet.</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Key</th>
                    <th scope="col">Status</th>
                    <th scope="col">Last used</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((key) => (
                    <tr key={key.id}>
                      <td>{key.name}</td>
                      <td class="mono">{key.prefix}…</td>
                      <td>{key.status}</td>
                      <td>{when(key.lastUsedAt)}</td>
                      <td>
                        {isAdmin && (
                          <button
                            type="button"
                            class="danger"
                            aria-label={`Revoke ${key.name}`}
                            onClick={() =>
                              window.confirm(`Revoke ${key.name}? Clients using it stop working at once.`) &&
                              void run(async () =>
                                api
                                  .DELETE('/api/v1/api-keys/{id}', { params: { path: { id: key.id } } })
                                  .then((r) => r.response.ok || unwrap(r)),
                              )
                            }
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </div>
  );
}

function ProviderKeys({ isAdmin }: { isAdmin: boolean }) {
  const [load, reload] = useLoad(async () => unwrap(await api.GET('/api/v1/provider-keys')), 'provider-keys');
  const { error, run } = useAction(reload);
  const [tested, setTested] = useState<string | null>(null);
  const create = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    void run(async () => {
      unwrap(
        await api.POST('/api/v1/provider-keys', {
          body: { name: field(data, 'name'), key: field(data, 'key'), isDefault: data.get('default') === 'on' },
        }),
      );
      form.reset();
    });
  };
  const test = (event: Event) => {
    const form = (event.currentTarget as HTMLElement).closest('form');
    const key = form ? field(new FormData(form), 'key') : '';
    setTested(null);
    void run(async () => {
      const result = unwrap(await api.POST('/api/v1/provider-keys/test', { body: { key } }));
      setTested(result.valid ? 'The key works.' : `Anthropic did not accept this key: ${result.message}`);
    });
  };
  return (
    <div class="card">
      <h2>Provider keys</h2>
      <p class="sub">
        Anthropic keys used for calls that bring none. Encrypted at rest; only the last 4 characters are ever shown.
      </p>
      {error && <ErrorBox message={error} />}
      {tested && (
        <p class="notice" role="status">
          {tested}
        </p>
      )}
      {isAdmin && (
        <form class="inline-form" onSubmit={create}>
          <label>
            Name
            <input name="name" required maxLength={100} />
          </label>
          <label>
            Anthropic API key
            <input name="key" type="password" required autoComplete="off" placeholder="sk-ant-api…" />
          </label>
          <label class="check">
            <input type="checkbox" name="default" /> Default
          </label>
          <button type="button" onClick={test}>
            Test
          </button>
          <button type="submit" class="primary">
            Add key
          </button>
        </form>
      )}
      <Show load={load} retry={reload}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No provider keys. Clients can also send their own Anthropic key.</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Key</th>
                    <th scope="col">Default</th>
                    <th scope="col">Added</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((key) => (
                    <tr key={key.id}>
                      <td>{key.name}</td>
                      <td class="mono">…{key.last4}</td>
                      <td>{key.isDefault ? 'yes' : ''}</td>
                      <td>{when(key.createdAt)}</td>
                      <td class="row-actions">
                        {isAdmin && !key.isDefault && (
                          <button
                            type="button"
                            onClick={() =>
                              void run(async () =>
                                unwrap(
                                  await api.PATCH('/api/v1/provider-keys/{id}', {
                                    params: { path: { id: key.id } },
                                    body: { isDefault: true },
                                  }),
                                ),
                              )
                            }
                          >
                            Make default
                          </button>
                        )}
                        {isAdmin && (
                          <button
                            type="button"
                            class="danger"
                            aria-label={`Remove ${key.name}`}
                            onClick={() =>
                              window.confirm(`Remove ${key.name}?`) &&
                              void run(async () =>
                                api
                                  .DELETE('/api/v1/provider-keys/{id}', { params: { path: { id: key.id } } })
                                  .then((r) => r.response.ok || unwrap(r)),
                              )
                            }
                          >
                            Remove
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </div>
  );
}

function Members({ organization, isAdmin, me }: { organization: Organization; isAdmin: boolean; me: Me }) {
  const path = { id: organization.id };
  const [load, reload] = useLoad(async () => {
    const [members, invitations] = await Promise.all([
      api.GET('/api/v1/organizations/{id}/members', { params: { path } }).then(unwrap),
      isAdmin
        ? api.GET('/api/v1/organizations/{id}/invitations', { params: { path } }).then(unwrap)
        : Promise.resolve(null),
    ]);
    return { members, invitations };
  }, organization.id);
  const { error, run } = useAction(reload);
  const invite = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    void run(async () => {
      unwrap(
        await api.POST('/api/v1/organizations/{id}/members', {
          params: { path },
          body: { email: field(data, 'email'), role: field(data, 'role') as 'member' | 'admin' },
        }),
      );
      form.reset();
    });
  };
  return (
    <div class="card">
      <h2>Members</h2>
      {error && <ErrorBox message={error} />}
      {isAdmin && (
        <form class="inline-form" onSubmit={invite}>
          <label>
            Invite by email
            <input name="email" type="email" required maxLength={320} />
          </label>
          <label>
            Role
            <select name="role">
              <option value="member">member</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <button type="submit" class="primary">
            Invite
          </button>
        </form>
      )}
      <Show load={load} retry={reload}>
        {({ members, invitations }) => (
          <>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Joined</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {members.data.map((m) => (
                    <tr key={m.userId}>
                      <td>{m.name}</td>
                      <td>{m.email}</td>
                      <td>
                        {isAdmin && m.userId !== me.user.id ? (
                          <select
                            aria-label={`Role of ${m.name}`}
                            value={m.role}
                            onChange={(e) =>
                              void run(async () =>
                                unwrap(
                                  await api.PATCH('/api/v1/organizations/{id}/members/{userId}', {
                                    params: { path: { id: organization.id, userId: m.userId } },
                                    body: { role: (e.target as HTMLSelectElement).value as 'member' },
                                  }),
                                ),
                              )
                            }
                          >
                            <option value="member">member</option>
                            <option value="admin">admin</option>
                            <option value="owner">owner</option>
                          </select>
                        ) : (
                          m.role
                        )}
                      </td>
                      <td>{when(m.joinedAt)}</td>
                      <td>
                        {isAdmin && m.userId !== me.user.id && (
                          <button
                            type="button"
                            class="danger"
                            aria-label={`Remove ${m.name}`}
                            onClick={() =>
                              window.confirm(`Remove ${m.name} from ${organization.name}?`) &&
                              void run(async () =>
                                api
                                  .DELETE('/api/v1/organizations/{id}/members/{userId}', {
                                    params: { path: { id: organization.id, userId: m.userId } },
                                  })
                                  .then((r) => r.response.ok || unwrap(r)),
                              )
                            }
                          >
                            Remove
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {invitations && invitations.data.length > 0 && (
              <>
                <h3>Invitations</h3>
                <ul class="plain">
                  {invitations.data.map((inv) => (
                    <li key={inv.id}>
                      {inv.email} as {inv.role} — {inv.status}, expires {when(inv.expiresAt)}{' '}
                      {inv.status === 'pending' && (
                        <button
                          type="button"
                          class="link"
                          onClick={() =>
                            void run(async () =>
                              api
                                .DELETE('/api/v1/organizations/{id}/invitations/{invitationId}', {
                                  params: { path: { id: organization.id, invitationId: inv.id } },
                                })
                                .then((r) => r.response.ok || unwrap(r)),
                            )
                          }
                        >
                          Revoke
                        </button>
                      )}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </Show>
    </div>
  );
}

function OrganizationSettings({
  organization,
  isAdmin,
  onChanged,
}: {
  organization: Organization;
  isAdmin: boolean;
  onChanged: () => void;
}) {
  const [saved, setSaved] = useState(false);
  const { error, run } = useAction(onChanged);
  const save = (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    setSaved(false);
    void run(async () => {
      unwrap(
        await api.PATCH('/api/v1/organizations/{id}', {
          params: { path: { id: organization.id } },
          body: {
            name: field(data, 'name'),
            settings: { sharingEnabled: data.get('sharing') === 'on', storeContent: data.get('store') === 'on' },
          },
        }),
      );
      setSaved(true);
    });
  };
  return (
    <div class="card">
      <h2>Organization</h2>
      {error && <ErrorBox message={error} />}
      {saved && (
        <p class="notice" role="status">
          Saved.
        </p>
      )}
      <form class="stack" onSubmit={save}>
        <label>
          Name
          <input name="name" defaultValue={organization.name} required maxLength={200} disabled={!isAdmin} />
        </label>
        <label class="check">
          <input type="checkbox" name="store" defaultChecked={organization.settings.storeContent} disabled={!isAdmin} />{' '}
          Store prompts and responses (transcripts)
        </label>
        <label class="check">
          <input
            type="checkbox"
            name="sharing"
            defaultChecked={organization.settings.sharingEnabled}
            disabled={!isAdmin}
          />{' '}
          Allow public share links
        </label>
        <p class="sub">
          Slug: <span class="mono">{organization.slug}</span>
        </p>
        {isAdmin && (
          <button type="submit" class="primary">
            Save
          </button>
        )}
      </form>
    </div>
  );
}
