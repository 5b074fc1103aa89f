/**
 * What a participant's signalling connection is checked against, kept in memory: a sitting's kind
 * (fixed when it is created) and who is banned from it (bans are only ever added). A join storm
 * reads the database once per sitting instead of once per connection (ADR 0037).
 *
 * Never stale in the direction that matters: a ban published on the revocation bus (this node's
 * kick, or another node's through the relay) is added to the sitting's set as it is published,
 * also while the set is being read, so a subject banned a moment ago is refused. What reaches the
 * database behind the bus's back (a direct edit, a message lost while Redis was away) is seen when
 * the sitting's entry is read again, `ttlMs` after it was read.
 */
import type { Kysely } from 'kysely';
import type { Database, SittingKind } from '../db/schema';
import type { RevocationBus } from './revocation';

/** A sitting as a participant's connection check needs it, with one subject's ban. */
export interface ParticipantAdmission {
  id: string;
  kind: SittingKind;
  ban: { subject: string; banned: boolean };
}

interface Entry {
  kind: SittingKind;
  /** Every subject banned from the sitting that this node knows of: the database's and the bus's. */
  bans: Set<string>;
  readAt: number;
  /** The read under way (the first, or one after `ttlMs`). */
  reading: Promise<boolean> | undefined;
}

/** How long a sitting's entry is used before it is read again. */
export const ADMISSION_TTL_MS = 30_000;
/** Sittings kept at most (the first remembered go first). */
const MAX_SITTINGS = 1000;

export class AdmissionCache {
  readonly #db: Kysely<Database>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(
    db: Kysely<Database>,
    revocations: RevocationBus,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.#db = db;
    this.#ttlMs = options.ttlMs ?? ADMISSION_TTL_MS;
    this.#now = options.now ?? Date.now;
    revocations.subscribe((r) => {
      if (r.kind === 'banned') this.#entries.get(r.sittingId)?.bans.add(r.subject);
    });
  }

  /** The sitting (lower-case id) and whether `subject` is banned from it; undefined if it does not exist. */
  async get(sittingId: string, subject: string): Promise<ParticipantAdmission | undefined> {
    let entry = this.#entries.get(sittingId);
    if (entry === undefined) {
      entry = { kind: 'public', bans: new Set(), readAt: -Infinity, reading: undefined };
      this.#remember(sittingId, entry);
    }
    if (this.#now() - entry.readAt >= this.#ttlMs) {
      entry.reading ??= this.#read(sittingId, entry);
      try {
        if (!(await entry.reading)) return undefined;
      } catch (err) {
        // The database did not answer a read again: what was read before still holds (and the
        // bus's bans since); a sitting never read is refused as before.
        if (entry.readAt === -Infinity) throw err;
      }
    }
    return { id: sittingId, kind: entry.kind, ban: { subject, banned: entry.bans.has(subject) } };
  }

  /** Reads the sitting's kind and bans into `entry`; false (and forgotten) when there is no such sitting. */
  async #read(sittingId: string, entry: Entry): Promise<boolean> {
    try {
      const [sitting, bans] = await Promise.all([
        this.#db.selectFrom('sittings').select('kind').where('id', '=', sittingId).executeTakeFirst(),
        this.#db.selectFrom('sitting_bans').select('subject').where('sitting_id', '=', sittingId).execute(),
      ]);
      if (sitting === undefined) {
        if (this.#entries.get(sittingId) === entry) this.#entries.delete(sittingId);
        return false;
      }
      entry.kind = sitting.kind;
      // Added to what the bus brought meanwhile: a ban is never taken back.
      for (const ban of bans) entry.bans.add(ban.subject);
      entry.readAt = this.#now();
      return true;
    } catch (err) {
      if (this.#entries.get(sittingId) === entry && entry.readAt === -Infinity)
        this.#entries.delete(sittingId);
      throw err;
    } finally {
      entry.reading = undefined;
    }
  }

  #remember(sittingId: string, entry: Entry): void {
    if (this.#entries.size >= MAX_SITTINGS) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(sittingId, entry);
  }
}
