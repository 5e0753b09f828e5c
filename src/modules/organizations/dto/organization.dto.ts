import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsEnum,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { Role } from '../membership.entity';
import { MODEL_PATTERN } from '../model-policy';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export class CreateOrganizationDto {
  /** @example "Acme Research" */
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  /**
   * Lower-case letters, digits and dashes; derived from the name when omitted.
   * @example "acme-research"
   */
  @IsOptional()
  @Matches(SLUG, { message: 'slug must be lower-case letters, digits and dashes (at most 64)' })
  slug?: string;
}

export class OrganizationSettingsDto {
  /** Whether sessions may be shared by public link. */
  sharingEnabled: boolean;
  /** Whether members may share the sessions they created; admins and owners always may (while sharing is enabled). */
  memberSharingEnabled: boolean;
  /** Whether request and response content is stored, or usage only. */
  storeContent: boolean;
  /** Token budget for new sessions; null for none. */
  defaultSessionTokenBudget: number | null;
  /**
   * Model id patterns (`*` for any run of characters) the proxy lets through: `GET /v1/models`
   * lists only these, and a call naming another model is refused (403 permission_error) before
   * anything goes to Anthropic. null: every model.
   * @example ["claude-sonnet-*", "claude-haiku-4-5*"]
   */
  allowedModels: string[] | null;
}

export class UpdateOrganizationSettingsDto {
  @IsOptional()
  @IsBoolean()
  sharingEnabled?: boolean;

  /** Whether members may share the sessions they created; admins and owners always may. */
  @IsOptional()
  @IsBoolean()
  memberSharingEnabled?: boolean;

  @IsOptional()
  @IsBoolean()
  storeContent?: boolean;

  /** Token budget for new sessions; null for none. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000_000)
  defaultSessionTokenBudget?: number | null;

  /** Model id patterns (`*` for any run of characters); null lets every model through. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(MODEL_PATTERN, {
    each: true,
    message: 'each allowedModels entry must be a model id or pattern: letters, digits, . : @ _ / - and * (at most 255)',
  })
  allowedModels?: string[] | null;
}

export class UpdateOrganizationDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  @IsOptional()
  @Matches(SLUG, { message: 'slug must be lower-case letters, digits and dashes (at most 64)' })
  slug?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => UpdateOrganizationSettingsDto)
  settings?: UpdateOrganizationSettingsDto;
}

export class OrganizationResponseDto {
  id: string;
  /** @example "Acme Research" */
  name: string;
  /** @example "acme-research" */
  slug: string;
  settings: OrganizationSettingsDto;
  /** The caller's role in this organization. */
  role: Role;
  createdAt: string;
}

export class OrganizationListResponseDto {
  object: 'list';
  data: OrganizationResponseDto[];
}

export class AddMemberDto {
  /**
   * The email to invite; it need not belong to a Lamplight user yet.
   * @example "grace@example.com"
   */
  @IsEmail()
  @Length(3, 320)
  email: string;

  /** Defaults to member. Only an owner may invite an owner. */
  @IsOptional()
  @IsEnum(Role)
  role?: Role;
}

export class UpdateMemberDto {
  @IsIn(Object.values(Role))
  role: Role;
}

export class MemberResponseDto {
  userId: string;
  /** @example "grace@example.com" */
  email: string;
  /** @example "Grace Hopper" */
  name: string;
  role: Role;
  joinedAt: string;
}

export class MemberListResponseDto {
  object: 'list';
  data: MemberResponseDto[];
}
