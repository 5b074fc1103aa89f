import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { cookieOptions, isHttps } from './cookies';

/** A request as Fastify presents it: `protocol` already weighs TLS and the trusted proxy. */
const request = (protocol: 'http' | 'https') => ({ protocol, headers: {} }) as unknown as FastifyRequest;
const local = { publicOrigins: ['http://127.0.0.1:8080'] };

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

  it('are Secure when the request is HTTPS (TLS, or a trusted proxy says so)', () => {
    expect(cookieOptions(request('https'), local, 60_000).secure).toBe(true);
    expect(isHttps(request('https'), local)).toBe(true);
  });

  it('are Secure when the public origin is https, whatever the hop to the server', () => {
    expect(isHttps(request('http'), { publicOrigins: ['https://seduta.ente.it'] })).toBe(true);
  });

  it('clear a cookie with Max-Age 0', () => {
    expect(cookieOptions(request('http'), local)).toMatchObject({ maxAge: 0, expires: new Date(0) });
  });
});
