/**
 * The audit log (storico): every operation appended as one row, chained by SHA-256 so that editing,
 * removing or reordering a past row is detected by verifyAuditChain(). The database refuses
 * UPDATE, DELETE and TRUNCATE on the table (trigger in migration 0001); appends are serialised by
 * a transaction-scoped advisory lock, so concurrent writers from any number of processes keep one
 * chain. A chain cannot reveal that its newest rows were cut off: keep the lastHash of a
 * verification elsewhere (an export) to anchor it.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AuditLogRow, Database, JsonValue } from '../db/schema';
import { canonicalJson } from './canonical-json';

/** prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Key of the advisory lock that serialises appends ("SEDUTA" in hex-speak, any constant works). */
const APPEND_LOCK_KEY = 0x5eda7a;
const VERIFY_BATCH = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What happened, by whom; `at` defaults to now. */
export interface AuditEntry {
  actor: string;
  role: string;
  action: string;
  sittingId?: string | null;
  /** Any JSON-serialisable object; stored as jsonb. */
  details?: object;
  at?: Date;
}

/** A stored audit entry. */
export interface AuditRecord {
  id: number;
  at: Date;
  actor: string;
  role: string;
  action: string;
  sittingId: string | null;
  details: JsonValue;
  prevHash: string;
  hash: string;
}

/** Outcome of verifyAuditChain(). */
export type AuditChainReport =
  | { ok: true; entries: number; lastHash: string }
  | { ok: false; entries: number; brokenAtId: number; reason: string };

/**
 * Appends one entry and returns it. Pass a transaction to make the entry part of the change it
 * records (the lock is then held until that transaction ends); it must be READ COMMITTED, the
 * default, so that it sees the entry appended just before it.
 */
export async function appendAudit(db: Kysely<Database>, entry: AuditEntry): Promise<AuditRecord> {
  const hashed = hashedEntry(entry);
  if (db.isTransaction) return append(db, hashed);
  return db.transaction().execute((trx) => append(trx, hashed));
}

/**
 * Appends entries in their order in one transaction (one lock, one read of the chain's end, one
 * insert): a burst costs what one entry does. Returns them as stored, in order.
 */
export async function appendAuditBatch(db: Kysely<Database>, entries: AuditEntry[]): Promise<AuditRecord[]> {
  return appendHashedBatch(db, entries.map(hashedEntry));
}

/** {@link appendAuditBatch} of entries already checked and normalised (audit-batcher.ts). */
export async function appendHashedBatch(
  db: Kysely<Database>,
  entries: HashedFields[],
): Promise<AuditRecord[]> {
  if (entries.length === 0) return [];
  if (db.isTransaction) return appendAll(db, entries);
  return db.transaction().execute((trx) => appendAll(trx, entries));
}

/** Walks the whole log in id order, recomputing every hash and link. */
export async function verifyAuditChain(db: Kysely<Database>): Promise<AuditChainReport> {
  let prevHash = GENESIS_HASH;
  let entries = 0;
  let afterId = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(VERIFY_BATCH)
      .execute();
    for (const row of rows) {
      if (row.prev_hash !== prevHash) {
        return {
          ok: false,
          entries,
          brokenAtId: row.id,
          reason: 'prev_hash does not match the previous entry',
        };
      }
      const expected = auditHash(row.prev_hash, fromRow(row));
      if (row.hash !== expected) {
        return { ok: false, entries, brokenAtId: row.id, reason: 'hash does not match the entry content' };
      }
      prevHash = row.hash;
      entries++;
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < VERIFY_BATCH) break;
    afterId = last.id;
  }
  return { ok: true, entries, lastHash: prevHash };
}

/** The fields covered by the hash, normalised exactly as they read back from the database. */
export interface HashedFields {
  at: Date;
  actor: string;
  role: string;
  action: string;
  sittingId: string | null;
  details: JsonValue;
}

/** sha256(prevHash + canonical JSON of the entry), hex. */
export function auditHash(prevHash: string, fields: HashedFields): string {
  const canonical = canonicalJson({
    at: fields.at.toISOString(),
    actor: fields.actor,
    role: fields.role,
    action: fields.action,
    sittingId: fields.sittingId,
    details: fields.details,
  });
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

async function append(trx: Kysely<Database>, fields: HashedFields): Promise<AuditRecord> {
  await sql`select pg_advisory_xact_lock(${APPEND_LOCK_KEY})`.execute(trx);
  const last = await trx
    .selectFrom('audit_log')
    .select('hash')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const prevHash = last?.hash ?? GENESIS_HASH;
  const row = await trx
    .insertInto('audit_log')
    .values({
      at: fields.at,
      actor: fields.actor,
      role: fields.role,
      action: fields.action,
      sitting_id: fields.sittingId,
      details: JSON.stringify(fields.details),
      prev_hash: prevHash,
      hash: auditHash(prevHash, fields),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

async function appendAll(trx: Kysely<Database>, entries: HashedFields[]): Promise<AuditRecord[]> {
  await sql`select pg_advisory_xact_lock(${APPEND_LOCK_KEY})`.execute(trx);
  const last = await trx
    .selectFrom('audit_log')
    .select('hash')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  let prevHash = last?.hash ?? GENESIS_HASH;
  const values = entries.map((fields) => {
    const hash = auditHash(prevHash, fields);
    const row = {
      at: fields.at,
      actor: fields.actor,
      role: fields.role,
      action: fields.action,
      sitting_id: fields.sittingId,
      details: JSON.stringify(fields.details),
      prev_hash: prevHash,
      hash,
    };
    prevHash = hash;
    return row;
  });
  const rows = await trx.insertInto('audit_log').values(values).returningAll().execute();
  // Ids are given in the order of the values; sorted, so the records follow the entries.
  return rows.sort((a, b) => a.id - b.id).map(toRecord);
}

/** Checks and normalises an entry as it will read back (throws TypeError on a bad sitting id). */
export function hashedEntry(entry: AuditEntry): HashedFields {
  const sittingId = entry.sittingId ?? null;
  if (sittingId !== null && !UUID.test(sittingId))
    throw new TypeError(`sittingId is not a UUID: ${sittingId}`);
  // Round-trip through JSON so the hash covers what jsonb will give back (no undefined, Dates as strings).
  const details = JSON.parse(JSON.stringify(entry.details ?? {})) as JsonValue;
  return {
    at: entry.at ?? new Date(),
    actor: entry.actor,
    role: entry.role,
    action: entry.action,
    // PostgreSQL prints UUIDs in lower case.
    sittingId: sittingId?.toLowerCase() ?? null,
    details,
  };
}

function fromRow(row: AuditLogRow): HashedFields {
  return {
    at: row.at,
    actor: row.actor,
    role: row.role,
    action: row.action,
    sittingId: row.sitting_id,
    details: row.details,
  };
}

function toRecord(row: AuditLogRow): AuditRecord {
  return { id: row.id, ...fromRow(row), prevHash: row.prev_hash, hash: row.hash };
}
