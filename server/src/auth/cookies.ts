/**
 * Attributes of the cookies the server sets (staff session, participant passes): HttpOnly,
 * SameSite=Lax, Path=/, and Secure when the browser reaches the server over HTTPS: a public origin
 * with https, a TLS connection (TLS_CERT_FILE), or a reverse proxy believed under TRUST_PROXY
 * saying X-Forwarded-Proto: https (Fastify's request.protocol weighs the trust).
 */
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';

/** What decides the Secure attribute besides the request itself. */
export interface CookiePolicy {
  publicOrigins: readonly string[];
}

/** Whether the browser talks to us over HTTPS. */
export function isHttps(req: FastifyRequest, policy: CookiePolicy): boolean {
  return req.protocol === 'https' || policy.publicOrigins.some((o) => o.startsWith('https:'));
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
