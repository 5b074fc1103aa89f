/**
 * Chat lines refused to their sender although their insert may have reached the database (the
 * answer was lost: a timeout, a connection cut). Until they are withdrawn they are left out of
 * the history; they are withdrawn (deleted) once the database answers again and the connection
 * that carried them can no longer commit anything (settleAbandoned). So a refused line is never
 * shown, whether its insert committed before the cut, during it, or never.
 */
import type { Kysely } from 'kysely';
import { settleAbandoned } from '../db/open';
import type { Database } from '../db/schema';
import { isDatabaseClosed } from '../db/unreachable';

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5000;

/** The unsent lines of one database (shared by every sitting's chat, and its next live run). */
export class UnsentLines {
  static readonly #byDb = new WeakMap<Kysely<Database>, UnsentLines>();

  /** The registry of db (one per database handle). */
  static of(db: Kysely<Database>): UnsentLines {
    let lines = UnsentLines.#byDb.get(db);
    if (!lines) UnsentLines.#byDb.set(db, (lines = new UnsentLines(db)));
    return lines;
  }

  readonly #db: Kysely<Database>;
  /** Line id → its sitting, and whether its insert has settled (only then can it be withdrawn). */
  readonly #lines = new Map<string, { sittingId: string; settled: boolean }>();
  #timer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_FIRST_MS;
  #sweeping: Promise<void> | undefined;

  private constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Ids of the sitting's lines still to withdraw (to leave out of its history). */
  pending(sittingId: string): string[] {
    return [...this.#lines].filter(([, line]) => line.sittingId === sittingId).map(([id]) => id);
  }

  /** How many lines are still to withdraw. */
  get size(): number {
    return this.#lines.size;
  }

  /**
   * Remembers a refused line; it is withdrawn in the background (retried until it is) once
   * `insert`, the statement that may store it, has settled.
   */
  add(sittingId: string, id: string, insert: Promise<unknown>): void {
    const line = { sittingId, settled: false };
    this.#lines.set(id, line);
    const settled = () => {
      line.settled = true;
      this.#schedule();
    };
    insert.then(settled, settled);
  }

  /**
   * Withdraws every pending line now; rejects while the database is out of reach (the lines stay
   * pending and the background retry goes on).
   */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweepOnce().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async #sweepOnce(): Promise<void> {
    // An insert still running could commit after the delete: its line waits for the next sweep.
    const ids = [...this.#lines].filter(([, line]) => line.settled).map(([id]) => id);
    if (ids.length === 0) return;
    // First make sure no lost insert can still land, then delete whatever did.
    await settleAbandoned(this.#db);
    await this.#db.deleteFrom('chat_messages').where('id', 'in', ids).execute();
    for (const id of ids) this.#lines.delete(id);
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.sweep().then(
        () => {
          this.#retryMs = RETRY_FIRST_MS;
          if ([...this.#lines.values()].some((line) => line.settled)) this.#schedule();
        },
        (err: unknown) => {
          // The process is shutting down: nothing more can be done (see the ADR).
          if (isDatabaseClosed(err)) return;
          this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
          this.#schedule();
        },
      );
    }, this.#retryMs);
    this.#timer.unref();
  }
}
