import { IsBoolean, IsOptional, IsString, Length, Matches } from 'class-validator';
import { Provider } from '../provider-key.entity';

/** Anthropic Console keys; subscription OAuth tokens (`sk-ant-oat…`) are refused. */
const ANTHROPIC_KEY = /^sk-ant-api[0-9]{2}-[A-Za-z0-9_-]{20,}$/;
const ANTHROPIC_KEY_MESSAGE =
  'key must be an Anthropic API key: "sk-ant-api", two digits, "-", then at least 20 letters, digits, "-" or "_" (subscription OAuth tokens, sk-ant-oat…, are not accepted)';

export class CreateProviderKeyDto {
  /** @example "Production Anthropic key" */
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  /**
   * The Anthropic API key. Stored encrypted; never shown again.
   * @example "sk-ant-api03-xxxxxxxxxxxxxxxxxxxxxxxxxxxx"
   */
  @IsString()
  @Length(20, 400)
  @Matches(ANTHROPIC_KEY, { message: ANTHROPIC_KEY_MESSAGE })
  key: string;

  /** Use this key for the organization's proxied calls. The first key is the default regardless. */
  @IsOptional()
  @IsBoolean()
  isDefault?: boolean;
}

export class UpdateProviderKeyDto {
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  /** Set true to make this the organization's default key. */
  @IsOptional()
  @IsBoolean()
  isDefault?: boolean;
}

export class TestProviderKeyDto {
  /** The key to check; it is not stored. */
  @IsString()
  @Length(20, 400)
  @Matches(ANTHROPIC_KEY, { message: ANTHROPIC_KEY_MESSAGE })
  key: string;
}

export class ProviderKeyResponseDto {
  id: string;
  provider: Provider;
  /** @example "Production Anthropic key" */
  name: string;
  /**
   * The key's last four characters; the key itself is never returned.
   * @example "x9Qa"
   */
  last4: string;
  isDefault: boolean;
  createdAt: string;
}

export class ProviderKeyListResponseDto {
  object: 'list';
  data: ProviderKeyResponseDto[];
}

export class ProviderKeyTestResponseDto {
  valid: boolean;
  /** Anthropic's HTTP status, or null when it could not be reached. */
  upstreamStatus: number | null;
  /** @example "The key works" */
  message: string;
}
