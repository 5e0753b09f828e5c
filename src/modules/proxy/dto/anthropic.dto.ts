import { ApiProperty } from '@nestjs/swagger';

/**
 * The Messages API shapes as documented for Lamplight's OpenAPI document. Lamplight does not
 * validate these bodies: Anthropic does, and its answer is passed back as it is.
 */
export class MessageParamDto {
  /** @example "user" */
  role: 'user' | 'assistant';
  /**
   * A string, or content blocks.
   * @example "Hello, Claude"
   */
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', additionalProperties: true } }],
    example: 'Hello, Claude',
  })
  content: unknown;
}

export class MessageRequestDto {
  /** @example "claude-sonnet-5-5" */
  model: string;
  /** @example 1024 */
  max_tokens: number;
  messages: MessageParamDto[];
  /** A system prompt (string or text blocks). */
  system?: unknown;
  /** Stream the answer as server-sent events. */
  stream?: boolean;
  /**
   * `user_id` names the session: Claude Code's forms are parsed, any other string is the session id.
   * @example {"user_id":"my-app-session-123"}
   */
  metadata?: Record<string, unknown>;
  tools?: unknown[];
  temperature?: number;
}

export class UsageDto {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_creation?: Record<string, number> | null;
}

export class MessageResponseDto {
  /** @example "msg_013Zva2CMHLNnXjNJJKqJ2EF" */
  id: string;
  /** @example "message" */
  type: string;
  /** @example "assistant" */
  role: string;
  /** @example "claude-sonnet-5-5" */
  model: string;
  content: unknown[];
  /** @example "end_turn" */
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: UsageDto;
}

export class CountTokensResponseDto {
  /** @example 2095 */
  input_tokens: number;
}

export class AnthropicErrorBodyDto {
  /** @example "authentication_error" */
  type: string;
  /** @example "invalid x-api-key" */
  message: string;
}

/** Anthropic's error shape, used for every error on the proxy routes. */
export class AnthropicErrorDto {
  /** @example "error" */
  type: 'error';
  error: AnthropicErrorBodyDto;
  /** @example "req_011CSHoEeqs5C35K2UUqR7Fy" */
  request_id?: string;
}

/** A model as Anthropic's Models API describes it. */
export class ModelInfoDto {
  /** @example "model" */
  type: 'model';
  /** @example "claude-sonnet-4-6" */
  id: string;
  /** @example "Claude Sonnet 4.6" */
  display_name: string;
  /** @example "2026-02-17T00:00:00Z" */
  created_at: string;
}

/** A page of Anthropic's model list, narrowed to the models the organization allows. */
export class ModelListDto {
  data: ModelInfoDto[];
  /** @example false */
  has_more: boolean;
  /** @example "claude-opus-4-6" */
  first_id: string | null;
  /** @example "claude-haiku-4-5-20251001" */
  last_id: string | null;
}

export class MessageBatchRequestCountsDto {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** A message batch as Anthropic describes it; results_url points at Lamplight. */
export class MessageBatchDto {
  /** @example "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF" */
  id: string;
  /** @example "message_batch" */
  type: 'message_batch';
  /** @example "ended" */
  processing_status: string;
  request_counts: MessageBatchRequestCountsDto;
  /** @example "https://lamplight.example.com/spotlight/anthropic/v1/messages/batches/msgbatch_013Zva2CMHLNnXjNJJKqJ2EF/results" */
  results_url: string | null;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
  cancel_initiated_at: string | null;
  archived_at: string | null;
}

export class MessageBatchListDto {
  data: MessageBatchDto[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/** A file as Anthropic's Files API describes it. */
export class FileMetadataDto {
  /** @example "file_011CNha8iCJcU1wXNR6q4V8w" */
  id: string;
  /** @example "file" */
  type: 'file';
  /** @example "notes.txt" */
  filename: string;
  /** @example "text/plain" */
  mime_type: string;
  /** @example 1024 */
  size_bytes: number;
  created_at: string;
  downloadable?: boolean;
}

export class FileListDto {
  data: FileMetadataDto[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/** What Anthropic answers to a delete. */
export class DeletedObjectDto {
  id: string;
  /** @example "message_batch_deleted" */
  type: string;
}
