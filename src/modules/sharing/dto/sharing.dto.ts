import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** A year, the longest a link may live before it must be shared again. */
export const MAX_SHARE_LIFETIME_SECONDS = 31_536_000;

export class CreateShareLinkDto {
  /**
   * The link stops working this many seconds from now (60 s to a year); never when omitted.
   * @example 604800
   */
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(MAX_SHARE_LIFETIME_SECONDS)
  expires_in_seconds?: number;

  /** Show each call's user query and final output to viewers of the link. Default false: usage only. */
  @IsOptional()
  @IsBoolean()
  include_content?: boolean;
}

export class ShareLinkResponseDto {
  /** @example "shr_Q2hhcmxlcyBCYWJiYWdlIGFuZCBBZGE" */
  share_token: string;
  /** @example "https://lamplight.example.com/shared/shr_Q2hhcmxlcyBCYWJiYWdlIGFuZCBBZGE" */
  share_url: string;
  created_at: string;
  /** When the link stops working; null for never. */
  expires_at: string | null;
  /** Whether viewers see the user queries and final outputs. */
  include_content: boolean;
}

export class ShareStatusResponseDto {
  is_shared: boolean;
  share_token?: string;
  share_url?: string;
  shared_at?: string;
  expires_at?: string | null;
  include_content?: boolean;
}

export class ShareRemovedResponseDto {
  /** @example "Sharing removed successfully" */
  message: string;
  /** The session's UUID. */
  session_uuid: string;
}

export class SharedSessionQueryDto {
  /** Interactions to return (1–1000), oldest first. */
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

export class SharedSessionSummaryDto {
  /** @example "my-app-session-123" */
  session_id: string;
  start_time: string;
  end_time: string;
  total_requests: number;
  total_input_tokens: number;
  total_output_tokens: number;
}

export class SharedInteractionDto {
  timestamp: string;
  /** @example "claude-sonnet-4-20250514" */
  model: string;
  input_tokens: number;
  output_tokens: number;
  /** Only when the link includes content. */
  user_query?: string | null;
  /** Only when the link includes content. */
  final_output?: string | null;
}

export class SharedSessionResponseDto {
  session: SharedSessionSummaryDto;
  interactions: SharedInteractionDto[];
}
