import type { FastifyRequest } from 'fastify';
import { assertSameSiteIntent, readSessionCookie, sessionCookieJwt } from './session-cookie';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

function request(headers: Record<string, string>, method = 'GET'): FastifyRequest {
  return { headers, method, protocol: 'http', host: '127.0.0.1:3000' } as unknown as FastifyRequest;
}

describe('the console session cookie', () => {
  it('is found among other cookies, and only when it looks like a JWT', () => {
    expect(readSessionCookie(request({ cookie: `a=1; lamplight_session=${JWT}; b=2` }))).toBe(JWT);
    expect(readSessionCookie(request({ cookie: 'lamplight_session=not a jwt' }))).toBeNull();
    expect(readSessionCookie(request({ cookie: 'lamplight_session_other=x.y.z' }))).toBeNull();
    expect(readSessionCookie(request({ cookie: `xlamplight_session=${JWT}` }))).toBeNull();
    expect(readSessionCookie(request({}))).toBeNull();
  });

  it('signs in reads freely, and changes only with the CSRF header from this origin', () => {
    expect(sessionCookieJwt(request({ cookie: `lamplight_session=${JWT}` }))).toBe(JWT);
    expect(() => sessionCookieJwt(request({ cookie: `lamplight_session=${JWT}` }, 'POST'))).toThrow(/x-lamplight-csrf/);
    expect(sessionCookieJwt(request({ cookie: `lamplight_session=${JWT}`, 'x-lamplight-csrf': '1' }, 'DELETE'))).toBe(
      JWT,
    );
    expect(() =>
      assertSameSiteIntent(request({ 'x-lamplight-csrf': '1', origin: 'http://evil.example' }, 'POST')),
    ).toThrow();
    expect(() =>
      assertSameSiteIntent(request({ 'x-lamplight-csrf': '1', origin: 'https://127.0.0.1:3000' }, 'POST')),
    ).toThrow();
    expect(() =>
      assertSameSiteIntent(request({ 'x-lamplight-csrf': '1', origin: 'http://127.0.0.1:3000' }, 'POST')),
    ).not.toThrow();
    // No cookie, nothing to check: other credentials decide.
    expect(sessionCookieJwt(request({}, 'POST'))).toBeNull();
  });
});
