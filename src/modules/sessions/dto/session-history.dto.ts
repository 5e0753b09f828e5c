import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ContentStatus, InteractionOutcome } from '../../recording/interaction.entity';
import { InteractionPageQueryDto } from '../../../common/dto/interaction-page-query.dto';

export class SessionHistoryQueryDto extends InteractionPageQueryDto {}

/** One token bucket of a priced part: tokens, the tier's rate, and its cost before and after multipliers. */
export class CostBucketDto {
  tokens: number;
  nanoUsdPerToken: number;
  baseNanoUsd: number;
  nanoUsd: number;
}

export class CostBucketsDto {
  input: CostBucketDto;
  cacheWrite5m: CostBucketDto;
  cacheWrite1h: CostBucketDto;
  cacheRead: CostBucketDto;
  output: CostBucketDto;
}

/** The call (kind `usage`), or one of its `usage.iterations`, priced at one model's rates. */
export class CostPartDto {
  /** @example "usage" */
  kind: string;
  /** @example "claude-opus-5" */
  model: string;
  /** The pricing table's id for the model. */
  pricedAs: string;
  /** The prompt-size or long-context tier applied, if any. */
  tier: string | null;
  /** Every input token of the part (input, cache reads and writes): what chooses the tier. */
  promptTokens: number;
  /**
   * The product of the multipliers applied to this part, exact.
   * @example "1.1"
   */
  factor: string;
  buckets: CostBucketsDto;
}

export class AppliedMultiplierDto {
  /** @example "data_residency" */
  name: string;
  /** @example "1.1" */
  factor: string;
  /** @example "inference_geo=us" */
  reason: string;
}

export class ToolFeeDto {
  /** @example "web_search" */
  name: string;
  requests: number;
  nanoUsdPerRequest: number;
  nanoUsd: number;
}

export class OutputTokensDto {
  tokens: number;
  /** Of `tokens`, spent thinking (`output_tokens_details.thinking_tokens`); null when not reported. */
  thinkingTokens: number | null;
}

/** Every component of an interaction's cost. */
export class CostBreakdownDto {
  pricingVersion: string;
  model: string;
  /** `iterations` when the call was priced from `usage.iterations`, each at its own model's rates. */
  pricedFrom: string;
  parts: CostPartDto[];
  multipliers: AppliedMultiplierDto[];
  tools: ToolFeeDto[];
  output: OutputTokensDto;
  tokensNanoUsd: number;
  multipliersNanoUsd: number;
  toolsNanoUsd: number;
  totalNanoUsd: number;
}

export class InteractionCostDto {
  /** Per bucket, multipliers applied. */
  inputNanoUsd: number;
  outputNanoUsd: number;
  cacheReadNanoUsd: number;
  cacheWrite5mNanoUsd: number;
  cacheWrite1hNanoUsd: number;
  /** Server-tool fees (web search); in the total, never multiplied. */
  toolsNanoUsd: number;
  /** What multipliers (batch, data residency, fast mode) added to the buckets; negative for a discount. */
  multipliersNanoUsd: number;
  /** Buckets plus tool fees. */
  totalNanoUsd: number;
  /** Every component named; null for calls recorded before breakdowns were kept. */
  breakdown: CostBreakdownDto | null;
}

/** One proxied call (a task) with how it ran. */
export class SessionInteractionDto {
  /**
   * The interaction's id, also the task id.
   * @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
   */
  id: string;
  /** @example "claude-sonnet-4-6" */
  model: string;
  /** @example false */
  stream: boolean;
  /** @example "ok" */
  outcome: InteractionOutcome;
  /**
   * Anthropic's status, or 499 when the client went away.
   * @example 200
   */
  httpStatus: number;
  /** @example "end_turn" */
  stopReason: string | null;
  /**
   * Anthropic's error type when the call failed.
   * @example null
   */
  errorType: string | null;
  /** @example 100 */
  inputTokens: number;
  /** @example 50 */
  outputTokens: number;
  /** @example 0 */
  cacheReadTokens: number;
  /** @example 0 */
  cacheWrite5mTokens: number;
  /** @example 0 */
  cacheWrite1hTokens: number;
  /**
   * Every bucket.
   * @example 150
   */
  totalTokens: number;
  /** Per bucket in nano-USD; null when the model is not in the pricing table. */
  cost: InteractionCostDto | null;
  /** @example 0.00105 */
  costUsd: number | null;
  pricingVersion: string;
  /**
   * The usage object as Anthropic sent it (a stream's merged); null for calls recorded before it was kept.
   * @example {"input_tokens":100,"output_tokens":50,"server_tool_use":{"web_search_requests":1}}
   */
  usage: Record<string, unknown> | null;
  /** @example 8000 */
  latencyMs: number;
  /** @example 640 */
  timeToFirstTokenMs: number | null;
  /** Anthropic's request id. */
  upstreamRequestId: string | null;
  /**
   * Claude Code's subagent id (x-claude-code-agent-id).
   * @example null
   */
  agentId: string | null;
  /**
   * The agent that started this call's agent (x-claude-code-parent-agent-id); null for a top-level agent.
   * @example null
   */
  parentAgentId: string | null;
  /**
   * The text the user sent in this turn; null when content is not stored.
   * @example "What is 2+2?"
   */
  userQuery: string | null;
  /**
   * The text of the answer; null when content is not stored or there was none.
   * @example "2 + 2 equals 4."
   */
  finalOutput: string | null;
  /**
   * Whether stored content was cut to the size cap.
   * @example false
   */
  contentTruncated: boolean;
  /**
   * What the interaction holds of the conversation: `complete`; `truncated` (cut to the size cap,
   * cut text ends in "…[truncated]"); `not_stored` (the organization does not store content);
   * `capture_failed` (capturing it failed, the call is recorded without it); `dropped` (the
   * database refused the content as sent; the call is recorded without it).
   * @example "complete"
   */
  contentStatus: ContentStatus;
  /** @example "2025-10-29T06:00:01.513Z" */
  startedAt: string;
  /** @example "2025-10-29T06:00:09.513Z" */
  endedAt: string;
}

export class SessionHistoryResponseDto {
  /** @example "list" */
  object: 'list';
  /**
   * The session's UUID.
   * @example "a0c2b1e2-fd3e-4567-890a-bcdef1234567"
   */
  sessionId: string;
  /** @example "chat-session-123" */
  externalId: string;
  /**
   * Interactions in the session.
   * @example 2
   */
  totalCount: number;
  /** Oldest first. */
  data: SessionInteractionDto[];
}

export class SessionEventsQueryDto {
  /**
   * Turns to return, 1 to 100.
   * @example 10
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** Turns to skip. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  offset?: number;
}

export const SESSION_EVENT_TYPES = ['LLM_PROMPT', 'LLM_OUTPUT', 'TOOL_USE', 'TOOL_RESULT', 'ERROR'] as const;
export type SessionEventType = (typeof SESSION_EVENT_TYPES)[number];

export class SessionEventDto {
  /**
   * The task (interaction) the event belongs to.
   * @example "wf-1"
   */
  workflow_id: string;
  /** @example "LLM_OUTPUT" */
  type: SessionEventType;
  /** @example "2 + 2 equals 4." */
  message: string;
  /** @example "2025-10-29T06:00:01.513288Z" */
  timestamp: string;
}

export class SessionTurnMetadataDto {
  /**
   * Every token bucket of the turn.
   * @example 150
   */
  tokens_used: number;
  /** @example 8000 */
  execution_time_ms: number;
  /**
   * Claude Code subagents that took part.
   * @example ["planner", "simple-agent"]
   */
  agents_involved: string[];
  /**
   * The agent that started the one in agents_involved (a subagent's parent); null for a top-level agent.
   * @example null
   */
  parent_agent_id: string | null;
  /**
   * The turn's cost in USD; null when unpriced.
   * @example 0.0405
   */
  cost_usd: number | null;
  /** Every component of the cost (tokens per bucket, tool fees, multipliers); null when unpriced or recorded before breakdowns were kept. */
  cost_breakdown: CostBreakdownDto | null;
}

export class SessionTurnDto {
  /**
   * Global: offset + index + 1.
   * @example 1
   */
  turn: number;
  /** @example "task-001" */
  task_id: string;
  /** @example "What is 2+2?" */
  user_query: string | null;
  /**
   * The answer's text, else the first LLM_OUTPUT event's message; null for a call that did not complete.
   * @example "2 + 2 equals 4."
   */
  final_output: string | null;
  /** @example "2025-10-29T06:00:01.513288Z" */
  timestamp: string;
  events: SessionEventDto[];
  metadata: SessionTurnMetadataDto;
}

export class SessionEventsResponseDto {
  /**
   * The session as named in the path (UUID or external id).
   * @example "chat-session-123"
   */
  session_id: string;
  /**
   * Turns in this page.
   * @example 2
   */
  count: number;
  turns: SessionTurnDto[];
}

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class SessionExportQueryDto {
  /** JSON Lines (one interaction per line, content included) or CSV (no content blocks). Default jsonl. */
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
}
