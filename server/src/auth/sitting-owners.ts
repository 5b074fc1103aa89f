/**
 * Who runs which sitting: `sittings.host_user_id` names the owner host. A host manages the
 * sittings they own; an admin manages every sitting; a sitting without an owner is admins' only.
 */
import type { Kysely } from 'kysely';
import type { Database, SittingKind, SittingStatus } from '../db/schema';
import type { SittingInfo } from '../protocol';
import { toSittingInfo } from '../sittings/sittings-repo';
import { AppError } from '../errors';
import type { SittingService } from '../sittings/service';
import { findStaffUserByEmail, type StaffUser } from './staff-users';

/** What access checks need to know about a sitting. */
export interface SittingAccessInfo {
  id: string;
  kind: SittingKind;
  status: SittingStatus;
  hostUserId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The sitting's kind, status and owner, or undefined (also for a malformed id). */
export async function sittingAccessInfo(
  db: Kysely<Database>,
  id: string,
): Promise<SittingAccessInfo | undefined> {
  if (!UUID.test(id)) return undefined;
  const row = await db
    .selectFrom('sittings')
    .select(['id', 'kind', 'status', 'host_user_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { id: row.id, kind: row.kind, status: row.status, hostUserId: row.host_user_id };
}

/** Sets the owner host of a sitting. */
export async function setSittingHost(
  db: Kysely<Database>,
  sittingId: string,
  hostUserId: string | null,
): Promise<void> {
  await db.updateTable('sittings').set({ host_user_id: hostUserId }).where('id', '=', sittingId).execute();
}

/** Whether a staff member manages the sitting: admins all, hosts their own. */
export function manages(user: StaffUser, sitting: SittingAccessInfo): boolean {
  if (user.disabled) return false;
  return user.role === 'admin' || sitting.hostUserId === user.id;
}

/** The sittings a staff member manages, newest first (admins: every sitting), with their owner. */
export async function listManagedSittings(
  db: Kysely<Database>,
  user: StaffUser,
  limit = 500,
): Promise<Array<SittingInfo & { hostUserId: string | null }>> {
  let q = db.selectFrom('sittings').selectAll().orderBy('created_at', 'desc').limit(limit);
  if (user.role !== 'admin') q = q.where('host_user_id', '=', user.id);
  const rows = await q.execute();
  return rows.map((row) => ({ ...toSittingInfo(row), hostUserId: row.host_user_id }));
}

/** The links of a sitting: the host console and the operators' page (which needs a join token). */
export function sittingLinks(publicOrigin: string, sittingId: string): { host: string; join: string } {
  return { host: `${publicOrigin}/host/${sittingId}`, join: `${publicOrigin}/s/${sittingId}` };
}

/** The id of the enabled staff account (host or admin) with this e-mail, or `bad_request`. */
export async function resolveHostByEmail(db: Kysely<Database>, email: string): Promise<string> {
  const row = await findStaffUserByEmail(db, email);
  if (!row || row.disabled_at !== null)
    throw new AppError('bad_request', `no enabled staff account for ${email}`);
  return row.id;
}

/** Creates a sitting (audit-logged by the sitting service) and records its owner host. */
export async function createOwnedSitting(
  sittings: SittingService,
  db: Kysely<Database>,
  input: {
    title: string;
    kind: SittingKind;
    scheduledAt: Date | null;
    createdBy: string;
    hostUserId: string | null;
  },
): Promise<SittingInfo> {
  const { sitting } = await sittings.create(input);
  if (input.hostUserId !== null) await setSittingHost(db, sitting.id, input.hostUserId);
  return sitting;
}
