/**
 * Builds the Fastify application from its dependencies, without listening (main.ts listens; tests
 * use `app.inject()`). Features are named plugins receiving the same deps; each cleans up in its
 * own onClose hook. The app does not own the database or the worker pool: whoever opened them
 * closes them after `app.close()`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { WorkerPool } from '@seduta/media';
import { accessPlugin } from './auth/plugin';
import { MAX_BODY_BYTES, securityHeaders } from './auth/security-headers';
import { bookingsPlugin } from './bookings/plugin';
import type { Cluster } from './cluster/cluster';
import type { Config } from './config';
import type { OpenedDatabase } from './db/open';
import { mapError } from './errors';
import { auditPlugin } from './http/audit-routes';
import { clientStaticPlugin, DEFAULT_CLIENT_DIR } from './http/client-static';
import { healthPlugin } from './http/health';
import { metricsPlugin } from './http/metrics';
import { operatorLinksPlugin } from './http/operator-links';
import { setupPlugin } from './http/setup-routes';
import { recordingsPlugin } from './recordings/plugin';
import { registerPlugin } from './register/plugin';
import { sittingsPlugin } from './sittings/plugin';
import type { Logger } from './logger';
import { webhooksPlugin } from './webhooks/plugin';

/** What every feature plugin receives as its options. */
export interface AppDeps {
  config: Config;
  db: OpenedDatabase;
  pool: WorkerPool;
  logger: Logger;
  /**
   * Multi-node mode (REDIS_URL): this node's Redis link, node registry, sitting leases and RPC,
   * started by main.ts before listening and closed after the app (cluster/cluster.ts); undefined
   * on a single node.
   */
  cluster?: Cluster;
}

/** A feature plugin: registered with the app's deps as options; cleans up in onClose. */
export type AppPlugin = FastifyPluginAsync<AppDeps>;

/** Options of buildApp: the deps, plus extra feature plugins and where the web client is. */
export interface BuildAppOptions extends AppDeps {
  /** Extra feature plugins, registered after the built-in ones, in order. */
  plugins?: readonly AppPlugin[];
  /** Built web client to serve; default client/dist. */
  clientDir?: string;
}

/** Creates the Fastify app with every feature registered; call `ready()` or `listen()` next. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { plugins = [], clientDir = DEFAULT_CLIENT_DIR, ...deps } = options;
  // pino's Logger is a FastifyBaseLogger; widening it keeps FastifyInstance's default generics.
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ module: 'http' });
  const { tls } = deps.config;
  const app = Fastify({
    loggerInstance,
    // Every JSON body the API takes is small; bigger ones are refused before they are read.
    bodyLimit: MAX_BODY_BYTES,
    // Behind a reverse proxy (TRUST_PROXY), request.ip and request.protocol come from X-Forwarded-*.
    trustProxy: deps.config.access.trustProxy,
    // HTTPS served directly: signalling (socket.io) attaches to this same server, so wss:// too.
    // main.ts swaps the certificate on SIGHUP (http/tls.ts).
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
  }) as unknown as FastifyInstance;
  await app.register(securityHeaders, { config: deps.config });

  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err);
    if (mapped.unexpected) request.log.error({ err }, 'request failed');
    return reply.code(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: { code: 'not_found', message: `no route for ${request.method} ${request.url.slice(0, 200)}` },
    }),
  );

  // Feature plugins, one line each. Routes under /api/ only; the client owns every other path.
  // Access first: its guard and route check then cover every route registered after it.
  await app.register(accessPlugin, deps);
  await app.register(setupPlugin, deps);
  await app.register(healthPlugin, deps);
  await app.register(metricsPlugin, deps);
  await app.register(sittingsPlugin, deps);
  await app.register(operatorLinksPlugin, deps);
  await app.register(recordingsPlugin, deps);
  await app.register(webhooksPlugin, deps);
  await app.register(registerPlugin, deps);
  await app.register(auditPlugin, deps);
  await app.register(bookingsPlugin, deps);
  for (const plugin of plugins) await app.register(plugin, deps);
  await app.register(clientStaticPlugin, { dir: clientDir });

  app.addHook('onClose', async () => app.log.info('http server closed'));
  return app;
}
