import { CacheInsightsDto } from '../../analytics/dto/analytics.dto';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { InteractionPageQueryDto } from '../../../common/dto/interaction-page-query.dto';

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
  /** @example "shr_xyz789abc123" */
  share_token: string;
  /** @example "https://lamplight.example.com/shared/shr_xyz789abc123" */
  share_url: string;
  /** @example "2025-01-20T14:00:00Z" */
  created_at: string;
  /**
   * When the link stops working; null for never.
   * @example null
   */
  expires_at: string | null;
  /**
   * Whether viewers see the user queries and final outputs.
   * @example false
   */
  include_content: boolean;
}

export class ShareStatusResponseDto {
  /** @example true */
  is_shared: boolean;
  /** @example "shr_xyz789abc123" */
  share_token?: string;
  /** @example "https://lamplight.example.com/shared/shr_xyz789abc123" */
  share_url?: string;
  /** @example "2025-01-20T14:00:00Z" */
  shared_at?: string;
  /** @example null */
  expires_at?: string | null;
  /** @example false */
  include_content?: boolean;
}

export class ShareRemovedResponseDto {
  /** @example "Sharing removed successfully" */
  message: string;
  /**
   * The session's UUID.
   * @example "a0c2b1e2-fd3e-4567-890a-bcdef1234567"
   */
  session_uuid: string;
}

export class SharedSessionQueryDto extends InteractionPageQueryDto {}

export class SharedSessionSummaryDto {
  /**
   * The session's external id (the client's own id), as everywhere under /spotlight.
   * @example "my-app-session-123"
   */
  session_id: string;
  /** @example "2025-01-15T10:00:00Z" */
  start_time: string;
  /** @example "2025-01-15T11:30:00Z" */
  end_time: string;
  /** @example 15 */
  total_requests: number;
  /** @example 12450 */
  total_input_tokens: number;
  /** @example 8320 */
  total_output_tokens: number;
}

export class SharedInteractionDto {
  /** @example "2025-01-15T10:00:00Z" */
  timestamp: string;
  /** @example "claude-sonnet-4-20250514" */
  model: string;
  /** @example 120 */
  input_tokens: number;
  /** @example 85 */
  output_tokens: number;
  /** Only when the link includes content. */
  user_query?: string | null;
  /** Only when the link includes content. */
  final_output?: string | null;
}

/** One agent of a shared session (Claude Code's main agent or a subagent), with what it cost. */
export class SharedAgentDto {
  /** The agent's id; null for calls that named none (a main agent). @example "a3f09c2d5e6b7a8c" */
  agent_id: string | null;
  /** The agent that started it; null for a top-level agent. @example null */
  parent_agent_id: string | null;
  /** @example 12 */
  calls: number;
  /** @example 48210 */
  input_tokens: number;
  /** @example 3120 */
  output_tokens: number;
  /** Cost of its priced calls in USD. @example 0.1874 */
  cost_usd: number;
}

export class SharedSessionResponseDto {
  session: SharedSessionSummaryDto;
  interactions: SharedInteractionDto[];
  /** The session's agents, oldest first; the tree is read through parent_agent_id. */
  agents: SharedAgentDto[];
  /** What prompt caching did in the session: hit rate, dollars saved, writes never read within their TTL, 5m/1h mix. */
  cache: CacheInsightsDto;
}
