/**
 * The register's journal: what the sitting's register needs and nothing else keeps — who entered
 * and left a live sitting, and the floor's timeline — written as it happens, beside (not through)
 * the audit log. A write never slows or breaks the sitting: events are queued and stored one at a
 * time in order; while the database is out of reach the queue waits and retries (with a bound on
 * its length), and a write the database refuses is logged and dropped. Nothing is ever thrown back
 * into the signalling path.
 *
 * Entries are written as groups (ADR 0036): a `joined` at the head of the queue waits up to
 * {@link JOIN_WINDOW_MS} for others, and the consecutive `joined` rows are then inserted by one
 * statement, in the order they happened (each with the time it happened); any other write (a
 * leave, the floor, the sitting's end) ends the window at once, so the register's order is the
 * order of the events. A group the database refuses is written again one row at a time, so that
 * one bad row does not lose the others.
 */
import type { Insertable, Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, SittingAttendanceTable } from '../db/schema';
import { isDatabaseClosed, isDatabaseUnreachable } from '../db/unreachable';
import type { FloorEvent, PresenceEvent } from '../sittings/service';

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;
/** Writes held while the database is out of reach; past this the oldest are dropped (and logged). */
export const JOURNAL_MAX_PENDING = 10_000;
/** How long a `joined` waits for others to be inserted with it (a join storm's rows go together). */
export const JOIN_WINDOW_MS = 250;
/** Most attendance rows inserted by one statement. */
const MAX_GROUP = 200;
/** Why the rows of participants still in a sitting are closed when it ends. */
export const SITTING_ENDED_REASON = 'sitting ended';

/** One queued write. */
interface Write {
  what: string;
  sittingId: string;
  run(db: Kysely<Database>): Promise<unknown>;
  /** A `joined`'s row: consecutive ones are inserted together. */
  attendance?: Insertable<SittingAttendanceTable>;
}

/** Inserts attendance rows, in their order (a row already there is kept). */
function insertAttendance(db: Kysely<Database>, rows: Array<Insertable<SittingAttendanceTable>>) {
  return db
    .insertInto('sitting_attendance')
    .values(rows)
    .onConflict((oc) => oc.columns(['sitting_id', 'participant_id']).doNothing())
    .execute();
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
  /** Closing: no more windows. */
  #flushing = false;
  #wake: (() => void) | undefined;
  /** Ends the `joined` window early (another kind of write, or shutdown). */
  #flush: (() => void) | undefined;
  /** Writes at the head to store one at a time (a group the database refused). */
  #solo = 0;

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
      const attendance = {
        sitting_id: sittingId,
        participant_id: participantId,
        subject: identity.subject,
        name: identity.name,
        role: identity.role,
        joined_at: at,
      };
      this.#enqueue({
        what: 'attendance.joined',
        sittingId,
        attendance,
        run: (db) => insertAttendance(db, [attendance]),
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
    this.#flushing = true;
    this.#flush?.();
    await this.idle(timeoutMs);
    this.#closed = true;
    this.#wake?.();
    if (this.#queue.length > 0)
      this.#log.warn({ lost: this.#queue.length }, 'register: writes not stored at shutdown');
  }

  #enqueue(write: Write): void {
    if (this.#closed) return;
    this.#queue.push(write);
    if (write.attendance === undefined) this.#flush?.();
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
      if (this.#queue[0]!.attendance && this.#solo === 0) await this.#window();
      const write = this.#queue[0];
      if (!write) break;
      const group = this.#solo > 0 ? [write] : this.#attendanceGroup();
      try {
        if (group.length > 1)
          await insertAttendance(
            this.#db,
            group.map((w) => w.attendance!),
          );
        else await write.run(this.#db);
        // What is still at the head of it (the oldest may have been dropped meanwhile).
        for (const w of group) if (this.#queue[0] === w) this.#queue.shift();
        if (this.#solo > 0) this.#solo--;
        retryMs = RETRY_FIRST_MS;
        if (this.#outage) {
          this.#outage = false;
          this.#log.info({ dropped: this.#dropped, pending: this.#queue.length }, 'register: writing again');
          this.#dropped = 0;
        }
      } catch (err) {
        if (isDatabaseClosed(err)) return;
        if (!isDatabaseUnreachable(err) && group.length > 1) {
          // One of the rows was refused: store them one by one, so only that one is lost.
          this.#solo = group.length;
          continue;
        }
        if (!isDatabaseUnreachable(err)) {
          // The database refused it: retrying would not help, and later writes must go on.
          this.#log.error({ err, what: write.what, sittingId: write.sittingId }, 'register: write refused');
          if (this.#queue[0] === write) this.#queue.shift();
          if (this.#solo > 0) this.#solo--;
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

  /** The consecutive `joined` writes at the head of the queue (at most {@link MAX_GROUP}). */
  #attendanceGroup(): Write[] {
    const group: Write[] = [];
    for (const w of this.#queue) {
      if (!w.attendance || group.length === MAX_GROUP) break;
      group.push(w);
    }
    return group.length > 0 ? group : this.#queue.slice(0, 1);
  }

  /** Waits up to {@link JOIN_WINDOW_MS} for more `joined`s, unless another write or close came. */
  #window(): Promise<void> {
    if (this.#flushing || this.#queue.some((w) => !w.attendance)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, JOIN_WINDOW_MS);
      timer.unref();
      this.#flush = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => (this.#flush = undefined));
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
