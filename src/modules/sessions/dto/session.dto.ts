import { Transform, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { isRfc3339 } from '../session-cursor';
import { CodePointLength, sanitizeTitle, TITLE_MAX_CODE_POINTS } from '../session-title';

const IsRfc3339 = () =>
  ValidateBy({
    name: 'isRfc3339',
    validator: {
      validate: isRfc3339,
      defaultMessage: () => '$property must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z',
    },
  });
/** No control characters: external ids travel in HTTP headers, and PostgreSQL text holds no NUL. */
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

export const SESSION_SORTS = ['newest', 'cost', 'tokens'] as const;
export type SessionSort = (typeof SESSION_SORTS)[number];
export const SESSION_OUTCOMES = ['errors', 'ok'] as const;
export type SessionOutcomeFilter = (typeof SESSION_OUTCOMES)[number];

export class ListSessionsQueryDto {
  /**
   * Sessions per page, 1 to 500.
   * @example 100
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  /**
   * The `nextCursor` of the previous page, or an RFC 3339 timestamp: only sessions created strictly
   * before it. Not with offset.
   */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  before?: string;

  /** Sessions to skip (paging by offset); the answer then carries totalCount. Not with before. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  offset?: number;

  /**
   * Only sessions with exactly this external id (an open one and any released before it).
   * @example "my-app-session-123"
   */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'externalId must not contain control characters' })
  externalId?: string;

  /**
   * Text the title or the external id contains, case-insensitively.
   * @example "refactor"
   */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'q must not contain control characters' })
  q?: string;

  /** Only sessions created at or after this RFC 3339 time. */
  @IsOptional()
  @IsRfc3339()
  createdAfter?: string;

  /** Only sessions created strictly before this RFC 3339 time. */
  @IsOptional()
  @IsRfc3339()
  createdBefore?: string;

  /**
   * Only sessions this member created (a user id, as in `user`).
   * @example "00000000-0000-0000-0000-000000000002"
   */
  @IsOptional()
  @IsUUID('all', { message: 'user must be a user id (a UUID)' })
  user?: string;

  /**
   * Only sessions that called this model (exact name, as recorded).
   * @example "claude-sonnet-4-5"
   */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'model must not contain control characters' })
  model?: string;

  /** `errors`: sessions with at least one call that failed (error or upstream_error); `ok`: sessions with none. */
  @IsOptional()
  @IsIn(SESSION_OUTCOMES)
  outcome?: SessionOutcomeFilter;

  /**
   * Only sessions whose client was this kind (the device type): `claude-code`, `sdk-js`, `sdk-python`… or `unknown`.
   * @example "claude-code"
   */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'agent must not contain control characters' })
  agent?: string;

  /**
   * Order: `newest` (default, by creation), `cost` or `tokens` (highest first). Every order pages by cursor or offset.
   * @example "cost"
   */
  @IsOptional()
  @IsIn(SESSION_SORTS)
  sort?: SessionSort;

  /** `true`: the deleted sessions instead of the live ones (admins and owners only; 403 for members). */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'deleted must be true or false' })
  deleted?: 'true' | 'false';
}

export class SessionDeviceDto {
  /** @example "abc123def" */
  id: string;
  /** @example "MacOS" */
  platform: string;
  /** @example "claude-code" */
  type: string;
  /** @example "node v24.11.0" */
  name: string;
  /** @example "unknown" */
  osVersion: string;
}

export class SessionResponseDto {
  /**
   * The session's own id.
   * @example "a0c2b1e2-fd3e-4567-890a-bcdef1234567"
   */
  id: string;
  /**
   * The organization the session belongs to.
   * @example "5f0c2b8e-1d3a-4c6e-9b7f-2a4d6e8f0a1c"
   */
  organization: string;
  /**
   * The user who created the session (an API key's creator for calls made with a key).
   * @example "00000000-0000-0000-0000-000000000002"
   */
  user: string;
  /** Every field present; "unknown" where the client did not say. */
  device: SessionDeviceDto;
  /** @example "2025-10-28T06:00:00Z" */
  createdAt: string;
  /**
   * When the session was released; the next call with its external id opens a new session.
   * @example null
   */
  releasedAt: string | null;
  /**
   * The client's id for the session.
   * @example "my-app-session-123"
   */
  externalId: string;
  /** @example "Refactor the billing module" */
  title: string | null;
  /**
   * Calls recorded in the session (its tasks).
   * @example 3
   */
  taskCount: number;
  /**
   * Tokens used, every bucket (input, output, cache reads and writes): what the budget is measured against.
   * @example 1234
   */
  tokensUsed: number;
  /**
   * Calls are refused once tokensUsed reaches it; null for none.
   * @example 10000
   */
  tokenBudget: number | null;
  /** @example "2025-10-29T06:00:09Z" */
  lastActivityAt: string;
  /**
   * Cost of the priced calls in USD.
   * @example 0.1325
   */
  costUsd: number;
  /**
   * The same cost exactly, in nano-USD (1 USD = 1e9).
   * @example 132500000
   */
  costNanoUsd: number;
  /**
   * Calls to models missing from the pricing table; their cost is not in costUsd.
   * @example 0
   */
  unpricedRequests: number;
  /** @example 734 */
  inputTokens: number;
  /** @example 500 */
  outputTokens: number;
  /** @example 0 */
  cacheReadTokens: number;
  /** @example 0 */
  cacheWrite5mTokens: number;
  /** @example 0 */
  cacheWrite1hTokens: number;
  /**
   * Calls that failed (outcome error or upstream_error).
   * @example 0
   */
  errorRequests: number;
  /**
   * The distinct models the session called, sorted (at most 64).
   * @example ["claude-sonnet-4-5"]
   */
  models: string[];
  /**
   * When the session was deleted: present in the list of deleted sessions only.
   * @example "2025-10-30T06:00:00Z"
   */
  deletedAt?: string;
}

export class SessionListResponseDto {
  /** @example "list" */
  object: 'list';
  /** In the order asked for (newest first by default). */
  data: SessionResponseDto[];
  /**
   * Pass as `before` for the next page; absent on the last page.
   * @example "djF8MjAyNS0xMC0yOFQwNjowMDowMC4wMDBafGEwYzJiMWUyLWZkM2UtNDU2Ny04OTBhLWJjZGVmMTIzNDU2Nw"
   */
  nextCursor?: string;
  /**
   * Sessions matching the filters, when the page was asked for by offset.
   * @example 1
   */
  totalCount?: number;
}

export class UpdateSessionDto {
  /**
   * Trimmed, control characters removed, then 1 to 60 Unicode code points.
   * @example "Refactor the billing module"
   */
  @ValidateIf((dto: UpdateSessionDto) => dto.title !== undefined)
  @Transform(({ value }) => sanitizeTitle(value))
  @IsString()
  @CodePointLength(1, TITLE_MAX_CODE_POINTS)
  title?: string;

  /** Tokens the session may use, every bucket counted; null removes the budget. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  tokenBudget?: number | null;
}

/** One agent of a session: Claude Code's main agent (agentId null when it sent none) or a subagent. */
export class SessionAgentDto {
  /**
   * The agent's id (x-claude-code-agent-id); null for calls that named no agent.
   * @example "agent_7f3c"
   */
  agentId: string | null;
  /**
   * The agent that started it (x-claude-code-parent-agent-id); null for a top-level agent.
   * @example null
   */
  parentAgentId: string | null;
  /** @example 12 */
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  /** Cost of its priced calls in USD. @example 0.0421 */
  costUsd: number;
  /** The same cost exactly, in nano-USD. @example 42100000 */
  costNanoUsd: number;
  /** Calls to models missing from the pricing table; their cost is not in costUsd. */
  unpricedRequests: number;
  firstCallAt: string;
  lastCallAt: string;
}

/** A session with its agents, oldest first: the tree is read through parentAgentId. */
export class SessionDetailResponseDto extends SessionResponseDto {
  agents: SessionAgentDto[];
}
