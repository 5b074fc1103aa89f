/**
 * The first admin: created at startup from ADMIN_EMAIL and ADMIN_PASSWORD when no enabled admin
 * exists yet (otherwise the variables are ignored, so a restart never resets a password).
 * `npm run admin:create` does the same by hand.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { appendAudit } from '../audit/audit-log';
import type { Database } from '../db/schema';
import type { AccessConfig } from './config';
import { createStaffUser, findStaffUserByEmail, hasActiveAdmin, type StaffUser } from './staff-users';

/** Creates the configured first admin if the database has no enabled admin; returns it if created. */
export async function ensureFirstAdmin(
  db: Kysely<Database>,
  firstAdmin: AccessConfig['firstAdmin'],
  logger: Logger,
): Promise<StaffUser | undefined> {
  const log = logger.child({ module: 'access' });
  if (await hasActiveAdmin(db)) return undefined;
  // Without ADMIN_EMAIL the setup feature prints a one-time setup link (auth/first-run.ts).
  if (!firstAdmin) return undefined;
  if (await findStaffUserByEmail(db, firstAdmin.email)) {
    log.warn(
      { email: firstAdmin.email },
      'ADMIN_EMAIL names an existing account that is not an enabled admin: not changed',
    );
    return undefined;
  }
  const user = await createStaffUser(db, { ...firstAdmin, role: 'admin' });
  await appendAudit(db, {
    actor: 'system',
    role: 'system',
    action: 'staff.create',
    details: { email: user.email, role: 'admin', via: 'ADMIN_EMAIL' },
  });
  log.info({ email: user.email }, 'created the first admin from ADMIN_EMAIL');
  return user;
}
