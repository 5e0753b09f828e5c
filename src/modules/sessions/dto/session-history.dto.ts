import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { InteractionOutcome } from '../../recording/interaction.entity';

export class SessionHistoryQueryDto {
  /**
   * Interactions to return, oldest first, 1 to 1000.
   * @example 1000
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  /** Interactions to skip. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  offset?: number;
}

export class InteractionCostDto {
  inputNanoUsd: number;
  outputNanoUsd: number;
  cacheReadNanoUsd: number;
  cacheWrite5mNanoUsd: number;
  cacheWrite1hNanoUsd: number;
  totalNanoUsd: number;
}

/** One proxied call (seed 002's task) with how it ran. */
export class SessionInteractionDto {
  /** The interaction's id, also the task id. */
  id: string;
  /** @example "claude-sonnet-4-6" */
  model: string;
  stream: boolean;
  outcome: InteractionOutcome;
  /** Anthropic's status, or 499 when the client went away. */
  httpStatus: number;
  /** @example "end_turn" */
  stopReason: string | null;
  /** Anthropic's error type when the call failed. */
  errorType: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  /** Every bucket. */
  totalTokens: number;
  /** Per bucket in nano-USD; null when the model is not in the pricing table. */
  cost: InteractionCostDto | null;
  costUsd: number | null;
  pricingVersion: string;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  /** Anthropic's request id. */
  upstreamRequestId: string | null;
  /** Claude Code's subagent id (x-claude-code-agent-id). */
  agentId: string | null;
  /** The text the user sent in this turn; null when content is not stored. */
  userQuery: string | null;
  /** The text of the answer; null when content is not stored or there was none. */
  finalOutput: string | null;
  /** Whether stored content was cut to the size cap. */
  contentTruncated: boolean;
  startedAt: string;
  endedAt: string;
}

export class SessionHistoryResponseDto {
  object: 'list';
  /** The session's UUID. */
  sessionId: string;
  externalId: string;
  /** Interactions in the session. */
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
  /** The task (interaction) the event belongs to. */
  workflow_id: string;
  /** @example "LLM_OUTPUT" */
  type: SessionEventType;
  /** @example "2 + 2 equals 4." */
  message: string;
  timestamp: string;
}

export class SessionTurnMetadataDto {
  /** Every token bucket of the turn. */
  tokens_used: number;
  execution_time_ms: number;
  /** Claude Code subagents that took part. */
  agents_involved: string[];
}

export class SessionTurnDto {
  /** Global: offset + index + 1. */
  turn: number;
  task_id: string;
  user_query: string | null;
  /** The answer's text, else the first LLM_OUTPUT event's message; null for a call that did not complete. */
  final_output: string | null;
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
  /** Turns in this page. */
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
