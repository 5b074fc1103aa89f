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
import { startCluster, type Cluster } from '../../server/src/cluster/cluster';
import type { SittingInfo, SittingKind } from '@seduta/server/protocol';
import { ParticipantPasses, passCookieName } from '../../server/src/auth/participant-pass';
import { deriveKey } from '../../server/src/auth/secrets';
import { createSession, SESSION_COOKIE } from '../../server/src/auth/sessions';
import { createOwnedSitting } from '../../server/src/auth/sitting-owners';
import { createStaffUser, type StaffUser } from '../../server/src/auth/staff-users';
import type { StaffRole } from '../../server/src/db/schema';
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
  /** Multi-node mode (env REDIS_URL set): this node's cluster membership; else undefined. */
  cluster: Cluster | undefined;
  /**
   * A scheduled sitting run by `host` (default: the server's test host, signed in on first use),
   * created as a host would create it.
   */
  createSitting(input: { title: string; kind?: SittingKind; host?: StaffCredentials }): Promise<SittingInfo>;
  /** A staff account with a session: its Cookie header signs requests and connections in. */
  signIn(role: StaffRole, name?: string): Promise<StaffCredentials>;
  /** The test host (owner of the sittings createSitting makes by default). */
  host(): Promise<StaffCredentials>;
  /** A join token for an operator of a public sitting, as the procurement platform would mint it. */
  joinToken(sittingId: string, name: string, subject?: string): Promise<string>;
  /** The Cookie header holding an operator's pass, as the token exchange would set it. */
  operatorCookie(sittingId: string, name: string, subject?: string): Promise<string>;
  /** The Cookie header holding a commissioner's pass, through a real invitation link. */
  commissionerCookie(sittingId: string, name: string, email?: string): Promise<string>;
  close(): Promise<void>;
}

/** The signing secret of every test server (so a test process can make passes without it). */
export const TEST_JOIN_TOKEN_SECRET = 'test-join-token-secret-0123456789-abcdef';

/**
 * The Cookie header of an operator's pass for a test server's sitting, made without asking the
 * server (passes are signed, not stored): for load tests that open many connections at once.
 */
export async function operatorPassCookie(sittingId: string, name: string, subject = name): Promise<string> {
  const passes = new ParticipantPasses(deriveKey(TEST_JOIN_TOKEN_SECRET, 'participant-pass'));
  const pass = await passes.issue(sittingId, { subject: `operator:${subject}`, name, role: 'operator' });
  return `${passCookieName(sittingId)}=${pass}`;
}

/** A signed-in staff member. */
export interface StaffCredentials {
  user: StaffUser;
  /** `seduta_session=…`, for the Cookie header. */
  cookie: string;
  csrfToken: string;
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
    JOIN_TOKEN_SECRET: TEST_JOIN_TOKEN_SECRET,
    ...opts.env,
  });
  const logger = pino({ level: config.logLevel });
  const db = opts.db ?? (await openDatabase(config, logger, { pgliteDataDir: 'memory://' }));
  await migrateToLatest(db.db, logger);
  // Multi-node mode when the test gives REDIS_URL, as main.ts does it.
  const cluster = config.cluster
    ? await startCluster({
        config: config.cluster,
        mediaIp: config.media.announcedAddress ?? mediaIp,
        logger,
      })
    : undefined;
  const pool = await WorkerPool.create({
    numWorkers: config.media.numWorkers,
    rtcListenIp: config.media.listenIp,
    rtcAnnouncedAddress: config.media.announcedAddress,
    rtcPort: config.media.rtcPort,
    rtcMinPort: config.media.rtcMinPort,
    rtcMaxPort: config.media.rtcMaxPort,
    spreadConsumers: config.media.spreadConsumers,
    logger,
  });
  const app = await buildApp({
    config,
    db,
    pool,
    logger,
    ...(cluster ? { cluster } : {}),
    ...(opts.clientDir ? { clientDir: opts.clientDir } : {}),
  });
  await app.listen({ port, host: config.host });
  const { access } = app;
  let n = 0;
  const signIn = async (role: StaffRole, name = `${role === 'admin' ? 'Admin' : 'Host'} ${++n}`) => {
    const email = `${role}.${++n}.${Date.now()}@test.example.it`;
    const user = await createStaffUser(db.db, { email, name, role, password: 'test password 0123456789' });
    const { token, session } = await createSession(db.db, user);
    return { user, cookie: `${SESSION_COOKIE}=${token}`, csrfToken: session.csrfToken };
  };
  let testHost: Promise<StaffCredentials> | undefined;
  const host = () => (testHost ??= signIn('host', 'Presidente di seduta'));
  const joinToken = async (sittingId: string, name: string, subject = name) =>
    (await access.joinTokens.mint({ sittingId, subject, name })).token;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    sittings: app.sittings,
    pool,
    db,
    config,
    apiKey,
    cluster,
    signIn,
    host,
    joinToken,
    async createSitting({ title, kind = 'public', host: owner }) {
      const by = owner ?? (await host());
      return createOwnedSitting(app.sittings, db.db, {
        title,
        kind,
        scheduledAt: null,
        createdBy: `staff:${by.user.email}`,
        hostUserId: by.user.id,
      });
    },
    async operatorCookie(sittingId, name, subject = name) {
      const { pass } = await access.exchangeJoinToken(sittingId, await joinToken(sittingId, name, subject));
      return `${passCookieName(sittingId)}=${pass}`;
    },
    async commissionerCookie(sittingId, name, email = `commissario.${++n}@test.example.it`) {
      const by = { subject: 'test', name: 'Test', role: 'admin' as const };
      const { invite } = await access.invites.create(sittingId, { email, name }, by);
      const { pass } = await access.exchangeInvite(invite.link!.split('/i/')[1]!);
      return `${passCookieName(sittingId)}=${pass}`;
    },
    async close() {
      await app.close();
      await pool.close();
      await cluster?.close();
      if (!opts.db) await db.close();
    },
  };
}
