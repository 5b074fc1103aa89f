import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { auditActor } from '../auth/principal';
import { manages, sittingAccessInfo } from '../auth/sitting-owners';
import type { Database } from '../db/schema';
import { AppError } from '../errors';

/** Whether the caller is an admin (the guard admitted only staff to the recordings routes). */
export function isAdmin(req: FastifyRequest): boolean {
  return req.principal.kind === 'staff' && req.principal.session.user.role === 'admin';
}

/**
 * Refuses every caller but admins, and hosts when RECORDINGS_HOST_DOWNLOAD is on. Checked before
 * looking anything up, so that a host without the right learns nothing about which ids exist.
 */
export function requireRecordingsRole(req: FastifyRequest, hostDownload: boolean): void {
  if (isAdmin(req)) return;
  if (req.principal.kind === 'staff' && req.principal.session.user.role === 'host' && hostDownload) return;
  throw new AppError('forbidden', 'only admins may list or download recordings');
}

/** Refuses a host who does not run the recording's sitting (admins manage every sitting). */
export async function requireManages(
  req: FastifyRequest,
  db: Kysely<Database>,
  sittingId: string,
): Promise<void> {
  if (isAdmin(req)) return;
  const sitting = await sittingAccessInfo(db, sittingId);
  if (req.principal.kind !== 'staff' || !sitting || !manages(req.principal.session.user, sitting))
    throw new AppError('forbidden', 'this recording belongs to a sitting run by another host');
}

/** Who the audit log names for this request. */
export function requestActor(req: FastifyRequest): { actor: string; role: string } {
  return auditActor(req.principal);
}
