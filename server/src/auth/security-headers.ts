/**
 * Security headers on every response (@fastify/helmet), with a strict Content-Security-Policy:
 * scripts, styles and connections from this origin only, no inline script or style (the client is
 * built without any: Lit uses constructable stylesheets), media from this origin or blob:, no
 * framing. Strict-Transport-Security on every response to a request that came over HTTPS (TLS
 * here, or X-Forwarded-Proto: https from a proxy trusted under TRUST_PROXY), never over plain
 * HTTP, where browsers ignore it anyway.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config';

/** The HSTS header: browsers that once reached the server over HTTPS keep to HTTPS for a year. */
export const HSTS = 'max-age=31536000';

/** Largest request body accepted (JSON API). */
export const MAX_BODY_BYTES = 64 * 1024;

/** The Content-Security-Policy directives. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  // 'self' covers the same-origin WebSocket of the signalling connection.
  connectSrc: ["'self'"],
  mediaSrc: ["'self'", 'blob:'],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

async function securityHeadersPlugin(app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const https = opts.config.publicOrigins.some((o) => o.startsWith('https:'));
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...CSP_DIRECTIVES, ...(https ? { upgradeInsecureRequests: [] } : {}) },
    },
    // Cross-origin isolation is not needed and would block nothing we serve; keep helmet's others.
    crossOriginEmbedderPolicy: false,
    // Set per request below: the same server may be reached over HTTPS and plain HTTP (health checks).
    hsts: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https') void reply.header('strict-transport-security', HSTS);
  });
}

/** Registers the security headers for every route. */
export const securityHeaders = fp(securityHeadersPlugin, { name: 'security-headers' });
