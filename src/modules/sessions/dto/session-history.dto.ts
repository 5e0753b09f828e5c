import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ContentStatus, InteractionOutcome } from '../../recording/interaction.entity';
import { InteractionPageQueryDto } from '../../../common/dto/interaction-page-query.dto';

export class SessionHistoryQueryDto extends InteractionPageQueryDto {}

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
