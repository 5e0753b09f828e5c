// Names for the ids the API returns: API keys by name and prefix, members by name and email.
import { api, type Organization, unwrap } from './api';

export type Names = Map<string, string>;

export async function apiKeyNames(): Promise<Names> {
  const keys = unwrap(await api.GET('/api/v1/api-keys'));
  return new Map(keys.data.map((k) => [k.id, `${k.name} (${k.prefix}…)`]));
}

export async function memberNames(organization: Organization): Promise<Names> {
  const members = unwrap(
    await api.GET('/api/v1/organizations/{id}/members', { params: { path: { id: organization.id } } }),
  );
  return new Map(members.data.map((m) => [m.userId, `${m.name} <${m.email}>`]));
}

/** A key's or member's name; one no longer listed is named by the start of its id. */
export function nameOf(names: Names, id: string | null, kind: 'api_key' | 'member'): string {
  if (id === null) return kind === 'api_key' ? 'Signed-in calls (no key)' : 'No member';
  return names.get(id) ?? `${kind === 'api_key' ? 'Deleted key' : 'Former member'} ${id.slice(0, 8)}`;
}
