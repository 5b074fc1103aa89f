/**
 * Opens the database: embedded PGlite in `$DATA_DIR/db` by default, PostgreSQL through a `pg`
 * pool when DATABASE_URL is set. Either way the result is one Kysely<Database>, probed with
 * `select 1` before it is handed out, so a bad URL or an unreachable server fails startup quickly
 * with a one-line reason. PostgreSQL goes through a GuardedPool: bounded waits, abandoned
 * connections never reused, their backends terminated once the server answers again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { redactUrl, type Config } from '../config';
import type { Logger } from '../logger';
import { lockDataDir, type DataDirLock } from './data-dir-lock';
import { ACQUIRE_TIMEOUT_MS, GuardedPool } from './guarded-pool';
import type { Database } from './schema';

/** Which engine backs the database. */
export type DatabaseKind = 'pglite' | 'postgres';

/** An open database; close() is idempotent and releases everything it holds. */
export interface OpenedDatabase {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
  close(): Promise<void>;
}

/** Options for openDatabase. */
export interface OpenDatabaseOptions {
  /** PGlite data directory, overriding `$DATA_DIR/db`; `memory://` keeps everything in memory. */
  pgliteDataDir?: string;
  /** Limit for connecting to PostgreSQL and for the first probe (default 5000 ms). */
  connectTimeoutMs?: number;
}

/** Thrown when the database cannot be opened; the message is one line. */
export class DatabaseOpenError extends Error {
  override readonly name = 'DatabaseOpenError';
}

const INT8_OID = 20;
const SLOW_QUERY_MS = 500;
const POOL_SIZE = 10;
/** TCP keepalive probes start after this much silence on a connection. */
const KEEPALIVE_DELAY_MS = 10_000;
/**
 * The server ends a session left idle inside a transaction this long: the backstop that releases
 * the locks of a connection lost mid-transaction when this process could not terminate it itself.
 */
const IDLE_IN_TRANSACTION_MS = 30_000;

const pools = new WeakMap<Kysely<Database>, GuardedPool>();

/** Opens and probes the database selected by the configuration. */
export async function openDatabase(
  config: Pick<Config, 'dataDir' | 'databaseUrl'>,
  logger: Logger,
  options: OpenDatabaseOptions = {},
): Promise<OpenedDatabase> {
  const log = logger.child({ module: 'db' });
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  return config.databaseUrl !== undefined
    ? openPostgres(config.databaseUrl, log, timeoutMs)
    : openPGlite(options.pgliteDataDir ?? path.join(config.dataDir, 'db'), log);
}

/** Runs `select 1`; rejects if the database does not answer within timeoutMs. */
export async function pingDatabase(db: Kysely<Database>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`.execute(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function openPostgres(url: string, log: Logger, timeoutMs: number): Promise<OpenedDatabase> {
  const where = redactUrl(url);
  try {
    await probePostgres(url, timeoutMs);
  } catch (err) {
    throw new DatabaseOpenError(`cannot connect to PostgreSQL at ${where}: ${oneLine(err)}`);
  }
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, parseInt8);
  // Waits are short on purpose: during an outage a request must get its `unavailable` well
  // within the client's 10 s, not hang (GuardedPool adds the query timeout and the fencing).
  const pgPool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: ACQUIRE_TIMEOUT_MS,
    max: POOL_SIZE,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    types,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pgPool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL connection failed'));
  const pool = new GuardedPool(pgPool, log);
  log.info({ url: where }, 'connected to PostgreSQL');
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: queryLogger(log) });
  pools.set(db, pool);
  return handle(db, 'postgres', log, () => undefined);
}

/**
 * Resolves once no connection of db that was abandoned before this call (its query unanswered)
 * can still commit anything; rejects while PostgreSQL is out of reach. Immediate for PGlite, whose
 * queries cannot be lost on the way.
 */
export async function settleAbandoned(db: Kysely<Database>): Promise<void> {
  await pools.get(db)?.settleAbandoned();
}

/** Connects once and runs `select 1`, all within timeoutMs, so a bad server fails startup fast. */
async function probePostgres(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  // A connection dropped while probing is reported by connect()/query(); this only keeps it from
  // becoming an uncaught 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function openPGlite(dataDir: string, log: Logger): Promise<OpenedDatabase> {
  const inMemory = dataDir.startsWith('memory://');
  let lock: DataDirLock | undefined;
  let client: PGlite | undefined;
  try {
    if (!inMemory) {
      lock = lockDataDir(dataDir);
      fs.mkdirSync(dataDir, { recursive: true });
    }
    client = await PGlite.create(dataDir, { parsers: { [pgliteTypes.INT8]: parseInt8 } });
    const db = new Kysely<Database>({ dialect: new PGliteDialect(client), log: queryLogger(log) });
    await pingDatabase(db, 30_000);
    log.info({ dataDir }, 'opened embedded PGlite database');
    const held = lock;
    return handle(db, 'pglite', log, () => held?.release());
  } catch (err) {
    await client?.close().catch(() => undefined);
    lock?.release();
    throw new DatabaseOpenError(`cannot open the embedded database in ${dataDir}: ${oneLine(err)}`);
  }
}

function handle(db: Kysely<Database>, kind: DatabaseKind, log: Logger, after: () => void): OpenedDatabase {
  let closing: Promise<void> | undefined;
  return {
    db,
    kind,
    close() {
      closing ??= (async () => {
        try {
          await db.destroy();
          log.info({ kind }, 'database closed');
        } finally {
          after();
        }
      })();
      return closing;
    },
  };
}

/** int8 (bigint, count(*)) as a JS number: ids and counts stay far below 2^53. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds Number.MAX_SAFE_INTEGER`);
  return n;
}

function queryLogger(log: Logger): (event: LogEvent) => void {
  return (event) => {
    if (event.level === 'query' && event.queryDurationMillis > SLOW_QUERY_MS) {
      log.warn({ sql: event.query.sql, durationMs: Math.round(event.queryDurationMillis) }, 'slow query');
    }
  };
}

/** One line describing err, including every cause of an AggregateError (pg tries each address). */
function oneLine(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return [...new Set(err.errors.map(oneLine))].join('; ');
  }
  const message = err instanceof Error ? err.message || err.name : String(err);
  return message.replace(/\s+/g, ' ').trim();
}
