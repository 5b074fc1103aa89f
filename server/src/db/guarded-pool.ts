/**
 * The PostgreSQL pool Kysely uses, made safe for an outage (docs/decisions/0015):
 *  - getting a connection (waiting for a free one, or opening one) gives up after
 *    ACQUIRE_TIMEOUT_MS, and every query after QUERY_TIMEOUT_MS, so a request always has its
 *    answer well within the client's 10 s;
 *  - a connection whose query failed without an answer from the server is abandoned: its socket is
 *    destroyed at once and it never returns to the pool (a reused one would run the next query
 *    behind the lost one, and could commit it later);
 *  - once the database answers again, the backends of abandoned connections are terminated
 *    (settleAbandoned), so that nothing they had received can still commit, and the locks they
 *    held (the audit log's advisory lock) are released.
 * The backends are found by pid, and only if they started before they were abandoned, so a pid
 * reused by a newer backend is left alone.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import type { Logger } from '../logger';
import { DatabaseUnreachableError, reachabilityOf, refusedByDatabase } from './unreachable';

/** Longest wait for a connection (a free one from the pool, or a new one). */
export const ACQUIRE_TIMEOUT_MS = 3000;
/** Longest wait for a query's answer (outside allowSlowQueries). */
export const QUERY_TIMEOUT_MS = 4000;

const SETTLE_FIRST_MS = 500;
const SETTLE_MAX_MS = 5000;
const GONE_POLL_MS = 100;
const GONE_POLLS = 30;

const slowQueries = new AsyncLocalStorage<true>();
/** allowSlowQueries calls under way. */
let slowRuns = 0;

/**
 * Runs `work` with no query timeout (migrations: building an index may take minutes). The
 * storage is switched off again when the last such run ends: an AsyncLocalStorage in use keeps
 * Node's promise hooks on, which tax every promise of the process (a join makes hundreds) for
 * the sake of a flag that only the migrations at start-up set.
 */
export async function allowSlowQueries<T>(work: () => Promise<T>): Promise<T> {
  slowRuns += 1;
  try {
    return await slowQueries.run(true, work);
  } finally {
    slowRuns -= 1;
    if (slowRuns === 0) slowQueries.disable();
  }
}

/** Whether the current call runs inside allowSlowQueries (its queries have no timeout). */
export function slowQueriesAllowed(): boolean {
  return slowQueries.getStore() === true;
}

/** What the pool keeps of a pg client (pid: its backend's, from BackendKeyData). */
interface PgClientInternals {
  processID?: number | null;
  connection?: { stream?: { destroy(): void } };
}

/** A pg.Pool wrapped for Kysely's PostgresDialect, with the timeouts and fencing above. */
export class GuardedPool implements PostgresPool {
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  /** Backend pid → when its connection was abandoned (Date.now()). */
  readonly #abandoned = new Map<number, number>();
  #settling: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #retryMs = SETTLE_FIRST_MS;
  #ended = false;

  constructor(pool: pg.Pool, log: Logger) {
    this.#pool = pool;
    this.#log = log;
  }

  /** How many abandoned backends are not yet known to be gone. */
  get abandonedCount(): number {
    return this.#abandoned.size;
  }

  /** A connection within ACQUIRE_TIMEOUT_MS, or DatabaseUnreachableError. */
  async connect(): Promise<PostgresPoolClient> {
    const pending = this.#pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DatabaseUnreachableError('timeout exceeded when trying to connect')),
        ACQUIRE_TIMEOUT_MS,
      );
    });
    try {
      return new GuardedClient(await Promise.race([pending, deadline]), this);
    } catch (err) {
      // Too late for this caller: a connection that still comes goes straight back to the pool.
      pending.then(
        (client) => client.release(),
        () => undefined,
      );
      throw err instanceof DatabaseUnreachableError || refusedByDatabase(err)
        ? err
        : new DatabaseUnreachableError(message(err), { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every connection. */
  end(): Promise<void> {
    this.#ended = true;
    clearTimeout(this.#retry);
    return this.#pool.end();
  }

  /**
   * Resolves once every connection abandoned before this call can no longer commit anything (its
   * backend is gone); rejects while the database is out of reach.
   */
  async settleAbandoned(): Promise<void> {
    const asked = Date.now();
    while ([...this.#abandoned.values()].some((at) => at <= asked)) {
      this.#settling ??= this.#settleOnce().finally(() => (this.#settling = undefined));
      await this.#settling;
    }
  }

  /** Called by a client whose query failed without an answer: never reuse it, fence its backend. */
  abandon(client: pg.PoolClient, cause: unknown): void {
    const internals = client as unknown as PgClientInternals;
    internals.connection?.stream?.destroy();
    const pid = internals.processID ?? undefined;
    this.#log.warn({ pid, reason: message(cause) }, 'PostgreSQL connection abandoned: no answer');
    if (pid === undefined) return;
    this.#abandoned.set(pid, Date.now());
    this.#scheduleSettle();
  }

  /** Called on every answered query: the database is back, so settle what was abandoned now. */
  answered(): void {
    if (this.#abandoned.size === 0 || this.#settling !== undefined || this.#ended) return;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#retryMs = 0;
    this.#scheduleSettle();
  }

  #scheduleSettle(): void {
    if (this.#retry !== undefined || this.#ended) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.settleAbandoned().then(
        () => (this.#retryMs = SETTLE_FIRST_MS),
        (err: unknown) => {
          this.#log.debug({ reason: message(err) }, 'abandoned PostgreSQL backends not settled yet');
          this.#retryMs = Math.min(Math.max(this.#retryMs * 2, SETTLE_FIRST_MS), SETTLE_MAX_MS);
          this.#scheduleSettle();
        },
      );
    }, this.#retryMs);
    this.#retry.unref();
  }

  /** Terminates the abandoned backends still there and waits until they are gone. */
  async #settleOnce(): Promise<void> {
    const now = Date.now();
    const entries = [...this.#abandoned];
    const pids = entries.map(([pid]) => pid);
    // Seconds since each was abandoned: a backend that started later is a reused pid, not ours.
    const ages = entries.map(([, at]) => (now - at) / 1000);
    const client = await this.connect();
    let failed: unknown;
    try {
      const still = async (terminate: boolean) => {
        const { rows } = await client.query<{ pid: number }>(
          `select a.pid, ${terminate ? 'pg_terminate_backend(a.pid)' : 'true'} as signalled
             from pg_stat_activity a
             join unnest($1::int[], $2::float8[]) as x(pid, age) on a.pid = x.pid
            where a.usename = current_user
              and a.backend_start < now() - make_interval(secs => x.age)`,
          [pids, ages],
        );
        return new Set(rows.map((r) => Number(r.pid)));
      };
      let alive = await still(true);
      for (let i = 0; i < GONE_POLLS && alive.size > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, GONE_POLL_MS));
        alive = await still(false);
      }
      for (const [pid, at] of entries) {
        if (!alive.has(pid) && this.#abandoned.get(pid) === at) this.#abandoned.delete(pid);
      }
      if (alive.size > 0) {
        throw new DatabaseUnreachableError(`abandoned backends still running: ${[...alive].join(', ')}`);
      }
      if (entries.length > 0) this.#log.info({ pids }, 'abandoned PostgreSQL backends are gone');
    } catch (err) {
      failed = err;
      throw err;
    } finally {
      client.release(failed !== undefined);
    }
  }
}

/** One checked-out connection; see GuardedPool. */
class GuardedClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient;
  readonly #pool: GuardedPool;
  #broken: unknown;
  #discarded = false;
  readonly #onError = (err: unknown) => this.#break(err);

  constructor(client: pg.PoolClient, pool: GuardedPool) {
    this.#client = client;
    this.#pool = pool;
    // While checked out the pool does not listen: a connection dying now must not be an
    // uncaught 'error' event.
    client.on('error', this.#onError);
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') throw new TypeError('cursors are not supported');
    if (this.#broken !== undefined) {
      return Promise.reject(
        new DatabaseUnreachableError(`connection abandoned: ${message(this.#broken)}`, {
          cause: this.#broken,
        }),
      );
    }
    // node-postgres reads query_timeout from the query's config too (its types omit it).
    const config: pg.QueryConfig & { query_timeout?: number } = {
      text: sqlOrCursor,
      values: [...(parameters ?? [])],
    };
    if (!slowQueriesAllowed()) config.query_timeout = QUERY_TIMEOUT_MS;
    return this.#client.query(config).then(
      (result) => {
        this.#pool.answered();
        return result as unknown as PostgresQueryResult<R>;
      },
      (err: unknown) => {
        if (refusedByDatabase(err)) throw err;
        if (reachabilityOf(err) === 'answered') {
          // Our own fault (a value pg cannot send, a row a parser rejects), not an outage: the
          // error stays what it is; the connection is closed all the same, to be safe.
          this.#discarded = true;
          throw err;
        }
        this.#break(err);
        throw new DatabaseUnreachableError(message(err), { cause: err });
      },
    );
  }

  /** Back to the pool, or (abandoned, or discarded by Kysely) closed. */
  release(destroy?: boolean): void {
    this.#client.removeListener('error', this.#onError);
    const broken = this.#broken;
    this.#client.release(
      broken !== undefined
        ? new Error(`abandoned: ${message(broken)}`)
        : destroy === true || this.#discarded
          ? true
          : undefined,
    );
  }

  #break(err: unknown): void {
    if (this.#broken !== undefined) return;
    this.#broken = err;
    this.#pool.abandon(this.#client, err);
  }
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message || err.name : String(err)).replace(/\s+/g, ' ').trim();
}
