import type { CostBreakdown } from '../proxy/pricing/pricing';
import type { InteractionOutcome } from './interaction.entity';

/** One proxied call as the recorder queues, spools and writes it (plain data, JSON-safe). */
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
  /** Per-bucket cost in nano-USD, or null when the model is unpriced. */
  cost: CostBreakdown | null;
  pricingVersion: string;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  upstreamRequestId: string | null;
  agentId: string | null;
  userQuery: string | null;
  finalOutput: string | null;
  content: unknown;
  contentTruncated: boolean;
  startedAt: string;
  endedAt: string;
}
