import { BigIntType, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Filter } from '@mikro-orm/decorators/legacy';
import { TENANT_FILTER, type TenantFilterArgs } from '../../database/base.entity';
import { Organization } from '../organizations/organization.entity';
import { Session } from '../sessions/session.entity';

export enum InteractionOutcome {
  Ok = 'ok',
  Error = 'error',
  Cancelled = 'cancelled',
  UpstreamError = 'upstream_error',
}

/** What an interaction holds of the conversation. */
export enum ContentStatus {
  /** Query, output and content as sent and received. */
  Complete = 'complete',
  /** Kept, but cut to CONTENT_MAX_BYTES (or nested too deep); cut text ends in a marker. */
  Truncated = 'truncated',
  /** The organization does not store content. */
  NotStored = 'not_stored',
  /** Capturing the content failed; the call is recorded without it. */
  CaptureFailed = 'capture_failed',
  /** The database refused the row as sent; it was stored without content (the original is dead-lettered). */
  Dropped = 'dropped',
}

/**
 * One proxied call. Written only by the recorder's batch writer (never through the unit of
 * work); read through the ORM by the session and analytics modules.
 */
@Entity({ tableName: 'interactions' })
@Filter({
  name: TENANT_FILTER,
  default: true,
  args: true,
  cond: (args) => ({ organization: (args as TenantFilterArgs).organizationId }),
})
@Index({ name: 'interactions_session_started_index', properties: ['organization', 'session', 'startedAt', 'id'] })
export class Interaction {
  @PrimaryKey({ type: 'uuid' })
  id: string;

  /**
   * No foreign key: the recorder's statement locks and checks the organization, and purging an
   * organization removes its calls (migration interaction_organizations_checked_by_writer).
   */
  @ManyToOne({ entity: () => Organization, createForeignKeyConstraint: false })
  organization: Rel<Organization>;

  /** No foreign key: the recorder's statement checks the session (migration interaction_sessions_checked_by_writer). */
  @ManyToOne({ entity: () => Session, createForeignKeyConstraint: false })
  session: Rel<Session>;

  @Property({ type: 'uuid', nullable: true })
  apiKeyId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  userId?: string | null;

  @Property({ type: 'string', length: 255 })
  model: string;

  @Property({ type: 'boolean' })
  stream: boolean;

  @Property({ type: 'smallint' })
  httpStatus: number;

  @Enum({ items: () => InteractionOutcome, nativeEnumName: 'interaction_outcome' })
  outcome: InteractionOutcome;

  @Property({ type: 'string', length: 64, nullable: true })
  stopReason?: string | null;

  @Property({ type: 'string', length: 64, nullable: true })
  errorType?: string | null;

  @Property({ type: 'integer' })
  inputTokens: number;

  @Property({ type: 'integer' })
  outputTokens: number;

  @Property({ type: 'integer' })
  cacheReadTokens: number;

  @Property({ type: 'integer' })
  cacheWrite5mTokens: number;

  @Property({ type: 'integer' })
  cacheWrite1hTokens: number;

  /** Cost per bucket in nano-USD; all null when the model is not in the pricing table. */
  @Property({ type: new BigIntType('number'), nullable: true })
  costInputNanoUsd?: number | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  costOutputNanoUsd?: number | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  costCacheReadNanoUsd?: number | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  costCacheWrite5mNanoUsd?: number | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  costCacheWrite1hNanoUsd?: number | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  costTotalNanoUsd?: number | null;

  /** Server-tool fees (web search), part of the total; null when unpriced or recorded before they were. */
  @Property({ type: new BigIntType('number'), nullable: true })
  costToolsNanoUsd?: number | null;

  /** What multipliers (batch, data residency, fast mode) added to the buckets; negative for a discount. */
  @Property({ type: new BigIntType('number'), nullable: true })
  costMultipliersNanoUsd?: number | null;

  /** What cache reads saved against uncached input; not part of the cost. */
  @Property({ type: new BigIntType('number'), nullable: true })
  costCacheSavingsNanoUsd?: number | null;

  /** Every component of the cost (see CostDetail in pricing.ts). */
  @Property({ type: 'json', nullable: true })
  costBreakdown?: unknown;

  /** The usage object as Anthropic sent it (merged across a stream). */
  @Property({ type: 'json', nullable: true })
  usage?: unknown;

  @Property({ type: 'string', length: 32 })
  pricingVersion: string;

  @Property({ type: 'integer' })
  latencyMs: number;

  @Property({ type: 'integer', nullable: true })
  timeToFirstTokenMs?: number | null;

  @Property({ type: 'string', length: 128, nullable: true })
  upstreamRequestId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  agentId?: string | null;

  /** The agent that started `agentId` (a subagent's parent); null for a top-level agent. */
  @Property({ type: 'string', length: 255, nullable: true })
  parentAgentId?: string | null;

  @Property({ type: 'text', nullable: true })
  userQuery?: string | null;

  @Property({ type: 'text', nullable: true })
  finalOutput?: string | null;

  /** The turn's request messages and the response blocks, when the organization stores content. */
  @Property({ type: 'json', nullable: true })
  content?: unknown;

  @Property({ type: 'boolean' })
  contentTruncated: boolean;

  @Enum({ items: () => ContentStatus, nativeEnumName: 'interaction_content_status', default: ContentStatus.Complete })
  contentStatus: ContentStatus;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  startedAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  endedAt: Date;
}

/** Usage per organization, hour and model, maintained with every batch so analytics never scan interactions. */
@Entity({ tableName: 'usage_hourly' })
@Filter({
  name: TENANT_FILTER,
  default: true,
  args: true,
  cond: (args) => ({ organizationId: (args as TenantFilterArgs).organizationId }),
})
// Covering: analytics sum ranges of hours from the index alone (index-only scans), never from heap
// rows scattered by the constant upserts.
@Index({
  name: 'usage_hourly_covering_index',
  expression:
    'create index "usage_hourly_covering_index" on "usage_hourly" ("organization_id", "hour", "model") include ("requests", "error_requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write5m_tokens", "cache_write1h_tokens", "cost_input_nano_usd", "cost_output_nano_usd", "cost_cache_read_nano_usd", "cost_cache_write5m_nano_usd", "cost_cache_write1h_nano_usd", "cost_total_nano_usd", "cost_tools_nano_usd", "cost_multipliers_nano_usd", "cost_cache_savings_nano_usd")',
})
export class UsageHourly {
  @PrimaryKey({ type: 'uuid' })
  organizationId: string;

  @PrimaryKey({ type: 'datetime', columnType: 'timestamptz' })
  hour: Date;

  @PrimaryKey({ type: 'string', length: 255 })
  model: string;

  @Property({ type: new BigIntType('number') })
  requests: number;

  @Property({ type: new BigIntType('number') })
  errorRequests: number;

  @Property({ type: new BigIntType('number') })
  unpricedRequests: number;

  @Property({ type: new BigIntType('number') })
  inputTokens: number;

  @Property({ type: new BigIntType('number') })
  outputTokens: number;

  @Property({ type: new BigIntType('number') })
  cacheReadTokens: number;

  @Property({ type: new BigIntType('number') })
  cacheWrite5mTokens: number;

  @Property({ type: new BigIntType('number') })
  cacheWrite1hTokens: number;

  @Property({ type: new BigIntType('number') })
  costInputNanoUsd: number;

  @Property({ type: new BigIntType('number') })
  costOutputNanoUsd: number;

  @Property({ type: new BigIntType('number') })
  costCacheReadNanoUsd: number;

  @Property({ type: new BigIntType('number') })
  costCacheWrite5mNanoUsd: number;

  @Property({ type: new BigIntType('number') })
  costCacheWrite1hNanoUsd: number;

  @Property({ type: new BigIntType('number') })
  costTotalNanoUsd: number;

  @Property({ type: new BigIntType('number'), default: 0 })
  costToolsNanoUsd: number;

  @Property({ type: new BigIntType('number'), default: 0 })
  costMultipliersNanoUsd: number;

  @Property({ type: new BigIntType('number'), default: 0 })
  costCacheSavingsNanoUsd: number;
}
