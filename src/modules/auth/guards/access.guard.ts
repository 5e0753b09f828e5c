import { EntityManager } from '@mikro-orm/postgresql';
import { type CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import passport from 'passport';
import { ACCESS, type AccessRequirement, IS_PUBLIC, ORGANIZATION_HEADER } from '../../../common/auth/decorators';
import type { Principal } from '../../../common/auth/principal';
import { TENANT_FILTER, type TenantFilterArgs } from '../../../database/base.entity';
import { ApiKeyScope } from '../../api-keys/api-key.entity';
import { Role, roleAtLeast } from '../../organizations/membership.entity';
import { OrganizationsService } from '../../organizations/organizations.service';
import { AuthErrors } from '../auth.errors';
import { ApiKeyStrategy } from '../strategies/api-key.strategy';
import { JwtStrategy } from '../strategies/jwt.strategy';
import { presentedCredentials } from '../strategies/credentials';

const DEFAULT_REQUIREMENT: AccessRequirement = { organizationScoped: false };
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The global guard: every route needs credentials unless marked @Public(). After
 * authentication (JWT or platform API key) it applies the route's @Authenticated requirement:
 * API keys kept off user management and held to their scopes, the organization chosen and the
 * caller's role there checked, and the tenant filter armed for the rest of the request.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly organizations: OrganizationsService,
    private readonly em: EntityManager,
    private readonly jwtStrategy: JwtStrategy,
    private readonly apiKeyStrategy: ApiKeyStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = this.handleRequest(
      null,
      await this.authenticate(request, context.switchToHttp().getResponse<FastifyReply>()),
    );
    request.user = principal;
    const requirement = this.reflector.getAllAndOverride<AccessRequirement>(ACCESS, targets) ?? DEFAULT_REQUIREMENT;

    if (principal.kind === 'apiKey') {
      if (requirement.usersOnly) throw AuthErrors.usersOnly();
      const scope =
        requirement.apiKeyScope ?? (READ_METHODS.has(request.method) ? ApiKeyScope.Read : ApiKeyScope.Write);
      if (!principal.scopes.includes(scope)) throw AuthErrors.missingScope(scope);
    }

    if (requirement.organizationScoped) {
      const header = request.headers[ORGANIZATION_HEADER];
      const organization = await this.organizations.resolveContext(
        principal,
        typeof header === 'string' ? header.trim() : undefined,
      );
      const minimum = requirement.minimumRole;
      if (minimum && minimum !== Role.Member) {
        if (!organization.role || !roleAtLeast(organization.role, minimum)) throw AuthErrors.roleRequired(minimum);
      }
      request.organization = organization;
      this.em.setFilterParams(TENANT_FILTER, {
        organizationId: organization.organizationId,
      } satisfies TenantFilterArgs);
    }
    return true;
  }

  /**
   * JWT, then platform API key, through this application's own strategy instances. Passport's
   * strategy registry is process-global (the last application built in a process would win),
   * so the instances are passed in directly (a fresh object per request, as passport expects).
   */
  private async authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Principal | false> {
    // The credential headers are read here, once; the strategies and the proxy use what this keeps on the request.
    const credentials = presentedCredentials(request);
    // A platform key and no JWT to try first (the proxy's hot path): straight to the key, as passport would end up.
    if (credentials.jwt === null && credentials.platformKey !== undefined) {
      return (await this.apiKeyStrategy.validate(request)) ?? false;
    }
    const strategies = [
      Object.create(this.jwtStrategy) as passport.Strategy,
      Object.create(this.apiKeyStrategy) as passport.Strategy,
    ];
    return new Promise((resolve, reject) => {
      const middleware = passport.authenticate(
        strategies as unknown as string[],
        { session: false },
        (error: unknown, principal: Principal | false) =>
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what a strategy failed with, unchanged, for the problem filter to classify
          error ? reject(error) : resolve(principal),
      ) as (req: unknown, res: unknown, next: (error?: unknown) => void) => void;
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what a strategy failed with, unchanged, for the problem filter to classify
      middleware(request, reply, (error?: unknown) => (error ? reject(error) : resolve(false)));
    });
  }

  handleRequest<T = Principal>(error: unknown, principal: T | false | null): T {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- passes on what a strategy failed with, unchanged, for the problem filter to classify
    if (error) throw error;
    if (!principal) throw AuthErrors.unauthenticated();
    return principal;
  }
}
