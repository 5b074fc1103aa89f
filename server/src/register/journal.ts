/**
 * The register's journal: what the sitting's register needs and nothing else keeps — who entered
 * and left a live sitting, and the floor's timeline — written as it happens, beside (not through)
 * the audit log. A write never slows or breaks the sitting: events are queued and stored one at a
 * time in order; while the database is out of reach the queue waits and retries (with a bound on
 * its length), and a write the database refuses is logged and dropped. Nothing is ever thrown back
 * into the signalling path.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema';
import { isDatabaseClosed, isDatabaseUnreachable } from '../db/unreachable';
import type { FloorEvent, PresenceEvent } from '../sittings/service';

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;
/** Writes held while the database is out of reach; past this the oldest are dropped (and logged). */
export const JOURNAL_MAX_PENDING = 10_000;
/** Why the rows of participants still in a sitting are closed when it ends. */
export const SITTING_ENDED_REASON = 'sitting ended';

/** One queued write. */
interface Write {
  what: string;
  sittingId: string;
  run(db: Kysely<Database>): Promise<unknown>;
}

/** Options (tests). */
export interface JournalOptions {
  maxPending?: number;
}

/** The ordered, retrying writer of attendance and floor events. */
export class RegisterJournal {
  readonly #db: Kysely<Database>;
  readonly #log: Logger;
  readonly #maxPending: number;
  #queue: Write[] = [];
  #draining: Promise<void> | undefined;
  #outage = false;
  #dropped = 0;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(db: Kysely<Database>, logger: Logger, options: JournalOptions = {}) {
    this.#db = db;
    this.#log = logger.child({ module: 'register' });
    this.#maxPending = options.maxPending ?? JOURNAL_MAX_PENDING;
  }

  /** Writes waiting to be stored. */
  get pending(): number {
    return this.#queue.length;
  }

  /** A participant entered (`joined`) or left a live sitting. */
  presence(e: PresenceEvent, at = new Date()): void {
    const { sittingId, participantId, identity } = e;
    if (e.change === 'joined') {
      this.#enqueue({
        what: 'attendance.joined',
        sittingId,
        run: (db) =>
          db
            .insertInto('sitting_attendance')
            .values({
              sitting_id: sittingId,
              participant_id: participantId,
              subject: identity.subject,
              name: identity.name,
              role: identity.role,
              joined_at: at,
            })
            .onConflict((oc) => oc.columns(['sitting_id', 'participant_id']).doNothing())
            .execute(),
      });
      return;
    }
    this.#enqueue({
      what: 'attendance.left',
      sittingId,
      run: (db) =>
        db
          .updateTable('sitting_attendance')
          .set({ left_at: at, leave_reason: e.reason ?? 'left' })
          .where('sitting_id', '=', sittingId)
          .where('participant_id', '=', participantId)
          .where('left_at', 'is', null)
          .execute(),
    });
  }

  /** A hand or the floor changed. */
  floor(e: FloorEvent): void {
    this.#enqueue({
      what: `floor.${e.event}`,
      sittingId: e.sittingId,
      run: (db) =>
        db
          .insertInto('sitting_floor_events')
          .values({
            sitting_id: e.sittingId,
            participant_id: e.participantId,
            subject: e.participant.subject,
            name: e.participant.name,
            event: e.event,
            at: e.at,
            by_subject: e.by.subject,
            by_name: e.by.name,
            by_role: e.by.role,
            grants: e.grants ? JSON.stringify({ audio: e.grants.audio, video: e.grants.video }) : null,
          })
          .onConflict((oc) => oc.columns(['sitting_id', 'participant_id', 'event', 'at']).doNothing())
          .execute(),
    });
  }

  /** The sitting ended at `endedAt`: whoever was still in it left then. */
  ended(sittingId: string, endedAt: Date): void {
    this.#enqueue({
      what: 'attendance.ended',
      sittingId,
      run: (db) =>
        db
          .updateTable('sitting_attendance')
          .set({ left_at: endedAt, leave_reason: SITTING_ENDED_REASON })
          .where('sitting_id', '=', sittingId)
          .where('left_at', 'is', null)
          .execute(),
    });
  }

  /**
   * Resolves once every write queued so far is stored (or dropped), or after `timeoutMs`; true if
   * the queue is empty.
   */
  async idle(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#draining && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#draining,
        new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
    }
    return this.#queue.length === 0;
  }

  /** Stops writing after trying to store what is queued for up to `timeoutMs`. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.#closed) return;
    await this.idle(timeoutMs);
    this.#closed = true;
    this.#wake?.();
    if (this.#queue.length > 0)
      this.#log.warn({ lost: this.#queue.length }, 'register: writes not stored at shutdown');
  }

  #enqueue(write: Write): void {
    if (this.#closed) return;
    this.#queue.push(write);
    if (this.#queue.length > this.#maxPending) {
      const lost = this.#queue.shift()!;
      if (this.#dropped++ === 0)
        this.#log.error(
          { sittingId: lost.sittingId, max: this.#maxPending },
          'register: too many writes waiting for the database; dropping the oldest',
        );
    }
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  async #drain(): Promise<void> {
    let retryMs = RETRY_FIRST_MS;
    while (this.#queue.length > 0 && !this.#closed) {
      const write = this.#queue[0]!;
      try {
        await write.run(this.#db);
        if (this.#queue[0] === write) this.#queue.shift();
        retryMs = RETRY_FIRST_MS;
        if (this.#outage) {
          this.#outage = false;
          this.#log.info({ dropped: this.#dropped, pending: this.#queue.length }, 'register: writing again');
          this.#dropped = 0;
        }
      } catch (err) {
        if (isDatabaseClosed(err)) return;
        if (!isDatabaseUnreachable(err)) {
          // The database refused it: retrying would not help, and later writes must go on.
          this.#log.error({ err, what: write.what, sittingId: write.sittingId }, 'register: write refused');
          if (this.#queue[0] === write) this.#queue.shift();
          continue;
        }
        if (!this.#outage) {
          this.#outage = true;
          this.#log.warn({ pending: this.#queue.length }, 'register: database out of reach; writes wait');
        }
        await this.#sleep(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
