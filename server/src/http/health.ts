/**
 * `GET /api/health`: 200 `{ status: 'ok', db, workers }` when the database answers and every
 * configured mediasoup worker is alive, else 503 with status 'degraded' and the problems found
 * (a dead worker is replaced within a second; until then the pool is not whole), or the recordings
 * disk has less free space than RECORDINGS_MIN_FREE_MB. In multi-node mode `redis` says whether
 * Redis is reachable; while it is not, the node is degraded (it serves the sittings it hosts).
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app';
import { pingDatabase } from '../db/open';

/** How long the database may take to answer the health probe. */
const DB_PROBE_TIMEOUT_MS = 2000;

/** Body of the health response. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  db: 'pglite' | 'postgres';
  workers: number;
  /** Multi-node mode only: whether this node reaches Redis now. */
  redis?: 'ok' | 'unreachable';
  problems?: string[];
}

/** Registers the health route. */
export async function healthPlugin(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get('/api/health', async (request, reply): Promise<HealthReport> => {
    const problems: string[] = [];
    // The pool as it is when the request arrives (the database probe may take a while).
    const workers = deps.pool.workerCount;
    const configured = deps.pool.configuredWorkers;
    try {
      await pingDatabase(deps.db.db, DB_PROBE_TIMEOUT_MS);
    } catch (err) {
      request.log.warn({ err }, 'health: database probe failed');
      problems.push(`database: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (workers === 0) problems.push('no mediasoup worker is alive');
    else if (workers < configured)
      problems.push(`mediasoup workers: ${workers} of ${configured} alive (a replacement is starting)`);
    const redis = deps.cluster && (deps.cluster.link.healthy ? 'ok' : 'unreachable');
    if (redis === 'unreachable') problems.push(`redis: Redis at ${deps.cluster!.link.url} is out of reach`);
    const server = request.server;
    if (server.hasDecorator('recorder')) {
      try {
        const { freeBytes, minFreeBytes } = await server.recorder.diskSpace();
        if (freeBytes < minFreeBytes) {
          const mb = (n: number) => Math.floor(n / (1024 * 1024));
          problems.push(`recordings disk: ${mb(freeBytes)} MB free (below ${mb(minFreeBytes)} MB)`);
        }
      } catch (err) {
        problems.push(`recordings disk: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    void reply.code(problems.length === 0 ? 200 : 503).header('cache-control', 'no-store');
    return problems.length === 0
      ? { status: 'ok', db: deps.db.kind, workers, ...(redis ? { redis } : {}) }
      : { status: 'degraded', db: deps.db.kind, workers, ...(redis ? { redis } : {}), problems };
  });
}
