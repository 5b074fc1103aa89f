import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import {
  appendHashedBatch,
  hashedEntry,
  type AuditEntry,
  type AuditRecord,
  type HashedFields,
} from './audit-log';

/** Most entries written in one transaction. */
const MAX_BATCH = 200;

interface Pending {
  fields: HashedFields;
  resolve: (record: AuditRecord) => void;
  reject: (err: unknown) => void;
}

/**
 * Appends audit entries with a group commit: the first is written at once; those made while a
 * write is under way wait for it and then go together in one transaction (one lock, one read of
 * the chain's end, one insert), in the order they were made. Under a burst (a join storm while
 * recording, hands raised together) the log costs one round trip per batch instead of four per
 * entry, and the chain's order is the order of the calls. Each entry's time is taken when it is
 * made; a batch that cannot be written fails every entry in it.
 */
export class AuditBatcher {
  readonly #db: Kysely<Database>;
  #queue: Pending[] = [];
  #writing = false;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Appends an entry after those appended before; resolves once it is in the log. */
  append(entry: AuditEntry): Promise<AuditRecord> {
    let fields: HashedFields;
    try {
      fields = hashedEntry({ ...entry, at: entry.at ?? new Date() });
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<AuditRecord>((resolve, reject) => {
      this.#queue.push({ fields, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          const records = await appendHashedBatch(
            this.#db,
            batch.map((p) => p.fields),
          );
          batch.forEach((p, i) => p.resolve(records[i]!));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}
