import { storableId, wellFormed } from '../../common/text/storable-text';
import type { RawUsage } from '../proxy/anthropic-usage';
import type { CallCost, CostBreakdown } from '../proxy/pricing/pricing';
import type { ContentStatus, InteractionOutcome } from './interaction.entity';

/** One proxied call as the recorder journals, queues and writes it (plain data, JSON-safe). */
export interface InteractionRecord {
  id: string;
  organizationId: string;
  sessionId: string;
  apiKeyId: string | null;
  userId: string | null;
  model: string;
  stream: boolean;
  httpStatus: number;
  outcome: InteractionOutcome;
  stopReason: string | null;
  errorType: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  /**
   * Per-bucket cost in nano-USD (multipliers applied), tool fees, the split and the named
   * components, or null when the call is unpriced. Records journaled by earlier versions carry
   * only the buckets and the total.
   */
  cost: (CostBreakdown & Partial<Omit<CallCost, keyof CostBreakdown>>) | null;
  /** The usage object as Anthropic sent it (merged across a stream); absent in older records. */
  rawUsage?: RawUsage | null;
  pricingVersion: string;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  upstreamRequestId: string | null;
  agentId: string | null;
  parentAgentId: string | null;
  userQuery: string | null;
  finalOutput: string | null;
  content: unknown;
  contentTruncated: boolean;
  contentStatus: ContentStatus;
  startedAt: string;
  endedAt: string;
}

/** Column lengths of the short text columns of `interactions`. */
const COLUMN_LENGTHS = {
  model: 255,
  stopReason: 64,
  errorType: 64,
  upstreamRequestId: 128,
  agentId: 255,
  pricingVersion: 32,
} as const;

const shortText = (value: string | null, length: number): string | null =>
  value === null ? null : storableId(value, length);

/**
 * The record with every text field as PostgreSQL will take it: short fields well-formed and cut
 * to their column on a code-point boundary, long ones well-formed. Content is made storable when it
 * is captured (see content-capture.ts); the writer's last pass covers anything else in JSON.
 */
export function storableRecord(record: InteractionRecord): InteractionRecord {
  return {
    ...record,
    model: storableId(record.model, COLUMN_LENGTHS.model),
    stopReason: shortText(record.stopReason, COLUMN_LENGTHS.stopReason),
    errorType: shortText(record.errorType, COLUMN_LENGTHS.errorType),
    upstreamRequestId: shortText(record.upstreamRequestId, COLUMN_LENGTHS.upstreamRequestId),
    agentId: shortText(record.agentId, COLUMN_LENGTHS.agentId),
    // Journal lines of versions before parent agents have none.
    parentAgentId: shortText(record.parentAgentId ?? null, COLUMN_LENGTHS.agentId),
    pricingVersion: storableId(record.pricingVersion, COLUMN_LENGTHS.pricingVersion),
    userQuery: record.userQuery === null ? null : wellFormed(record.userQuery),
    finalOutput: record.finalOutput === null ? null : wellFormed(record.finalOutput),
  };
}

/** The same call without what it said: what is stored when the database refuses the row as sent. */
export function withoutContent(record: InteractionRecord, status: ContentStatus): InteractionRecord {
  return {
    ...record,
    userQuery: null,
    finalOutput: null,
    content: null,
    contentTruncated: false,
    contentStatus: status,
  };
}
