/**
 * The access feature: the access service (as `app.access`), cookie parsing, the guard that checks
 * every `/api/` request against the HTTP permission table, the auth, staff and platform routes,
 * the first admin, and the outbox sender (stopped on close). Register it with the other
 * feature plugins; it needs the sittings feature (`app.sittings`) at request time only.
 */
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AppDeps } from '../app';
import { authRoutes } from '../http/auth-routes';
import { platformRoutes } from '../http/platform-routes';
import { staffRoutes } from '../http/staff-routes';
import { resolveApiKey } from '../sittings/plugin';
import { AccessService } from './access-service';
import { ensureFirstAdmin } from './first-admin';
import { accessGuard } from './http-guard';
import { ruleFor } from './http-permissions';
import { resolveSigningSecret, SECRET_FILE } from './secrets';

declare module 'fastify' {
  interface FastifyInstance {
    /** Access control: identities, sessions, tokens, invitations (see auth/access-service.ts). */
    access: AccessService;
  }
}

async function accessFeature(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { config, logger } = deps;
  const settings = config.access;
  const { key: apiKey } = resolveApiKey(config.apiKey, config.dataDir);
  // Resolved on first need: a server that never handles a token writes no generated secret.
  const signingSecret = (): string => {
    const { secret, generated } = resolveSigningSecret(settings.joinTokenSecret, config.dataDir);
    if (generated)
      logger.warn(`JOIN_TOKEN_SECRET not set: generated one in ${path.join(config.dataDir, SECRET_FILE)}`);
    return secret;
  };
  const publicOrigin = config.publicOrigins[0] ?? `http://localhost:${config.port}`;

  const access = new AccessService({
    db: deps.db.db,
    logger,
    access: settings,
    apiKey,
    signingSecret,
    publicOrigin,
    signIn: config.signIn,
    // Several nodes: limits counted in Redis, revocations carried to the other nodes.
    limitWindows: deps.cluster?.limitWindows,
    revocationRelay: deps.cluster?.revocationRelay,
  });
  // A database that is down must not keep the server from starting (health reports it instead).
  await ensureFirstAdmin(deps.db.db, settings.firstAdmin, logger).catch((err: unknown) =>
    logger.error({ err }, 'could not check for or create the first admin'),
  );
  app.decorate('access', access);
  app.decorateRequest('principal', null as never);
  app.decorateRequest('sittingAccess', undefined);
  await app.register(fastifyCookie);
  app.addHook('onRequest', accessGuard(access, config.publicOrigins));
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      const key = `${method} ${route.url}`;
      access.routes.push(key);
      if (!ruleFor(method, route.url) && !route.config?.access) {
        logger.error(
          { route: key },
          'route missing from the HTTP permission table: every request to it is refused',
        );
      }
    }
  });

  const cookies = { publicOrigins: config.publicOrigins };
  await app.register(authRoutes, { access, cookies });
  await app.register(staffRoutes, { access });
  await app.register(platformRoutes, { access });

  access.start();
  app.addHook('onClose', async () => access.close());
}

/**
 * Access control. Register it before every other feature: its route check (and `access.routes`)
 * sees only the routes registered after it; its guard covers every route either way.
 */
export const accessPlugin = fp(accessFeature, { name: 'access' });
