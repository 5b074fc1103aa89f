/**
 * The outbox: every e-mail the server sends is first a row here (pending), then sent by the
 * OutboxSender, which records each attempt: `sent` with its time, or `pending` again with the
 * error and a later next_attempt_at, or `failed` after the last attempt. Claiming pushes
 * next_attempt_at forward (a lease), so no row is held in a transaction while SMTP talks.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, OutboxTable } from '../db/schema';

/** An outbox row as read. */
export type OutboxRow = Selectable<OutboxTable>;

/** A message to send. */
export interface OutgoingMail {
  to: string;
  subject: string;
  body: string;
}

/** Adds a pending message; returns its id. */
export async function enqueueMail(db: Kysely<Database>, mail: OutgoingMail): Promise<number> {
  const row = await db
    .insertInto('outbox')
    .values({ to_address: mail.to, subject: mail.subject, body: mail.body })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Takes up to `limit` pending messages that are due, leasing each for `leaseMs` (pushing its
 * next_attempt_at forward and counting the attempt), and returns them.
 */
export async function claimDueMail(
  db: Kysely<Database>,
  limit: number,
  leaseMs: number,
  now = new Date(),
): Promise<OutboxRow[]> {
  const leaseUntil = new Date(now.getTime() + leaseMs);
  const due = db
    .selectFrom('outbox')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked();
  return db
    .updateTable('outbox')
    .set({ next_attempt_at: leaseUntil, attempts: sql<number>`attempts + 1` })
    .where('id', 'in', due)
    .returningAll()
    .execute();
}

/** Records a successful delivery. */
export async function markSent(db: Kysely<Database>, id: number, now = new Date()): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'sent', sent_at: now, last_error: null })
    .where('id', '=', id)
    .execute();
}

/** Records a failed attempt: retried at `retryAt`, or `failed` for good when retryAt is undefined. */
export async function markAttemptFailed(
  db: Kysely<Database>,
  id: number,
  error: string,
  retryAt: Date | undefined,
): Promise<void> {
  await db
    .updateTable('outbox')
    .set({
      status: retryAt === undefined ? 'failed' : 'pending',
      last_error: error.slice(0, 1000),
      ...(retryAt === undefined ? {} : { next_attempt_at: retryAt }),
    })
    .where('id', '=', id)
    .execute();
}

/** Every message to one address, oldest first (tests, the admin's view). */
export async function mailTo(db: Kysely<Database>, to: string): Promise<OutboxRow[]> {
  return db.selectFrom('outbox').selectAll().where('to_address', '=', to).orderBy('id').execute();
}
