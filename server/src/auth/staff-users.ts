/**
 * Staff accounts (admins and hosts): creation with a hashed password, look-ups, disabling and
 * re-enabling, password resets.
 * E-mail addresses are stored lower-case and are unique.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, StaffRole, StaffUsersTable } from '../db/schema';
import { AppError } from '../errors';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './config';
import { hashPassword } from './passwords';

/** A staff account as the rest of the server sees it (never the password hash). */
export interface StaffUser {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  createdAt: string;
  disabled: boolean;
}

/** A staff_users row as read. */
export type StaffUserRow = Selectable<StaffUsersTable>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Normalises an e-mail address (trimmed, lower-case) or throws `bad_request`. */
export function normaliseEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (e.length < 3 || e.length > 254 || !EMAIL.test(e))
    throw new AppError('bad_request', 'not a valid e-mail address');
  return e;
}

/** Throws `bad_request` unless the password is acceptable for a staff account. */
export function checkPasswordPolicy(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('bad_request', `the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('bad_request', `the password must have at most ${MAX_PASSWORD_LENGTH} characters`);
  }
}

/** The public form of a row. */
export function toStaffUser(row: StaffUserRow): StaffUser {
  return {
    id: row.id,
    email: row.email,
    name: row.display_name,
    role: row.role,
    createdAt: new Date(row.created_at).toISOString(),
    disabled: row.disabled_at !== null,
  };
}

/** Creates an account; `invalid_state` if the e-mail address already has one. */
export async function createStaffUser(
  db: Kysely<Database>,
  input: { email: string; name: string; role: StaffRole; password: string },
): Promise<StaffUser> {
  const email = normaliseEmail(input.email);
  const name = input.name.trim();
  if (name.length < 1 || name.length > 80)
    throw new AppError('bad_request', 'the name must have 1–80 characters');
  checkPasswordPolicy(input.password);
  const passwordHash = await hashPassword(input.password);
  const row = await db
    .insertInto('staff_users')
    .values({ email, display_name: name, role: input.role, password_hash: passwordHash })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError('invalid_state', `an account for ${email} already exists`);
  return toStaffUser(row);
}

/** The account with this e-mail address (any case), or undefined. */
export async function findStaffUserByEmail(
  db: Kysely<Database>,
  email: string,
): Promise<StaffUserRow | undefined> {
  return db
    .selectFrom('staff_users')
    .selectAll()
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
}

/** The account with this id, or undefined. */
export async function findStaffUser(db: Kysely<Database>, id: string): Promise<StaffUserRow | undefined> {
  return db.selectFrom('staff_users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every account, by e-mail address. */
export async function listStaffUsers(db: Kysely<Database>): Promise<StaffUser[]> {
  const rows = await db.selectFrom('staff_users').selectAll().orderBy('email').execute();
  return rows.map(toStaffUser);
}

/** Whether at least one enabled admin exists. */
export async function hasActiveAdmin(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('staff_users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Disables an account and ends its sessions; `not_found` if there is none. */
export async function disableStaffUser(db: Kysely<Database>, id: string): Promise<StaffUser> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('staff_users')
      .set({ disabled_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'no such account');
    await trx.deleteFrom('staff_sessions').where('user_id', '=', id).execute();
    return toStaffUser(row);
  });
}

/** Re-enables a disabled account (it may sign in again); `not_found` if there is none. */
export async function enableStaffUser(db: Kysely<Database>, id: string): Promise<StaffUser> {
  const row = await db
    .updateTable('staff_users')
    .set({ disabled_at: null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'no such account');
  return toStaffUser(row);
}

/**
 * Sets a new password (same policy as at creation) and ends the account's sessions, so whoever
 * held the old one is signed out; `not_found` if there is no such account.
 */
export async function resetStaffPassword(
  db: Kysely<Database>,
  id: string,
  password: string,
): Promise<StaffUser> {
  checkPasswordPolicy(password);
  const passwordHash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('staff_users')
      .set({ password_hash: passwordHash })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'no such account');
    await trx.deleteFrom('staff_sessions').where('user_id', '=', id).execute();
    return toStaffUser(row);
  });
}

/**
 * Changes an account's role; `not_found` if there is none, `invalid_state` if it would leave no
 * enabled admin. Sessions stay: every HTTP request reads the role afresh; open signalling
 * connections are downgraded by the caller (a `role_changed` revocation).
 */
export async function setStaffRole(db: Kysely<Database>, id: string, role: StaffRole): Promise<StaffUser> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('staff_users')
      .set({ role })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'no such account');
    if (!(await hasActiveAdmin(trx))) {
      throw new AppError('invalid_state', 'the last enabled admin cannot become a host');
    }
    return toStaffUser(row);
  });
}
