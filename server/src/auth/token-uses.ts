/**
 * Single-use join tokens: the `jti` of every token exchanged is remembered (table `token_uses`,
 * migration 0011) until the token expires, so a token that leaked (a shared link, a browser
 * history, a proxy log) cannot open the sitting a second time. The table is the memory, not this
 * process: it holds across restarts and across servers sharing the database.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { AppError } from '../errors';

/** What a second exchange of the same token is told (401 `token_used`). */
export const TOKEN_USED_MESSAGE =
  'join token refused: already used (a link opens the sitting once: ask the platform for a new one)';

/** Records the use of a token; `token_used` if it was used before (atomic: one insert). */
export async function claimTokenUse(
  db: Kysely<Database>,
  use: { jti: string; sittingId: string; subject: string; expiresAt: Date },
): Promise<void> {
  const row = await db
    .insertInto('token_uses')
    .values({ jti: use.jti, sitting_id: use.sittingId, subject: use.subject, expires_at: use.expiresAt })
    .onConflict((oc) => oc.column('jti').doNothing())
    .returning('jti')
    .executeTakeFirst();
  if (!row) throw new AppError('token_used', TOKEN_USED_MESSAGE);
}

/**
 * Forgets the uses of tokens expired before `now` minus `graceMs` (an expired token is refused
 * anyway; the grace covers the tolerated clock skew); returns how many.
 */
export async function pruneTokenUses(
  db: Kysely<Database>,
  graceMs: number,
  now = new Date(),
): Promise<number> {
  const result = await db
    .deleteFrom('token_uses')
    .where('expires_at', '<', new Date(now.getTime() - graceMs))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
