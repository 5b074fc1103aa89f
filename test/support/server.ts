import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { WorkerPool } from '@seduta/media';
import {
  buildApp,
  loadConfig,
  migrateToLatest,
  openDatabase,
  type Config,
  type OpenedDatabase,
} from '@seduta/server';
import type { SittingService } from '@seduta/server';
import { findFreeRtcPort } from '../e2e/harness/ports';

const freePort = () => findFreeRtcPort('127.0.0.1', { min: 40100, max: 49999 });

/** A real Seduta server running in this process on 127.0.0.1 (or the e2e namespace's address). */
export interface TestServer {
  url: string;
  app: FastifyInstance;
  sittings: SittingService;
  pool: WorkerPool;
  db: OpenedDatabase;
  config: Config;
  apiKey: string;
  close(): Promise<void>;
}

/** Options: environment overrides, an existing database, the web client to serve. */
export interface TestServerOptions {
  env?: Record<string, string>;
  db?: OpenedDatabase;
  clientDir?: string;
  /** Media address (listen and announced); default SEDUTA_E2E_MEDIA_IP or 127.0.0.1. */
  mediaIp?: string;
}

/** Starts buildApp on a free port with an in-memory PGlite database and one media worker. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const port = await freePort();
  const mediaIp = opts.mediaIp ?? process.env.SEDUTA_E2E_MEDIA_IP ?? '127.0.0.1';
  const apiKey = 'test-api-key-0123456789-abcdef';
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: '/nonexistent-test-data-dir',
    LOG_LEVEL: process.env.SEDUTA_TEST_LOG_LEVEL ?? 'silent',
    MEDIA_WORKERS: '1',
    MEDIA_LISTEN_IP: mediaIp,
    MEDIA_RTC_PORT: String(await freePort()),
    API_KEY: apiKey,
    ...opts.env,
  });
  const logger = pino({ level: config.logLevel });
  const db = opts.db ?? (await openDatabase(config, logger, { pgliteDataDir: 'memory://' }));
  await migrateToLatest(db.db, logger);
  const pool = await WorkerPool.create({
    numWorkers: config.media.numWorkers,
    rtcListenIp: config.media.listenIp,
    rtcAnnouncedAddress: config.media.announcedAddress,
    rtcPort: config.media.rtcPort,
    rtcMinPort: config.media.rtcMinPort,
    rtcMaxPort: config.media.rtcMaxPort,
    logger,
  });
  const app = await buildApp({
    config,
    db,
    pool,
    logger,
    ...(opts.clientDir ? { clientDir: opts.clientDir } : {}),
  });
  await app.listen({ port, host: config.host });
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    sittings: app.sittings,
    pool,
    db,
    config,
    apiKey,
    async close() {
      await app.close();
      await pool.close();
      if (!opts.db) await db.close();
    },
  };
}
