import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import type { Principal } from '../../../common/auth/principal';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config';
import { UsersService } from '../../users/users.service';
import { presentedCredentials } from './credentials';

export interface JwtPayload {
  sub: string;
  exp: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** HS256 only, with expiry, not-before, issuer and audience checked; a deleted user's token fails. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UsersService,
  ) {
    super({
      jwtFromRequest: (request: unknown) => presentedCredentials(request as FastifyRequest).jwt,
      secretOrKey: config.jwt.secret,
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
    });
  }

  /**
   * The signature, algorithm, `iss`, `aud`, `nbf` and a present `exp` are checked before this by
   * passport-jwt; jsonwebtoken accepts a token without `exp` forever, so its absence is refused here.
   * A subject that is not a user id is refused before it reaches the database.
   */
  async validate(payload: Partial<JwtPayload> | undefined): Promise<Principal | null> {
    if (typeof payload?.exp !== 'number' || !Number.isFinite(payload.exp)) return null;
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) return null;
    const user = await this.users.findActiveById(payload.sub);
    if (!user) return null;
    return { kind: 'user', userId: user.id, defaultOrganizationId: user.defaultOrganization?.id ?? null };
  }
}
