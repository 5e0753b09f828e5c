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

/**
 * The credentials a request presents, read from its headers once, by the access guard, and kept
 * on the request: the platform key or JWT that authenticates it, and (on the proxy) the
 * Anthropic key the client sent to be used as given.
 */
export interface PresentedCredentials {
  /** A platform API key (`lmp_…`). */
  platformKey: string | undefined;
  /** A bearer token that is neither a platform key nor an Anthropic key. */
  jwt: string | null;
  /** An Anthropic API key (`sk-ant-…`, not a subscription token) in any credential header. */
  anthropicKey: string | undefined;
  /** A Claude subscription OAuth token (`sk-ant-oat…`) appeared in a credential header. */
  subscriptionToken: boolean;
}

/** What a call made from inside Lamplight (tasks) presents: nothing, so stored keys are used. */
export const NO_CREDENTIALS: PresentedCredentials = Object.freeze({
  platformKey: undefined,
  jwt: null,
  anthropicKey: undefined,
  subscriptionToken: false,
});

declare module 'fastify' {
  interface FastifyRequest {
    user?: Principal;
    organization?: OrganizationContext;
    /** Set by the access guard on every authenticated request. */
    credentials?: PresentedCredentials;
  }
}
