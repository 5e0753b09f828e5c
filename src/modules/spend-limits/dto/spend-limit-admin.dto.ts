import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsEnum,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { SpendScopeType, SpendUnit } from '../spend-limits.repository';
import { SpendPeriod } from '../spend-periods';

/** What a limit applies to: a tagged union on `type`, carrying the id of its scope. */
export class SpendLimitScopeDto {
  /** organization, user (a member), api_key, or session. */
  @IsEnum(SpendScopeType)
  type: SpendScopeType;

  /** The member's user id (type user). */
  @ValidateIf((o: SpendLimitScopeDto) => o.type === SpendScopeType.User || o.user_id !== undefined)
  @IsUUID()
  user_id?: string;

  /** The API key's id (type api_key). */
  @ValidateIf((o: SpendLimitScopeDto) => o.type === SpendScopeType.ApiKey || o.api_key_id !== undefined)
  @IsUUID()
  api_key_id?: string;

  /** The session's id (type session). */
  @ValidateIf((o: SpendLimitScopeDto) => o.type === SpendScopeType.Session || o.session_id !== undefined)
  @IsUUID()
  session_id?: string;
}

/** POST /v1/organizations/spend_limits: creates the limit, or replaces the one with the same scope and period. */
export class SetSpendLimitDto {
  @IsObject()
  @ValidateNested()
  @Type(() => SpendLimitScopeDto)
  scope: SpendLimitScopeDto;

  /**
   * A non-negative integer as a decimal string: cents for USD ("50000" is $500.00), or tokens
   * for a token limit.
   * @example "50000"
   */
  @IsString()
  @Matches(/^(0|[1-9][0-9]{0,10})$/, { message: 'amount must be a non-negative integer string of at most 11 digits' })
  amount: string;

  /** daily, weekly or monthly in the organization's time zone; session (the session's lifetime) for session scopes. */
  @IsEnum(SpendPeriod)
  period: SpendPeriod;

  /** usd (the default) or tokens (session scopes only). */
  @IsOptional()
  @IsEnum(SpendUnit)
  unit?: SpendUnit;

  /** Percentages of the amount that raise an alert; the organization's (default 50, 80, 100) when omitted. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(100, { each: true })
  alert_thresholds?: number[];
}

export class ListSpendLimitsQueryDto {
  /** Limits per page, 1–1000 (default 20). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  /** The opaque cursor of a previous page's `next_page`. */
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{1,9}$/, { message: 'page must be a cursor from next_page' })
  page?: string;
}

export class SpendLimitScopeResponseDto {
  type: SpendScopeType;
  user_id?: string;
  api_key_id?: string;
  session_id?: string;
}

/** A spend limit, in the wire shape of Anthropic's Admin API (with Lamplight's scopes and unit). */
export class SpendLimitWireDto {
  /** Always spend_limit. */
  type: 'spend_limit';
  /** @example "spl_2f1c3a9e-8a4e-4f53-9a57-0d2f6f0b9c11" */
  id: string;
  /** Cents for USD, tokens for a token limit, as an integer string. */
  amount: string;
  /** @example "USD" */
  currency: string;
  unit: SpendUnit;
  is_enabled: boolean;
  period: SpendPeriod;
  scope: SpendLimitScopeResponseDto;
  alert_thresholds: number[] | null;
  created_at: string;
  updated_at: string;
}

export class SpendLimitWireListDto {
  data: SpendLimitWireDto[];
  has_more: boolean;
  /** Pass as `page` for the next page; null on the last. */
  next_page: string | null;
}

export class DeletedSpendLimitDto {
  /** Always spend_limit_deleted. */
  type: 'spend_limit_deleted';
  id: string;
}
