import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsEnum,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { FailureMode, SpendScopeType, SpendUnit } from '../spend-limits.repository';
import { SpendPeriod } from '../spend-periods';

/** The most a USD limit or allowance may be (keeps micro-USD exact). */
export const MAX_USD = 1_000_000_000;

export class CreateSpendLimitDto {
  @IsEnum(SpendScopeType)
  scopeType: SpendScopeType;

  /** The member's user id, API key id or session id; omitted for the organization. */
  @ValidateIf((o: CreateSpendLimitDto) => o.scopeType !== SpendScopeType.Organization || o.scopeId !== undefined)
  @IsUUID()
  scopeId?: string;

  @IsEnum(SpendPeriod)
  period: SpendPeriod;

  /** usd (default) or tokens (session scopes only). */
  @IsOptional()
  @IsEnum(SpendUnit)
  unit?: SpendUnit;

  /**
   * USD (up to 6 decimals) or tokens (an integer).
   * @example 500
   */
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 6 })
  @Min(0)
  @Max(MAX_USD)
  amount: number;

  /** Percentages that raise an alert; the organization's when omitted. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(100, { each: true })
  alertThresholds?: number[];
}

export class UpdateSpendLimitDto {
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 6 })
  @Min(0)
  @Max(MAX_USD)
  amount?: number;

  /** null: back to the organization's thresholds. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(100, { each: true })
  alertThresholds?: number[] | null;
}

/** Where a limit stands in its current period. */
export class SpendUsageDto {
  periodStart: string;
  /** null for a session's lifetime. */
  periodEnd: string | null;
  /** In the limit's unit: USD or tokens. */
  spent: number;
  /** Held by calls in flight and by instances' leases: headroom no other call can use now. */
  reserved: number;
  remaining: number;
  /** (spent + reserved) / amount, 0–1 (1 when the amount is 0). */
  utilization: number;
}

export class SpendLimitDto {
  id: string;
  scopeType: SpendScopeType;
  /** null for the organization scope. */
  scopeId: string | null;
  period: SpendPeriod;
  unit: SpendUnit;
  /** USD or tokens. */
  amount: number;
  alertThresholds: number[] | null;
  createdAt: string;
  updatedAt: string;
  usage: SpendUsageDto;
}

export class SpendLimitListDto {
  object: 'list';
  data: SpendLimitDto[];
}

export class SpendSettingsDto {
  /** IANA time zone in which days, weeks and months start. @example "Europe/Paris" */
  timeZone: string;
  /** closed: refuse calls while the counters cannot be reached; open: let through up to failOpenAmountUsd per instance. */
  failureMode: FailureMode;
  failOpenAmountUsd: number;
  /** Percentages of a limit that raise an alert, unless the limit sets its own. */
  alertThresholds: number[];
  webhookUrl: string | null;
  /** Whether a signing secret exists (it is shown only when made). */
  webhookSecretSet: boolean;
}

export class UpdateSpendSettingsDto {
  /** @example "Europe/Paris" */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  timeZone?: string;

  @IsOptional()
  @IsIn(Object.values(FailureMode))
  failureMode?: FailureMode;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 6 })
  @Min(0)
  @Max(MAX_USD)
  failOpenAmountUsd?: number;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(100, { each: true })
  alertThresholds?: number[];

  /** An http(s) URL alerts are posted to; null removes it. */
  @IsOptional()
  @ValidateIf((_o, value) => value !== null)
  @IsString()
  @Length(1, 2048)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  webhookUrl?: string | null;
}

export class WebhookSecretDto {
  /** The signing secret; shown only in this response. Keep it to verify x-lamplight-signature. */
  secret: string;
}

export class WebhookDeliveryDto {
  id: string;
  event: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export class WebhookDeliveryListDto {
  object: 'list';
  data: WebhookDeliveryDto[];
}

export class SpendReportQueryDto {
  /** daily, weekly or monthly (default monthly): the current one, in the organization's time zone. */
  @IsOptional()
  @IsIn([SpendPeriod.Daily, SpendPeriod.Weekly, SpendPeriod.Monthly])
  period?: SpendPeriod;

  /** How many periods back: 0 (default) is the current one. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(24)
  offset?: number;
}

/** One API key's or member's spend in the period, beside the limit on it (if any). */
export class SpendByScopeDto {
  /** The API key's or member's id; null for calls made by signed-in users (no key). */
  id: string | null;
  spentUsd: number;
  calls: number;
  /** Calls whose model has no price (counted as $0 here). */
  unpricedCalls: number;
  /** The limit on this key or member for this period, if one is set. */
  limit: SpendLimitDto | null;
}

export class SpendReportDto {
  period: SpendPeriod;
  timeZone: string;
  periodStart: string;
  periodEnd: string;
  apiKeys: SpendByScopeDto[];
  members: SpendByScopeDto[];
}
