/**
 * The databases every database test runs against: always the embedded PGlite (in memory), plus a
 * real PostgreSQL when SEDUTA_TEST_PG_URL is set or one answers on 127.0.0.1:5432. Each open()
 * gives a fresh database (PostgreSQL: `seduta_test_<random>`, dropped by close()).
 *
 *   describe.each(testDatabases())('sittings on %s', (_kind, target) => {
 *     let t: TestDatabase;
 *     beforeAll(async () => { t = await target.open(); });
 *     afterAll(() => t.close());
 *   });
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { migrateToLatest } from '../../server/src/db/migrate';
import { openDatabase, type DatabaseKind, type OpenedDatabase } from '../../server/src/db/open';
import type { Logger } from '../../server/src/logger';

/** A fresh database opened in this process. */
export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly handle: OpenedDatabase;
  /** The PostgreSQL URL (undefined for PGlite). */
  readonly url: string | undefined;
  /** Closes the handle and deletes the database. */
  close(): Promise<void>;
}

/** A fresh database for a server process: the environment to give it, and its removal. */
export interface ProcessDatabase {
  readonly kind: DatabaseKind;
  /** DATA_DIR (always a new temporary directory) and, for PostgreSQL, DATABASE_URL. */
  readonly env: { DATA_DIR: string; DATABASE_URL?: string };
  /** Opens the same database here (close it before starting a PGlite server: one owner at a time). */
  open(): Promise<OpenedDatabase>;
  /** Deletes the database and the data directory. */
  destroy(): Promise<void>;
}

/** One kind of database to test against. */
export interface TestDatabaseTarget {
  readonly kind: DatabaseKind;
  /** A fresh database, migrated to the latest schema unless `migrate: false`. */
  open(options?: { migrate?: boolean }): Promise<TestDatabase>;
  /** A fresh, empty database for a server process started by the test. */
  forProcess(): Promise<ProcessDatabase>;
}

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Logger for tests: silent unless TEST_LOG_LEVEL is set. */
export const testLogger: Logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let adminUrl: string | undefined | null = null;

/** `[kind, target]` pairs for describe.each: PGlite always, PostgreSQL when reachable. */
export function testDatabases(): Array<[DatabaseKind, TestDatabaseTarget]> {
  const targets: Array<[DatabaseKind, TestDatabaseTarget]> = [['pglite', pgliteTarget]];
  const url = postgresAdminUrl();
  if (url !== undefined) targets.push(['postgres', postgresTarget(url)]);
  return targets;
}

/**
 * URL of a PostgreSQL database from which test databases are created: SEDUTA_TEST_PG_URL (which
 * must then answer), else 127.0.0.1:5432 as user postgres if it answers, else undefined.
 */
export function postgresAdminUrl(): string | undefined {
  if (adminUrl !== null) return adminUrl;
  const explicit = process.env.SEDUTA_TEST_PG_URL;
  const candidate = explicit ?? DEFAULT_PG_URL;
  const reachable = canConnect(candidate);
  if (explicit !== undefined && !reachable) {
    throw new Error(`SEDUTA_TEST_PG_URL=${explicit} is set but does not accept connections`);
  }
  adminUrl = reachable ? candidate : undefined;
  return adminUrl;
}

/** Creates an empty database `seduta_test_<random>`; returns its URL and how to drop it. */
export async function createPostgresDatabase(admin: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `seduta_test_${randomBytes(6).toString('hex')}`;
  await withClient(admin, (c) => c.query(`create database ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withClient(admin, (c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

const pgliteTarget: TestDatabaseTarget = {
  kind: 'pglite',
  async open({ migrate = true } = {}) {
    const handle = await openDatabase({ dataDir: '', databaseUrl: undefined }, testLogger, {
      pgliteDataDir: 'memory://',
    });
    if (migrate) await migrateToLatest(handle.db, testLogger);
    return { kind: 'pglite', handle, url: undefined, close: () => handle.close() };
  },
  async forProcess() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-test-'));
    return {
      kind: 'pglite',
      env: { DATA_DIR: dataDir },
      open: () => openDatabase({ dataDir, databaseUrl: undefined }, testLogger),
      destroy: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  },
};

function postgresTarget(admin: string): TestDatabaseTarget {
  return {
    kind: 'postgres',
    async open({ migrate = true } = {}) {
      const created = await createPostgresDatabase(admin);
      let handle: OpenedDatabase;
      try {
        handle = await openDatabase({ dataDir: '', databaseUrl: created.url }, testLogger);
        if (migrate) await migrateToLatest(handle.db, testLogger);
      } catch (err) {
        await created.drop();
        throw err;
      }
      return {
        kind: 'postgres',
        handle,
        url: created.url,
        async close() {
          await handle.close();
          await created.drop();
        },
      };
    },
    async forProcess() {
      const created = await createPostgresDatabase(admin);
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-test-'));
      return {
        kind: 'postgres',
        env: { DATA_DIR: dataDir, DATABASE_URL: created.url },
        open: () => openDatabase({ dataDir, databaseUrl: created.url }, testLogger),
        async destroy() {
          await created.drop();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}

async function withClient<T>(url: string, run: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Synchronous probe (describe.each needs the list at collection time): a 2 s bounded child. */
function canConnect(url: string): boolean {
  const probe = `
    const pg = require('pg');
    const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 1500 });
    c.connect().then(() => c.end()).then(() => process.exit(0), () => process.exit(1));`;
  const result = spawnSync(process.execPath, ['-e', probe, url], {
    cwd: REPO_ROOT,
    timeout: 2000,
    stdio: 'ignore',
  });
  return result.status === 0;
}
