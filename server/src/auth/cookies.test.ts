import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { cookieOptions, isHttps } from './cookies';

const request = (protocol: 'http' | 'https', headers: Record<string, string> = {}) =>
  ({ protocol, headers }) as unknown as FastifyRequest;
const local = { trustProxy: false, publicOrigins: ['http://127.0.0.1:8080'] };

describe('cookie attributes', () => {
  it('are HttpOnly, SameSite=Lax, Path=/ and not Secure over plain HTTP', () => {
    expect(cookieOptions(request('http'), local, 60_000)).toEqual({
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: false,
      maxAge: 60,
    });
  });

  it('are Secure when the public origin is https, or the connection is TLS', () => {
    expect(isHttps(request('http'), { trustProxy: false, publicOrigins: ['https://seduta.ente.it'] })).toBe(
      true,
    );
    expect(isHttps(request('https'), local)).toBe(true);
  });

  it('believe X-Forwarded-Proto only with TRUST_PROXY', () => {
    const proxied = request('http', { 'x-forwarded-proto': 'https, http' });
    expect(isHttps(proxied, local)).toBe(false);
    expect(isHttps(proxied, { ...local, trustProxy: true })).toBe(true);
    expect(isHttps(request('http', { 'x-forwarded-proto': 'http' }), { ...local, trustProxy: true })).toBe(
      false,
    );
  });

  it('clear a cookie with Max-Age 0', () => {
    expect(cookieOptions(request('http'), local)).toMatchObject({ maxAge: 0, expires: new Date(0) });
  });
});
