import { ArrayType, BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { SoftDeletableOrgScopedEntity } from '../../database/base.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';
import { SessionRepository } from './session.repository';

/** What the client said about the machine it runs on; "unknown" where it said nothing. */
export interface SessionDevice {
  id: string;
  platform: string;
  type: string;
  name: string;
  osVersion: string;
}

/**
 * A group of proxied calls, identified by the client's external id. Its running totals are kept
 * by the recorder in the same transaction as the interactions it writes.
 */
@Entity({ tableName: 'sessions', repository: () => SessionRepository })
@Index({ name: 'sessions_id_index', properties: ['id'] })
@Index({ name: 'sessions_organization_created_index', properties: ['organization', 'createdAt', 'id'] })
@Index({
  name: 'sessions_live_external_id_unique',
  expression:
    'create unique index "sessions_live_external_id_unique" on "sessions" ("organization_id", "external_id") where "deleted_at" is null and "released_at" is null',
})
@Index({ name: 'sessions_organization_user_created_index', properties: ['organization', 'user', 'createdAt', 'id'] })
@Index({
  name: 'sessions_organization_agent_created_index',
  expression:
    'create index "sessions_organization_agent_created_index" on "sessions" ("organization_id", ("device"->>\'type\'), "created_at", "id")',
})
@Index({
  name: 'sessions_organization_errors_created_index',
  expression:
    'create index "sessions_organization_errors_created_index" on "sessions" ("organization_id", "created_at", "id") where "error_requests" > 0',
})
@Index({
  name: 'sessions_organization_models_index',
  expression: 'create index "sessions_organization_models_index" on "sessions" using gin ("organization_id", "models")',
})
@Index({
  name: 'sessions_organization_deleted_created_index',
  expression:
    'create index "sessions_organization_deleted_created_index" on "sessions" ("organization_id", "created_at", "id") where "deleted_at" is not null',
})
@Index({
  name: 'sessions_organization_cost_index',
  expression:
    'create index "sessions_organization_cost_index" on "sessions" ("organization_id", "cost_nano_usd", "id") where "deleted_at" is null',
})
@Index({
  name: 'sessions_organization_tokens_index',
  expression:
    'create index "sessions_organization_tokens_index" on "sessions" ("organization_id", ("input_tokens" + "output_tokens" + "cache_read_tokens" + "cache_write5m_tokens" + "cache_write1h_tokens"), "id") where "deleted_at" is null',
})
export class Session extends SoftDeletableOrgScopedEntity {
  @ManyToOne({ entity: () => Organization, deleteRule: 'cascade' })
  organization: Rel<Organization>;

  /** The user who created the session (the API key's creator for key-authenticated calls). */
  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user: Rel<User>;

  @Property({ type: 'string', length: 255 })
  externalId: string;

  @Property({ type: 'string', length: 255, nullable: true })
  title?: string | null;

  @Property({ type: 'json' })
  device: SessionDevice;

  @Property({ type: new BigIntType('number'), nullable: true })
  tokenBudget?: number | null;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  lastActivityAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  releasedAt?: Date | null;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  deletedBy?: Rel<User> | null;

  @Property({ type: new BigIntType('number') })
  requestCount: Opt<number> = 0;

  @Property({ type: new BigIntType('number') })
  inputTokens: Opt<number> = 0;

  @Property({ type: new BigIntType('number') })
  outputTokens: Opt<number> = 0;

  @Property({ type: new BigIntType('number') })
  cacheReadTokens: Opt<number> = 0;

  @Property({ type: new BigIntType('number') })
  cacheWrite5mTokens: Opt<number> = 0;

  @Property({ type: new BigIntType('number') })
  cacheWrite1hTokens: Opt<number> = 0;

  /** Exact cost of the priced calls, in nano-USD (a micro-dollar with three exact decimals). */
  @Property({ type: new BigIntType('number') })
  costNanoUsd: Opt<number> = 0;

  @Property({ type: new BigIntType('number') })
  unpricedRequests: Opt<number> = 0;

  /** Calls whose outcome was error or upstream_error (what the list's outcome filter reads). */
  @Property({ type: new BigIntType('number') })
  errorRequests: Opt<number> = 0;

  /** The distinct models the session called, sorted, at most 64; kept by the recorder. */
  @Property({ type: ArrayType, columnType: 'text[]', defaultRaw: "'{}'" })
  models: Opt<string[]> = [];
}

/** Every token the session has used, all buckets: what its budget is measured against. */
export function tokensUsed(
  s: Pick<Session, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens'>,
): number {
  return s.inputTokens + s.outputTokens + s.cacheReadTokens + s.cacheWrite5mTokens + s.cacheWrite1hTokens;
}
