/**
 * Staff sessions. The browser holds a random token in the `seduta_session` cookie; the database
 * holds only its SHA-256 (so a leaked table hands out no session), the owner, a CSRF token and
 * the expiry. Sessions last SESSION_TTL_MS from sign-in, or SESSION_IDLE_MS without use.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { toStaffUser, type StaffUser } from './staff-users';

/** Name of the staff session cookie. */
export const SESSION_COOKIE = 'seduta_session';
/** Longest life of a session. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** A session unused for this long ends. */
export const SESSION_IDLE_MS = 2 * 3600_000;
/** last_seen is written at most this often. */
const TOUCH_EVERY_MS = 60_000;

/** A valid session with its account. */
export interface StaffSession {
  /** sha256(token), hex: the row id. */
  id: string;
  user: StaffUser;
  csrfToken: string;
  expiresAt: Date;
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** Starts a session for an account; returns the cookie token (shown once) and the session. */
export async function createSession(
  db: Kysely<Database>,
  user: StaffUser,
  now = new Date(),
): Promise<{ token: string; session: StaffSession }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  const id = sha256(token);
  await db
    .insertInto('staff_sessions')
    .values({
      id,
      user_id: user.id,
      csrf_token: csrfToken,
      created_at: now,
      expires_at: expiresAt,
      last_seen: now,
    })
    .execute();
  return { token, session: { id, user, csrfToken, expiresAt } };
}

/**
 * The session a cookie token names, if it is valid: not expired, not idle too long, and its
 * account enabled. Refreshes last_seen (at most once a minute).
 */
export async function findSession(
  db: Kysely<Database>,
  token: string,
  now = new Date(),
): Promise<StaffSession | undefined> {
  if (token.length === 0 || token.length > 100) return undefined;
  const id = sha256(token);
  const row = await db
    .selectFrom('staff_sessions as s')
    .innerJoin('staff_users as u', 'u.id', 's.user_id')
    .selectAll('u')
    .select(['s.id as session_id', 's.csrf_token', 's.expires_at', 's.last_seen'])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const expired =
    new Date(row.expires_at) <= now || now.getTime() - new Date(row.last_seen).getTime() > SESSION_IDLE_MS;
  if (expired || row.disabled_at !== null) {
    await db.deleteFrom('staff_sessions').where('id', '=', id).execute();
    return undefined;
  }
  if (now.getTime() - new Date(row.last_seen).getTime() > TOUCH_EVERY_MS) {
    await db.updateTable('staff_sessions').set({ last_seen: now }).where('id', '=', id).execute();
  }
  return { id, user: toStaffUser(row), csrfToken: row.csrf_token, expiresAt: new Date(row.expires_at) };
}

/** Ends a session (sign-out); idempotent. */
export async function deleteSession(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('staff_sessions').where('id', '=', id).execute();
}

/** Removes expired sessions; returns how many. */
export async function pruneSessions(db: Kysely<Database>, now = new Date()): Promise<number> {
  const idleSince = new Date(now.getTime() - SESSION_IDLE_MS);
  const result = await db
    .deleteFrom('staff_sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen', '<', idleSince)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
