import type { FastifyRequest } from 'fastify';
import type { PresentedCredentials } from '../../../common/auth/principal';
import { routeBehaviourOf } from '../../../common/http/route-behaviour';
import { sessionCookieJwt } from '../session-cookie';

const PLATFORM_KEY_PREFIX = 'lmp_';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value.trim() : undefined;
}

function bearer(request: FastifyRequest): string | undefined {
  const value = header(request, 'authorization');
  const match = value?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

/**
 * The platform API key a request presents: `x-lamplight-api-key`, its alias
 * `x-shinzo-api-key`, `Authorization: Bearer lmp_…`, or on the routes that declare it (the proxy's and the
 * spend limits' Admin-API-shaped routes) `x-api-key: lmp_…` (how Anthropic SDKs send their apiKey). Told apart from
 * Anthropic keys by the prefix.
 */
function extractPlatformKey(request: FastifyRequest): string | undefined {
  const explicit = header(request, 'x-lamplight-api-key') ?? header(request, 'x-shinzo-api-key');
  if (explicit) return explicit;
  const token = bearer(request);
  if (token?.startsWith(PLATFORM_KEY_PREFIX)) return token;
  if (routeBehaviourOf(request).platformKeyInXApiKey) {
    const apiKey = header(request, 'x-api-key');
    if (apiKey?.startsWith(PLATFORM_KEY_PREFIX)) return apiKey;
  }
  return undefined;
}

/** A bearer token that is neither a platform key nor an Anthropic key: a JWT candidate. */
function extractJwt(request: FastifyRequest): string | null {
  const token = bearer(request);
  if (!token && extractPlatformKey(request) === undefined) return sessionCookieJwt(request);
  if (!token || token.startsWith(PLATFORM_KEY_PREFIX) || token.startsWith('sk-ant-')) return null;
  return token;
}

/** Headers that may carry an Anthropic key or a subscription token. */
const ANTHROPIC_CREDENTIAL_HEADERS = ['x-api-key', 'authorization', 'x-lamplight-api-key', 'x-shinzo-api-key'];

/**
 * An Anthropic key the client sent (`x-api-key` or `Authorization: Bearer`, how the Anthropic SDK
 * sends its apiKey), told apart from platform keys by prefix; and whether a subscription OAuth
 * token appears in any of these headers.
 */
function anthropicCredentials(
  request: FastifyRequest,
): Pick<PresentedCredentials, 'anthropicKey' | 'subscriptionToken'> {
  const candidates = ANTHROPIC_CREDENTIAL_HEADERS.map((name) => {
    const value = request.headers[name];
    return (Array.isArray(value) ? value[0] : value)?.trim().replace(/^Bearer\s+/i, '');
  }).filter((value): value is string => Boolean(value));
  return {
    anthropicKey: candidates.find((value) => value.startsWith('sk-ant-') && !value.startsWith('sk-ant-oat')),
    subscriptionToken: candidates.some((value) => value.startsWith('sk-ant-oat')),
  };
}

/**
 * Every credential the request presents, read from its headers the first time it is asked for
 * (by the access guard) and kept on the request for the strategies and the proxy.
 */
export function presentedCredentials(request: FastifyRequest): PresentedCredentials {
  request.credentials ??= {
    platformKey: extractPlatformKey(request),
    jwt: extractJwt(request),
    ...anthropicCredentials(request),
  };
  return request.credentials;
}
