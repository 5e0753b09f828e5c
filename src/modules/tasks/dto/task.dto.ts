import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { NO_CONTROL_CHARACTERS } from '../../sessions/dto/session.dto';

export const DEFAULT_TASK_MODEL = 'claude-sonnet-5-5';
export const DEFAULT_TASK_MAX_TOKENS = 1024;

/** A task submission, in the API's snake_case. */
export class CreateTaskDto {
  /**
   * What to ask.
   * @example "What is 2+2?"
   */
  @IsString()
  @Length(1, 200_000)
  @Matches(/\S/, { message: 'query must not be blank' })
  query: string;

  /**
   * The session: its UUID, or an external id (a session with that id is opened when there is none).
   * @example "my-chat-session"
   */
  @IsString()
  @Length(1, 255)
  @Matches(/\S/, { message: 'session_id must not be blank' })
  @Matches(NO_CONTROL_CHARACTERS, { message: 'session_id must not contain control characters' })
  session_id: string;

  /**
   * The Anthropic model; claude-sonnet-5-5 when omitted.
   * @example "claude-sonnet-5-5"
   */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(/^[A-Za-z0-9._:@-]+$/, { message: 'model must be a model id such as claude-sonnet-5-5' })
  model?: string;

  /** A system prompt. */
  @IsOptional()
  @IsString()
  @Length(1, 200_000)
  system?: string;

  /**
   * The most tokens the answer may have; 1024 when omitted.
   * @example 1024
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(128_000)
  max_tokens?: number;
}

export class TaskUsageDto {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  /** Every bucket. */
  total_tokens: number;
  /** Null when the model is not in the pricing table. */
  cost_usd: number | null;
}

export class TaskErrorDto {
  /** @example "overloaded_error" */
  type: string;
  /** @example "Overloaded" */
  message: string;
}

export class TaskResponseDto {
  /** The interaction recorded for the task. */
  task_id: string;
  /** The session's UUID (the request's `session_id` may have named it by either id). */
  session_id: string;
  /** @example "my-chat-session" */
  session_external_id: string;
  /** completed: Anthropic answered; failed: it refused or failed; cancelled: the call was cut short. */
  status: 'completed' | 'failed' | 'cancelled';
  /** The text asked; null on a stored task when the organization does not store content. */
  query: string | null;
  /** The answer's text; null when there is none (or, on a stored task, content is not stored). */
  output: string | null;
  /** @example "claude-sonnet-5-5" */
  model: string;
  /** @example "end_turn" */
  stop_reason: string | null;
  /** Anthropic's status (502 or 504 when it could not be reached in time). */
  http_status: number;
  /** Why the task failed; null when it did not. */
  error: TaskErrorDto | null;
  usage: TaskUsageDto;
  latency_ms: number;
  created_at: string;
}
