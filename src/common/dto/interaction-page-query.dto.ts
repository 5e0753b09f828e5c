import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** One page of a session's interactions, oldest first: the paging every interaction list takes. */
export class InteractionPageQueryDto {
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
