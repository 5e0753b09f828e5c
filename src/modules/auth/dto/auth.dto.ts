import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { OrganizationResponseDto } from '../../organizations/dto/organization.dto';

export class RegisterDto {
  /** @example "ada@example.com" */
  @IsEmail()
  @MaxLength(320)
  email: string;

  /** @example "Ada Lovelace" */
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  /**
   * At least 12 characters.
   * @example "correct horse battery staple"
   */
  @IsString()
  @Length(12, 256)
  password: string;
}

export class LoginDto {
  /** @example "ada@example.com" */
  @IsEmail()
  @MaxLength(320)
  email: string;

  /** @example "correct horse battery staple" */
  @IsString()
  @Length(1, 256)
  password: string;
}

export class UserResponseDto {
  id: string;
  /** @example "ada@example.com" */
  email: string;
  /** @example "Ada Lovelace" */
  name: string;
  /** The organization used when a request names none. */
  defaultOrganizationId: string | null;
  createdAt: string;
}

export class TokenResponseDto {
  /** A JWT for `Authorization: Bearer`. */
  accessToken: string;
  /** @example "Bearer" */
  tokenType: 'Bearer';
  /** Seconds until the token expires. @example 3600 */
  expiresIn: number;
  user: UserResponseDto;
}

export class MeResponseDto {
  user: UserResponseDto;
  organizations: OrganizationResponseDto[];
}
