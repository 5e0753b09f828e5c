import { EntityManager } from '@mikro-orm/postgresql';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ACCESS, type AccessRequirement, IS_PUBLIC, ORGANIZATION_HEADER } from '../../../common/auth/decorators';
import type { Principal } from '../../../common/auth/principal';
import { TENANT_FILTER, type TenantFilterArgs } from '../../../database/base.entity';
import { ApiKeyScope } from '../../api-keys/api-key.entity';
import { Role, roleAtLeast } from '../../organizations/membership.entity';
import { OrganizationsService } from '../../organizations/organizations.service';
import { AuthErrors } from '../auth.errors';

const DEFAULT_REQUIREMENT: AccessRequirement = { organizationScoped: false };
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The global guard: every route needs credentials unless marked @Public(). After
 * authentication (JWT or platform API key) it applies the route's @Authenticated requirement:
 * API keys kept off user management and held to their scopes, the organization chosen and the
 * caller's role there checked, and the tenant filter armed for the rest of the request.
 */
@Injectable()
export class AccessGuard extends AuthGuard(['jwt', 'api-key']) {
  constructor(
    private readonly reflector: Reflector,
    private readonly organizations: OrganizationsService,
    private readonly em: EntityManager,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    await super.canActivate(context);

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.user as Principal;
    const requirement = this.reflector.getAllAndOverride<AccessRequirement>(ACCESS, targets) ?? DEFAULT_REQUIREMENT;

    if (principal.kind === 'apiKey') {
      if (requirement.usersOnly) throw AuthErrors.usersOnly();
      const scope = requirement.apiKeyScope ?? (READ_METHODS.has(request.method) ? ApiKeyScope.Read : ApiKeyScope.Write);
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
      this.em.setFilterParams(TENANT_FILTER, { organizationId: organization.organizationId } satisfies TenantFilterArgs);
    }
    return true;
  }

  override handleRequest<T = Principal>(error: unknown, principal: T | false | null): T {
    if (error) throw error;
    if (!principal) throw AuthErrors.unauthenticated();
    return principal;
  }
}
