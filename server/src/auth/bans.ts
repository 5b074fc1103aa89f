/**
 * Bans: a participant removed from a sitting (kicked) stays out of it. The ban is on the
 * identity's subject, so neither the same join token nor a new one for the same operator (nor
 * the same invitation link) lets them back in.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';

/** Bans `subject` from a sitting; idempotent (the first reason is kept). */
export async function banSubject(
  db: Kysely<Database>,
  ban: { sittingId: string; subject: string; reason: string; by: string },
): Promise<void> {
  await db
    .insertInto('sitting_bans')
    .values({ sitting_id: ban.sittingId, subject: ban.subject, reason: ban.reason, created_by: ban.by })
    .onConflict((oc) => oc.columns(['sitting_id', 'subject']).doNothing())
    .execute();
}

/** Whether `subject` is banned from the sitting. */
export async function isBanned(db: Kysely<Database>, sittingId: string, subject: string): Promise<boolean> {
  const row = await db
    .selectFrom('sitting_bans')
    .select('subject')
    .where('sitting_id', '=', sittingId)
    .where('subject', '=', subject)
    .executeTakeFirst();
  return row !== undefined;
}
