import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyScope } from '../../modules/api-keys/api-key.entity';
import type { Role } from '../../modules/organizations/membership.entity';
import { ApiProblemResponse } from '../openapi/endpoint.decorator';
import type { OrganizationContext, Principal } from './principal';

export const IS_PUBLIC = 'lamplight:public';
export const ACCESS = 'lamplight:access';
export const ORGANIZATION_HEADER = 'x-organization-id';

export interface AccessRequirement {
  /** Resolve the organization the request acts on (header, API key's, default). */
  organizationScoped: boolean;
  /** The least role a user needs in that organization. */
  minimumRole?: Role;
  /** Whether platform API keys are refused (user and organization management). */
  usersOnly?: boolean;
  /** The scope an API key needs. */
  apiKeyScope?: ApiKeyScope;
  /** Routes that answer errors in another shape (the proxy) document their own 401 and 403. */
  ownErrorDocs?: boolean;
}

/** No authentication: login, register, public share views, health and docs only. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * One decorator for who may call a route. `organizationScoped` routes act on the organization
 * chosen by `X-Organization-Id`, else the API key's, else the user's default.
 */
export function Authenticated(requirement: AccessRequirement = { organizationScoped: false }) {
  const decorators = [SetMetadata(ACCESS, requirement), ApiBearerAuth('bearer')];
  if (!requirement.usersOnly) decorators.push(ApiSecurity('apiKey'));
  if (!requirement.ownErrorDocs) {
    decorators.push(
      ApiProblemResponse(401, 'Missing or invalid credentials'),
      ApiProblemResponse(403, 'Not allowed for this caller'),
    );
  }
  if (requirement.organizationScoped) {
    if (!requirement.ownErrorDocs) decorators.push(ApiProblemResponse(400, 'X-Organization-Id is not a UUID'));
    decorators.push(
      ApiHeader({
        name: 'X-Organization-Id',
        required: false,
        description:
          "Selects which of the caller's organizations the request acts on. When omitted, the API key's organization, or else the caller's default organization, is used.",
        schema: { type: 'string', format: 'uuid' },
      }),
    );
  }
  return applyDecorators(...decorators);
}

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<FastifyRequest>().user;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});

/** The organization the request acts on (organization-scoped routes only). */
export const CurrentOrganization = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): OrganizationContext => {
    const organization = ctx.switchToHttp().getRequest<FastifyRequest>().organization;
    if (!organization) throw new Error('CurrentOrganization used on a route that is not organization-scoped');
    return organization;
  },
);
