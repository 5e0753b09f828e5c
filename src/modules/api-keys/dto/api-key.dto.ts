import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsEnum,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
} from 'class-validator';
import { ApiKeyScope, ApiKeySuspension } from '../api-key.entity';

export class CreateApiKeyDto {
  /**
   * A name to recognise the key by.
   * @example "CI pipeline"
   */
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  /**
   * What the key may do; all scopes when omitted.
   * @example ["proxy", "read"]
   */
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(3)
  @IsEnum(ApiKeyScope, { each: true })
  scopes?: ApiKeyScope[];

  /**
   * When the key stops working (RFC 3339); never when omitted.
   * @example "2027-01-01T00:00:00Z"
   */
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ApiKeyResponseDto {
  /** @example "2f1c3a9e-8a4e-4f53-9a57-0d2f6f0b9c11" */
  id: string;
  /** @example "CI pipeline" */
  name: string;
  /**
   * The key's first characters, to tell keys apart.
   * @example "lmp_Ab12Cd34"
   */
  prefix: string;
  scopes: ApiKeyScope[];
  /** The user who created the key. */
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  /** active; suspended (see suspendedReason: the key does not authenticate); or expired. */
  status: 'active' | 'suspended' | 'expired';
  /** When the key was suspended; null unless suspended. */
  suspendedAt: string | null;
  /**
   * Why: its creator left the organization (creator_removed) or fell below admin
   * (creator_role_lowered; lifted when they are admin again). Null unless suspended.
   */
  suspendedReason: ApiKeySuspension | null;
}

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  /**
   * The whole key. Shown only in this response; store it now.
   * @example "lmp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56"
   */
  key: string;
}

export class ApiKeyListResponseDto {
  object: 'list';
  data: ApiKeyResponseDto[];
}
