import type { SpendLimit } from '../api';
import { money, number } from '../format';
import { type Names, nameOf } from '../names';

export const SCOPES = {
  organization: 'Organization',
  api_key: 'API key',
  user: 'Member',
  session: 'Session',
} as const satisfies Record<SpendLimit['scopeType'], string>;

export const PERIODS = {
  daily: 'Day',
  weekly: 'Week',
  monthly: 'Month',
  session: "Session's lifetime",
} as const satisfies Record<SpendLimit['period'], string>;

export interface ScopeNames {
  apiKeys: Names;
  members: Names;
}

/** What a limit applies to, in words. */
export function scopeLabel(limit: Pick<SpendLimit, 'scopeType' | 'scopeId'>, names: ScopeNames): string {
  switch (limit.scopeType) {
    case 'organization':
      return 'The whole organization';
    case 'api_key':
      return nameOf(names.apiKeys, limit.scopeId, 'api_key');
    case 'user':
      return nameOf(names.members, limit.scopeId, 'member');
    case 'session':
      return `Session ${limit.scopeId?.slice(0, 8) ?? ''}`;
  }
}

/** An amount in the limit's unit: dollars, or tokens for a session's token limit. */
export function inUnit(limit: Pick<SpendLimit, 'unit'>, value: number): string {
  return limit.unit === 'tokens' ? `${number(value)} tokens` : money(value);
}
