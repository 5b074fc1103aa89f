/**
 * Serves the built web client (client/dist) when it exists, with index.html for the client-side
 * routes (`/s/*` for participants, `/i/*` for invitation links, `/host` and `/host/*` for staff,
 * `/setup` for the first run's setup link). Vite's hashed assets are
 * cached for a year; everything else is revalidated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build -w client` puts the bundle. */
export const DEFAULT_CLIENT_DIR = fileURLToPath(new URL('../../../client/dist/', import.meta.url));

/** Client-side routes answered with index.html. */
const SPA_ROUTES = [
  '/s/*',
  '/i/*',
  '/host',
  '/host/*',
  '/setup',
  '/admin/webhooks',
  '/admin/audit',
  '/bookings',
  '/bookings/*',
];

/** Options of clientStaticPlugin. */
export interface ClientStaticOptions {
  /** Directory of the built client; nothing is served when it has no index.html. */
  dir: string;
}

/** Registers static serving of the client bundle, if built. */
export async function clientStaticPlugin(app: FastifyInstance, opts: ClientStaticOptions): Promise<void> {
  const root = path.resolve(opts.dir);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    app.log.info({ dir: root }, 'web client not built: not serving it (npm run build)');
    return;
  }
  await app.register(fastifyStatic, {
    root,
    cacheControl: false,
    setHeaders(res, filePath) {
      const hashed = path.relative(root, filePath).startsWith(`assets${path.sep}`);
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  for (const route of SPA_ROUTES) {
    app.get(route, (_request, reply) => reply.sendFile('index.html'));
  }
  app.log.info({ dir: root }, 'serving the web client');
}
