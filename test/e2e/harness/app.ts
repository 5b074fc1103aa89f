/**
 * The real Seduta server, in this process, for end-to-end tests: configuration, an in-memory
 * PGlite database, one mediasoup worker on the test network's media address, and buildApp serving
 * the built web client on 127.0.0.1. Also builds the client first when client/dist is stale.
 */
import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { build } from 'vite';
import { DEFAULT_RTC_MAX_PORT, DEFAULT_RTC_MIN_PORT, WorkerPool } from '@seduta/media';
import { buildApp, loadConfig, migrateToLatest, openDatabase, type OpenedDatabase } from '@seduta/server';
import type { SittingInfo, SittingKind } from '@seduta/server/protocol';
import { createStaffUser } from '../../../server/src/auth/staff-users';
import { startCluster } from '../../../server/src/cluster/cluster';
import { findFreeRtcPort } from './ports';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLIENT_DIR = path.join(ROOT, 'client');
/** What the client bundle is made from (the protocol is bundled into it too). */
const CLIENT_SOURCES = [
  path.join(CLIENT_DIR, 'src'),
  path.join(CLIENT_DIR, 'public'),
  path.join(CLIENT_DIR, 'index.html'),
  path.join(CLIENT_DIR, 'vite.config.ts'),
  path.join(ROOT, 'server', 'src', 'protocol'),
];
const API_KEY = 'e2e-api-key-0123456789abcdef';

/** A sitting created through the platform API for the test host, with its links. */
export interface CreatedSitting {
  sitting: SittingInfo;
  /** The host console (needs the host signed in). */
  hostUrl: string;
  /** The operators' page (needs a join token: see E2eApp.joinUrl). */
  joinUrl: string;
}

/** The staff account every e2e server has: it runs the sittings createSitting makes. */
export const E2E_HOST = {
  email: 'presidente@comune.example.it',
  password: 'e2e host password 2026',
  name: 'Presidente',
};

/** Media the server still holds for a sitting, counted on the server side. */
export interface ServerMediaState {
  routerClosed: boolean;
  transports: number;
  consumers: number;
  /** Routers and consumers left on every worker of the pool. */
  poolRouters: number;
  poolConsumers: number;
}

/** A running server; `close()` stops it and everything it opened. */
export interface E2eApp {
  /** http://127.0.0.1:<port> (with the https option: https://<address>:<port>), the origin pages are loaded from. */
  url: string;
  /** The HTTP (and signalling) port. */
  port: number;
  /** The mediasoup worker's WebRTC port (UDP and TCP). */
  mediaPort: number;
  /** The running server (a new one after {@link restart}). */
  readonly app: FastifyInstance;
  readonly pool: WorkerPool;
  /**
   * What SIGTERM and a restart do, on the same port with the same data: the server closes
   * gracefully (clients are told it is restarting), then a new one starts. Resolves once the new
   * one listens, with the time it did.
   */
  restart(): Promise<number>;
  /** The server's (in-memory) database. */
  db: OpenedDatabase['db'];
  /** Where the recorder writes (`$DATA_DIR/recordings`). */
  recordingsDir: string;
  /** `POST /api/platform/sittings` with the API key, run by {@link E2E_HOST}. */
  createSitting(input: { title: string; kind?: SittingKind; scheduledAt?: string }): Promise<CreatedSitting>;
  /** An operator's link with a fresh join token, as the procurement platform hands it out. */
  joinUrl(sittingId: string, name: string, subject?: string): Promise<string>;
  /**
   * Takes hold of a live sitting's media router; the returned function counts, on the server,
   * what that router (and the whole worker pool) still holds.
   */
  mediaProbe(sittingId: string): Promise<() => ServerMediaState>;
  close(): Promise<void>;
}

/** Options of {@link startE2eApp}. */
export interface E2eAppOptions {
  /** Address mediasoup listens on and announces; default SEDUTA_E2E_MEDIA_IP, else 127.0.0.1. */
  mediaIp?: string;
  /** Extra environment for the server's configuration (e.g. SMTP_URL). */
  env?: Record<string, string>;
  /**
   * Serve HTTPS on `address` (instead of HTTP on 127.0.0.1) with this certificate; `ca` is what
   * the harness's own API requests trust (see test/support/certificates.ts).
   */
  https?: { address: string; certFile: string; keyFile: string; ca: string };
}

/** Builds the client if stale, then starts the server on a free port. */
export async function startE2eApp(options: E2eAppOptions = {}): Promise<E2eApp> {
  await ensureClientBuilt();
  const mediaIp = options.mediaIp ?? process.env.SEDUTA_E2E_MEDIA_IP ?? '127.0.0.1';
  const address = options.https?.address ?? '127.0.0.1';
  const port = await findFreeRtcPort(address);
  const url = `${options.https ? 'https' : 'http'}://${address}:${port}`;
  // Nothing should be written there (the database is in memory, the API key is given); just in case.
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'seduta-e2e-data-'));
  const opened: (() => Promise<void>)[] = [() => fs.rm(dataDir, { recursive: true, force: true })];
  const closeAll = async (): Promise<void> => {
    for (const close of opened.reverse()) await close();
  };
  try {
    const config = loadConfig({
      PORT: String(port),
      HOST: address,
      DATA_DIR: dataDir,
      LOG_LEVEL: process.env.SEDUTA_TEST_LOG_LEVEL ?? 'warn',
      MEDIA_WORKERS: '1',
      MEDIA_LISTEN_IP: mediaIp,
      MEDIA_RTC_PORT: String(
        await findFreeRtcPort(mediaIp, { min: DEFAULT_RTC_MIN_PORT, max: DEFAULT_RTC_MAX_PORT }),
      ),
      PUBLIC_ORIGINS: url,
      ...(options.https
        ? { TLS_CERT_FILE: options.https.certFile, TLS_KEY_FILE: options.https.keyFile }
        : {}),
      API_KEY,
      JOIN_TOKEN_SECRET: 'e2e-join-token-secret-0123456789abcdef',
      ...options.env,
    });
    const logger = pino({ level: config.logLevel });
    const db: OpenedDatabase = await openDatabase(config, logger, { pgliteDataDir: 'memory://' });
    opened.push(() => db.close());
    await migrateToLatest(db.db, logger);
    await createStaffUser(db.db, { ...E2E_HOST, role: 'host' });
    // Multi-node mode (REDIS_URL in env), as main.ts does it: closed after the app.
    const cluster = config.cluster
      ? await startCluster({
          config: config.cluster,
          mediaIp: config.media.announcedAddress ?? config.media.listenIp,
          logger,
        })
      : undefined;
    if (cluster) opened.push(() => cluster.close());
    const boot = async (): Promise<{
      app: FastifyInstance;
      pool: WorkerPool;
      close: () => Promise<void>;
    }> => {
      const pool = await WorkerPool.create({
        numWorkers: config.media.numWorkers,
        rtcListenIp: config.media.listenIp,
        rtcAnnouncedAddress: config.media.announcedAddress,
        rtcPort: config.media.rtcPort,
        rtcMinPort: config.media.rtcMinPort,
        rtcMaxPort: config.media.rtcMaxPort,
        logger,
      });
      const app = await buildApp({ config, db, pool, logger, ...(cluster ? { cluster } : {}) }).catch(
        async (error: unknown) => {
          await pool.close();
          throw error;
        },
      );
      const close = async () => {
        await app.close();
        await pool.close();
      };
      if (!app.hasDecorator('sittings')) {
        await close();
        throw new Error('buildApp does not register the sittings feature');
      }
      await app.listen({ port, host: config.host });
      return { app, pool, close };
    };
    let running = await boot();
    opened.push(() => running.close());
    const post = (path: string, body: unknown) => postJson(`${url}${path}`, body, options.https?.ca);
    let closed = false;
    return {
      url,
      port,
      mediaPort: config.media.rtcPort,
      get app() {
        return running.app;
      },
      get pool() {
        return running.pool;
      },
      async restart() {
        await running.close();
        running = await boot();
        return Date.now();
      },
      db: db.db,
      recordingsDir: path.join(dataDir, 'recordings'),
      async createSitting(input) {
        const response = await post('/api/platform/sittings', { ...input, hostEmail: E2E_HOST.email });
        if (response.status !== 201)
          throw new Error(`POST /api/platform/sittings: ${response.status} ${response.text}`);
        const { sitting, links } = JSON.parse(response.text) as {
          sitting: SittingInfo;
          links: { host: string; join: string };
        };
        return { sitting, hostUrl: links.host, joinUrl: links.join };
      },
      async joinUrl(sittingId, name, subject = name) {
        const response = await post(`/api/platform/sittings/${sittingId}/join-tokens`, { subject, name });
        if (response.status !== 201) throw new Error(`join token: ${response.status} ${response.text}`);
        return (JSON.parse(response.text) as { url: string }).url;
      },
      async mediaProbe(sittingId) {
        const live = await running.app.sittings.liveIfAny(sittingId);
        if (!live) throw new Error(`sitting ${sittingId} is not live on this server`);
        const router = live.router;
        const pool = running.pool;
        return () => {
          const stats = pool.stats();
          return {
            routerClosed: router.closed,
            transports: router.transportCount(),
            consumers: router.consumerCount(),
            poolRouters: stats.reduce((n, s) => n + s.routers, 0),
            poolConsumers: stats.reduce((n, s) => n + s.consumers, 0),
          };
        };
      },
      async close() {
        if (closed) return;
        closed = true;
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** POSTs JSON with the API key, over HTTPS trusting `ca` when given (Node's fetch takes no CA). */
async function postJson(url: string, body: unknown, ca?: string): Promise<{ status: number; text: string }> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
  if (ca === undefined) {
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: response.status, text: await response.text() };
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', headers, ca }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Runs `vite build` for the client unless client/dist is newer than every source file. */
export async function ensureClientBuilt(): Promise<void> {
  const built = await mtime(path.join(CLIENT_DIR, 'dist', 'index.html'));
  const sources = Math.max(...(await Promise.all(CLIENT_SOURCES.map(newestMtime))));
  if (built !== undefined && built >= sources) return;
  await build({ configFile: path.join(CLIENT_DIR, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
}

async function mtime(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function newestMtime(entry: string): Promise<number> {
  let stat;
  try {
    stat = await fs.stat(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  const children = await fs.readdir(entry);
  const times = await Promise.all(children.map((child) => newestMtime(path.join(entry, child))));
  return Math.max(stat.mtimeMs, ...times);
}
