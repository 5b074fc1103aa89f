import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkerPool } from '@seduta/media';
import { buildApp, type AppDeps, type AppPlugin } from '../../server/src/app';
import { loadConfig } from '../../server/src/config';
import type { OpenedDatabase } from '../../server/src/db/open';
import type { Database } from '../../server/src/db/schema';
import { AppError } from '../../server/src/errors';
import { OPEN_ROUTE } from '../../server/src/auth/http-permissions';
import { findFreeRtcPort } from '../e2e/harness/ports';
import { testDatabases, testLogger, type TestDatabase } from '../support/databases';

const PLAIN_PORTS = { min: 46000, max: 46999 };

async function configFor() {
  const rtcPort = await findFreeRtcPort('127.0.0.1', PLAIN_PORTS);
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: os.tmpdir(),
    MEDIA_WORKERS: '1',
    MEDIA_LISTEN_IP: '127.0.0.1',
    MEDIA_RTC_PORT: String(rtcPort),
    MEDIA_RTC_MIN_PORT: String(PLAIN_PORTS.min),
    MEDIA_RTC_MAX_PORT: String(PLAIN_PORTS.max),
  });
}

/** Routes that fail in each of the ways the error handler must map. */
const failingRoutes: AppPlugin = async (app) => {
  app.get('/api/test/forbidden', { config: { access: OPEN_ROUTE } }, async () => {
    throw new AppError('forbidden', 'only the host may do that');
  });
  app.post(
    '/api/test/count',
    { config: { access: OPEN_ROUTE }, schema: { body: Type.Object({ n: Type.Integer() }) } },
    async (req) => req.body,
  );
  app.get('/api/test/crash', { config: { access: OPEN_ROUTE } }, async () => {
    throw new Error('secret connection string in a stack');
  });
};

describe.each(testDatabases())('buildApp on %s', (kind, target) => {
  let t: TestDatabase;
  let pool: WorkerPool;
  let app: FastifyInstance;
  let clientDir: string;
  const closed: string[] = [];
  let seenDeps: AppDeps | undefined;

  beforeAll(async () => {
    t = await target.open();
    const config = await configFor();
    pool = await WorkerPool.create({
      numWorkers: 1,
      rtcListenIp: '127.0.0.1',
      rtcPort: config.media.rtcPort,
      rtcMinPort: config.media.rtcMinPort,
      rtcMaxPort: config.media.rtcMaxPort,
      logger: testLogger,
    });
    clientDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-client-'));
    fs.mkdirSync(path.join(clientDir, 'assets'));
    fs.writeFileSync(path.join(clientDir, 'index.html'), '<!doctype html><title>Seduta</title>');
    fs.writeFileSync(path.join(clientDir, 'assets', 'app-3f9a.js'), 'export {};');
    const recorder: AppPlugin = async (instance, deps) => {
      seenDeps = deps;
      instance.addHook('onClose', async () => {
        closed.push('recorder');
      });
    };
    app = await buildApp({
      config,
      db: t.handle,
      pool,
      logger: testLogger,
      plugins: [failingRoutes, recorder],
      clientDir,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await pool?.close();
    await t?.close();
    fs.rmSync(clientDir, { recursive: true, force: true });
  });

  it('answers /api/health with ok, the database kind and the live worker count', async () => {
    const res = await app.inject('/api/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', db: kind, workers: 1 });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('says degraded (503) while a mediasoup worker is missing, until the pool is whole again', async () => {
    const alive = vi.spyOn(pool, 'workerCount', 'get').mockReturnValue(0);
    try {
      const res = await app.inject('/api/health');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        status: 'degraded',
        workers: 0,
        problems: ['no mediasoup worker is alive'],
      });
      alive.mockReturnValue(1);
      vi.spyOn(pool, 'configuredWorkers', 'get').mockReturnValue(2);
      const partial = await app.inject('/api/health');
      expect(partial.statusCode).toBe(503);
      expect(partial.json().problems).toEqual([
        'mediasoup workers: 1 of 2 alive (a replacement is starting)',
      ]);
    } finally {
      vi.restoreAllMocks();
    }
    expect((await app.inject('/api/health')).statusCode).toBe(200);
  });

  it('maps an AppError to its status and { error: { code, message } }', async () => {
    const res = await app.inject('/api/test/forbidden');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: { code: 'forbidden', message: 'only the host may do that' } });
  });

  it('answers a body failing its schema with 400 bad_request and the reason', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/test/count', payload: { n: 'three' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('bad_request');
    expect(res.json().error.message).toMatch(/body\/n must be integer/);
  });

  it('answers malformed JSON with 400 bad_request', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/test/count',
      headers: { 'content-type': 'application/json' },
      payload: '{"n":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('bad_request');
  });

  it('hides the message of an unexpected error behind 500 internal', async () => {
    const res = await app.inject('/api/test/crash');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal', message: 'Internal server error' } });
  });

  it('answers an unknown API route with 404 not_found in JSON', async () => {
    const res = await app.inject('/api/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  it('serves the client, with index.html for /s/* and /host/* and long caching for hashed assets', async () => {
    for (const url of ['/', '/s/6f1c3f4e-8a53-4c4e-9a55-2f0d7a1b9c10', '/host/abc/console']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('<title>Seduta</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    const asset = await app.inject('/assets/app-3f9a.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await app.inject('/assets/missing.js');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('gives feature plugins the deps, and runs their onClose on app.close()', async () => {
    expect(seenDeps?.db).toBe(t.handle);
    expect(seenDeps?.pool).toBe(pool);
    expect(closed).toEqual([]);
    await app.close();
    expect(closed).toEqual(['recorder']);
  });
});

describe('buildApp health when something is down', () => {
  const unreachable = (): OpenedDatabase => {
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ host: '127.0.0.1', port: 1, user: 'x', connectionTimeoutMillis: 1000 }),
      }),
    });
    return { db, kind: 'postgres', close: () => db.destroy() };
  };

  it('answers 503 degraded when the database does not answer', async () => {
    const config = await configFor();
    const pool = await WorkerPool.create({
      numWorkers: 1,
      rtcListenIp: '127.0.0.1',
      rtcPort: config.media.rtcPort,
      rtcMinPort: PLAIN_PORTS.min,
      rtcMaxPort: PLAIN_PORTS.max,
      logger: testLogger,
    });
    const db = unreachable();
    const app = await buildApp({ config, db, pool, logger: testLogger, clientDir: '/nonexistent' });
    try {
      const res = await app.inject('/api/health');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'degraded', db: 'postgres', workers: 1 });
      expect(res.json().problems[0]).toMatch(/^database: .*ECONNREFUSED/);
    } finally {
      await app.close();
      await pool.close();
      await db.close();
    }
  });

  it('answers 503 degraded when no worker is alive, and serves no client when none is built', async () => {
    const config = await configFor();
    const pool = await WorkerPool.create({
      numWorkers: 1,
      rtcListenIp: '127.0.0.1',
      rtcPort: config.media.rtcPort,
      rtcMinPort: PLAIN_PORTS.min,
      rtcMaxPort: PLAIN_PORTS.max,
      logger: testLogger,
    });
    const db = unreachable();
    const app = await buildApp({ config, db, pool, logger: testLogger, clientDir: '/nonexistent' });
    try {
      await pool.close();
      const res = await app.inject('/api/health');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'degraded', workers: 0 });
      expect(res.json().problems).toContain('no mediasoup worker is alive');
      expect((await app.inject('/')).statusCode).toBe(404);
    } finally {
      await app.close();
      await db.close();
    }
  });
});
