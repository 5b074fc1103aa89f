import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AppDeps } from '../app';
import { sittingRoutes } from '../http/sittings-routes';
import { CrossNode } from '../cluster/cross-node';
import { signallingPlugin } from '../signalling/plugin';
import { SittingService } from './service';
import { iceSettings } from './turn';

declare module 'fastify' {
  interface FastifyInstance {
    /** The sitting service (lifecycle and live runtimes). */
    sittings: SittingService;
    /** Multi-node mode: where each sitting is hosted and what crosses nodes (undefined: one node). */
    crossNode: CrossNode | undefined;
  }
}

/**
 * The API key for server-to-server calls: API_KEY, else one generated on first start and kept
 * in `$DATA_DIR/api-key` (readable by the owner only).
 */
export function resolveApiKey(
  apiKey: string | undefined,
  dataDir: string,
): { key: string; generated: boolean } {
  if (apiKey) return { key: apiKey, generated: false };
  const file = path.join(dataDir, 'api-key');
  try {
    return { key: fs.readFileSync(file, 'utf8').trim(), generated: false };
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const key = randomBytes(24).toString('base64url');
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return { key, generated: true };
  }
}

async function sittingsFeature(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const sittings = new SittingService({
    db: deps.db.db,
    pool: deps.pool,
    logger: deps.logger,
    hostGraceMs: deps.config.hostGraceMs,
    iceFor: iceSettings(deps.config.ice),
    limits: deps.config.limits,
  });
  app.decorate('sittings', sittings);
  const { key, generated } = resolveApiKey(deps.config.apiKey, deps.config.dataDir);
  if (generated) {
    deps.logger.warn(`API_KEY not set: generated one in ${path.join(deps.config.dataDir, 'api-key')}`);
  }
  const publicOrigin = deps.config.publicOrigins[0] ?? `http://localhost:${deps.config.port}`;
  await app.register(sittingRoutes, { sittings, apiKey: key, publicOrigin });
  // Multi-node mode: a sitting is hosted by one node, its clients may connect to any.
  const { cluster } = deps;
  const crossNode = cluster && new CrossNode({ ...cluster, sittings, pool: deps.pool, logger: deps.logger });
  app.decorate('crossNode', crossNode);
  await signallingPlugin(app, {
    sittings,
    access: app.access,
    logger: deps.logger,
    allowedOrigins: deps.config.publicOrigins,
    adapter: deps.cluster?.socketAdapter(),
    ...(crossNode ? { crossNode } : {}),
  });
  // Sittings that were live when the server stopped: their runtimes are made again, and each waits
  // for its host (HOST_GRACE_SECONDS) — a database that is down must not keep the server down.
  app.addHook('onReady', async () => {
    await sittings
      .restoreLive(crossNode && ((id) => crossNode.claim(id)))
      .catch((err: unknown) => deps.logger.error({ err }, 'could not restore live sittings'));
  });
  app.addHook('onClose', async () => {
    await crossNode?.close();
    await sittings.close();
  });
}

/** Sittings: the service (as `app.sittings`), its HTTP routes and the signalling socket. */
export const sittingsPlugin = fp(sittingsFeature, { name: 'sittings' });
