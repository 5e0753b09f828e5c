import { IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';

export class UpdateRetentionDto {
  /**
   * Days the conversation content of a call (messages, the user's query, the final output) is
   * kept; usage, cost and rollups stay. null: kept for ever. Left out: unchanged.
   * @example 30
   */
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(36500)
  contentDays?: number | null;

  /**
   * Days a call's record is kept; the hourly and daily rollups and session totals stay. null:
   * kept for ever. Left out: unchanged.
   * @example 365
   */
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(36500)
  interactionsDays?: number | null;
}

export class RetentionRemovalDto {
  /** `content`: conversation content cleared; `interactions`: call records deleted. */
  kind: 'content' | 'interactions';
  /** How many rows. */
  rows: number;
  /** What was removed had started before this time. */
  olderThan: string;
  /** When. */
  removedAt: string;
}

export class RetentionResponseDto {
  /** Days content is kept; null for ever. */
  contentDays: number | null;
  /** Days call records are kept; null for ever. */
  interactionsDays: number | null;
  /** When the settings last changed; null if never set. */
  updatedAt: string | null;
  /** Days a deleted organization's data is kept before it is removed for good. */
  deletionGraceDays: number;
  /** The latest removals (at most 50), newest first. */
  removals: RetentionRemovalDto[];
}
