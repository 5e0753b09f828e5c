import type { ApiKeyScope } from '../../modules/api-keys/api-key.entity';
import type { Role } from '../../modules/organizations/membership.entity';

/** Who is calling: a signed-in user (JWT) or a platform API key bound to one organization. */
export type Principal =
  | { kind: 'user'; userId: string; defaultOrganizationId: string | null }
  | { kind: 'apiKey'; userId: string; apiKeyId: string; organizationId: string; scopes: ApiKeyScope[] };

/** The organization a request acts on, decided by the scoping guard. */
export interface OrganizationContext {
  organizationId: string;
  /** The caller's role there; null for an API key, which is not a member. */
  role: Role | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: Principal;
    organization?: OrganizationContext;
  }
}
