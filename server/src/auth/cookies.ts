/**
 * Attributes of the cookies the server sets: HttpOnly, SameSite=Lax, Path=/, and Secure when the
 * browser reaches the server over HTTPS (a public origin with https, a TLS connection, or, with
 * TRUST_PROXY, a reverse proxy saying X-Forwarded-Proto: https).
 */
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';

/** What decides the Secure attribute. */
export interface CookiePolicy {
  trustProxy: boolean;
  publicOrigins: readonly string[];
}

/** Whether the browser talks to us over HTTPS. */
export function isHttps(req: FastifyRequest, policy: CookiePolicy): boolean {
  if (policy.publicOrigins.some((o) => o.startsWith('https:'))) return true;
  if (req.protocol === 'https') return true;
  if (!policy.trustProxy) return false;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/** Options for a cookie that lives `maxAgeMs` (undefined = clear it). */
export function cookieOptions(
  req: FastifyRequest,
  policy: CookiePolicy,
  maxAgeMs?: number,
): CookieSerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: isHttps(req, policy),
    ...(maxAgeMs === undefined
      ? { maxAge: 0, expires: new Date(0) }
      : { maxAge: Math.floor(maxAgeMs / 1000) }),
  };
}
