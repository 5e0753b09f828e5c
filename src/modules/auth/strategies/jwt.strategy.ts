import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import type { Principal } from '../../../common/auth/principal';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config';
import { UsersService } from '../../users/users.service';
import { extractJwt } from './credentials';

export interface JwtPayload {
  sub: string;
}

/** HS256 only, with expiry, not-before, issuer and audience checked; a deleted user's token fails. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UsersService,
  ) {
    super({
      jwtFromRequest: (request: unknown) => extractJwt(request as FastifyRequest),
      secretOrKey: config.jwt.secret,
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
    });
  }

  async validate(payload: JwtPayload): Promise<Principal | null> {
    if (typeof payload?.sub !== 'string') return null;
    const user = await this.users.findActiveById(payload.sub);
    if (!user) return null;
    return { kind: 'user', userId: user.id, defaultOrganizationId: user.defaultOrganization?.id ?? null };
  }
}
