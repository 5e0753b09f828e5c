import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { Principal } from '../../common/auth/principal';
import { OrganizationsService } from '../organizations/organizations.service';
import { normalizeEmail, type User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AuthErrors } from './auth.errors';
import type { LoginDto, MeResponseDto, RegisterDto, TokenResponseDto, UserResponseDto } from './dto/auth.dto';
import { LoginAttempts } from './login-attempts.service';
import { PasswordHasher } from './password-hasher.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly passwords: PasswordHasher,
    private readonly attempts: LoginAttempts,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Creates the user and their personal organization (owner, default) in one transaction. */
  async register(dto: RegisterDto): Promise<TokenResponseDto> {
    if (await this.users.findActiveByEmail(dto.email)) throw AuthErrors.emailTaken();
    const user = this.users.build(dto.email, dto.name, await this.passwords.hash(dto.password));
    user.defaultOrganization = this.organizations.buildPersonal(user);
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw AuthErrors.emailTaken();
      throw error;
    }
    return this.issueToken(user);
  }

  /**
   * The same answer, and about the same time, whether the email or the password is wrong. A
   * client address that keeps failing on one account is held back (429), with a growing wait;
   * the account itself is never locked for other addresses (see LoginAttempts).
   */
  async login(dto: LoginDto, address: string): Promise<TokenResponseDto> {
    const email = normalizeEmail(dto.email);
    const wait = this.attempts.retryAfterSeconds(address, email);
    if (wait > 0) throw AuthErrors.tooManyAttempts(wait);
    const user = await this.users.findActiveByEmail(dto.email, { withPasswordHash: true });
    if (!user) {
      await this.passwords.dummyVerify(dto.password);
      this.attempts.failed(address, email);
      throw AuthErrors.invalidLogin();
    }
    if (!(await this.passwords.verify(dto.password, user.passwordHash))) {
      this.attempts.failed(address, email);
      throw AuthErrors.invalidLogin();
    }
    this.attempts.succeeded(address, email);
    return this.issueToken(user);
  }

  /**
   * The user and their organizations. An API key sees only the organization it is bound to: it
   * may not list organizations (GET /organizations refuses it), so `me` must not either.
   */
  async me(principal: Principal): Promise<MeResponseDto> {
    const user = await this.users.findActiveById(principal.userId);
    if (!user) throw AuthErrors.unauthenticated();
    const organizations = await this.organizations.listMine(user.id);
    return {
      user: toUserResponse(user),
      organizations:
        principal.kind === 'apiKey' ? organizations.filter((o) => o.id === principal.organizationId) : organizations,
    };
  }

  private async issueToken(user: User): Promise<TokenResponseDto> {
    const accessToken = await this.jwt.signAsync({ sub: user.id });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.jwt.ttlSeconds, user: toUserResponse(user) };
  }
}

function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    defaultOrganizationId: user.defaultOrganization?.id ?? null,
    createdAt: user.createdAt.toISOString(),
  };
}
