import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthErrors } from './auth.errors';

/** The console's session cookie: the same JWT as `Authorization: Bearer`, out of scripts' reach (httpOnly). */
const SESSION_COOKIE = 'lamplight_session';
/**
 * The header a browser request made with the cookie must carry to change anything. A page on
 * another origin cannot add a custom header without a CORS preflight, which Lamplight never grants.
 */
export const CSRF_HEADER = 'x-lamplight-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The session cookie's value, when the request carries one that looks like a JWT. */
export function readSessionCookie(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return TOKEN_SHAPE.test(value) ? value : null;
  }
  return null;
}

/**
 * The custom header is there and the Origin, when the browser sent one, is this server's own.
 * Throws a 403 problem otherwise.
 */
export function assertSameSiteIntent(request: FastifyRequest): void {
  if (typeof request.headers[CSRF_HEADER] !== 'string') throw AuthErrors.csrfCheckFailed(CSRF_HEADER);
  const origin = request.headers.origin;
  if (origin === undefined) return;
  if (origin !== `${request.protocol}://${request.host}`) throw AuthErrors.csrfCheckFailed(CSRF_HEADER);
}

/** The JWT from the cookie, for a request with no bearer token; changes need the CSRF check. */
export function sessionCookieJwt(request: FastifyRequest): string | null {
  const token = readSessionCookie(request);
  if (token === null) return null;
  if (!SAFE_METHODS.has(request.method)) assertSameSiteIntent(request);
  return token;
}

/** Sets (or, with `null`, clears) the cookie: httpOnly, SameSite=Strict, Secure when served over TLS. */
export function writeSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  token: string | null,
  maxAgeSeconds: number,
): void {
  const attributes = [
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${token === null ? 0 : Math.max(0, Math.floor(maxAgeSeconds))}`,
  ];
  if (request.protocol === 'https') attributes.push('Secure');
  void reply.header('set-cookie', `${SESSION_COOKIE}=${token ?? ''}; ${attributes.join('; ')}`);
}
