import { type SpendLimitRecord, SpendScopeType, SpendUnit } from './spend-limits.repository';
import type { SpendPeriod } from './spend-periods';

/** Ids on the Admin-API-shaped routes are tagged, as Anthropic's are: `spl_` + the UUID. */
const WIRE_ID_PREFIX = 'spl_';

export function toWireId(id: string): string {
  return `${WIRE_ID_PREFIX}${id}`;
}

/** The UUID behind a wire id (a bare UUID is accepted too), or null. */
export function fromWireId(wire: string): string | null {
  const id = wire.startsWith(WIRE_ID_PREFIX) ? wire.slice(WIRE_ID_PREFIX.length) : wire;
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id.toLowerCase() : null;
}

export type WireScope =
  | { type: SpendScopeType.Organization }
  | { type: SpendScopeType.User; user_id: string }
  | { type: SpendScopeType.ApiKey; api_key_id: string }
  | { type: SpendScopeType.Session; session_id: string };

export interface WireSpendLimit {
  type: 'spend_limit';
  id: string;
  /** Minor units (cents) as an integer string for USD; tokens for a token limit. */
  amount: string;
  currency: string;
  unit: SpendUnit;
  is_enabled: boolean;
  period: SpendPeriod;
  scope: WireScope;
  alert_thresholds: number[] | null;
  created_at: string;
  updated_at: string;
}

function wireScope(limit: Pick<SpendLimitRecord, 'scopeType' | 'scopeId'>): WireScope {
  switch (limit.scopeType) {
    case SpendScopeType.Organization:
      return { type: SpendScopeType.Organization };
    case SpendScopeType.User:
      return { type: SpendScopeType.User, user_id: limit.scopeId ?? '' };
    case SpendScopeType.ApiKey:
      return { type: SpendScopeType.ApiKey, api_key_id: limit.scopeId ?? '' };
    case SpendScopeType.Session:
      return { type: SpendScopeType.Session, session_id: limit.scopeId ?? '' };
  }
}

/** A limit in the Admin API's wire shape (amount in cents, rounded down from micro-USD). */
export function toWireSpendLimit(limit: SpendLimitRecord): WireSpendLimit {
  return {
    type: 'spend_limit',
    id: toWireId(limit.id),
    amount: limit.unit === SpendUnit.Usd ? String(Math.floor(limit.amount / 10_000)) : String(limit.amount),
    currency: 'USD',
    unit: limit.unit,
    is_enabled: true,
    period: limit.period,
    scope: wireScope(limit),
    alert_thresholds: limit.alertThresholds,
    created_at: limit.createdAt.toISOString(),
    updated_at: limit.updatedAt.toISOString(),
  };
}
