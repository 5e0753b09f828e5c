import type { FastifyRequest } from 'fastify';
import { ANTHROPIC_ROUTE_BEHAVIOUR, DEFAULT_ROUTE_BEHAVIOUR } from '../../../common/http/route-behaviour';
import { presentedCredentials } from './credentials';

/** A request as Fastify hands it over: on a proxy route (Anthropic's behaviour declared) unless `url` is an API path. */
const request = (headers: Record<string, string | string[]>, url = '/spotlight/anthropic/v1/messages') =>
  ({
    headers,
    url,
    routeOptions: {
      config: {
        routeBehaviour: url.startsWith('/spotlight/anthropic') ? ANTHROPIC_ROUTE_BEHAVIOUR : DEFAULT_ROUTE_BEHAVIOUR,
      },
    },
  }) as unknown as FastifyRequest;

describe('presentedCredentials', () => {
  it('reads the platform key, an Anthropic key and a subscription token from the headers that carry them', () => {
    expect(
      presentedCredentials(request({ 'x-lamplight-api-key': 'lmp_abc', 'x-api-key': 'sk-ant-api03-client' })),
    ).toEqual({
      platformKey: 'lmp_abc',
      jwt: null,
      anthropicKey: 'sk-ant-api03-client',
      subscriptionToken: false,
    });
    expect(
      presentedCredentials(request({ 'x-api-key': 'lmp_abc', authorization: 'bearer  sk-ant-api03-client ' })),
    ).toEqual({
      platformKey: 'lmp_abc',
      jwt: null,
      anthropicKey: 'sk-ant-api03-client',
      subscriptionToken: false,
    });
    expect(
      presentedCredentials(request({ 'x-api-key': 'lmp_abc', authorization: 'Bearer sk-ant-oat01-token' })),
    ).toMatchObject({
      anthropicKey: undefined,
      subscriptionToken: true,
    });
    expect(presentedCredentials(request({ authorization: 'Bearer a.jwt.token' }))).toEqual({
      platformKey: undefined,
      jwt: 'a.jwt.token',
      anthropicKey: undefined,
      subscriptionToken: false,
    });
  });

  it('takes x-api-key as a platform key only on the proxy routes', () => {
    expect(presentedCredentials(request({ 'x-api-key': 'lmp_abc' }, '/api/v1/sessions')).platformKey).toBeUndefined();
  });

  it('reads the headers once: what it read is kept on the request and handed out again', () => {
    const incoming = request({ 'x-api-key': 'lmp_abc' });
    const first = presentedCredentials(incoming);
    incoming.headers['x-api-key'] = 'sk-ant-api03-later';
    expect(presentedCredentials(incoming)).toBe(first);
    expect(incoming.credentials).toBe(first);
    expect(first.anthropicKey).toBeUndefined();
  });
});
