import type { IncomingHttpHeaders } from 'node:http';

/**
 * Headers that never go to Anthropic: credentials (the provider key is set by Lamplight),
 * hop-by-hop headers, what the connection to Lamplight says about itself, and Lamplight's own.
 * Everything else — every `anthropic-*` header, known or not, the SDKs' `x-stainless-*`, Claude
 * Code's `x-claude-code-*`, `user-agent`, `accept` — goes as sent, as Claude Code's gateway
 * protocol asks: an open list, so a header Anthropic adds tomorrow works through Lamplight today.
 */
const NOT_FORWARDED = new Set([
  // credentials
  'x-api-key',
  'authorization',
  'cookie',
  'proxy-authorization',
  // hop-by-hop (RFC 9110 section 7.6.1) and what undici sets itself
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  // Lamplight asks for identity so that it can read usage from the bytes it passes on
  'accept-encoding',
  // the client's connection to Lamplight
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
  // headers some proxies take as a routing or method override: Anthropic is the configured upstream, only
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  // Lamplight's own
  'x-request-id',
  'x-organization-id',
  'x-shinzo-api-key',
]);

const LAMPLIGHT_PREFIX = 'x-lamplight-';
/** A header naming a base URL (`x-anthropic-base-url` and the like) is never passed on. */
const BASE_URL_SUFFIX = '-base-url';

/** What goes to Anthropic: the client's headers less the ones above, plus the provider key. */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  providerKey: string,
  options: { keepContentLength?: boolean } = {},
): Record<string, string> {
  // A `connection` header may name further hop-by-hop headers of this request.
  const named = String(incoming.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (
      value === undefined ||
      NOT_FORWARDED.has(name) ||
      name.startsWith(LAMPLIGHT_PREFIX) ||
      name.endsWith(BASE_URL_SUFFIX) ||
      named.includes(name)
    )
      continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (options.keepContentLength && typeof incoming['content-length'] === 'string')
    headers['content-length'] = incoming['content-length'];
  headers['x-api-key'] = providerKey;
  headers['accept-encoding'] = 'identity';
  return headers;
}
