import type { Kysely, Selectable } from 'kysely';
import type { Database, SittingsTable } from '../db/schema';
import type { SittingInfo, SittingKind, SittingStatus } from '../protocol';

type SittingRow = Selectable<SittingsTable>;

const iso = (d: Date | string | null): string | null => (d == null ? null : new Date(d).toISOString());

/** The public description of a sitting row. */
export function toSittingInfo(row: SittingRow): SittingInfo {
  return {
    id: row.id,
    title: row.title,
    kind: row.kind,
    status: row.status,
    scheduledAt: iso(row.scheduled_at),
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
  };
}

/** Reads one sitting, or undefined. */
export async function findSitting(db: Kysely<Database>, id: string): Promise<SittingRow | undefined> {
  return db.selectFrom('sittings').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Inserts a scheduled sitting. */
export async function insertSitting(
  db: Kysely<Database>,
  values: {
    title: string;
    kind: SittingKind;
    scheduledAt: Date | null;
    createdBy: string;
  },
): Promise<SittingRow> {
  return db
    .insertInto('sittings')
    .values({
      title: values.title,
      kind: values.kind,
      status: 'scheduled',
      scheduled_at: values.scheduledAt,
      created_by: values.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Moves a sitting from `from` to `to` only if it is still in `from` (compare-and-set, so two
 * concurrent transitions cannot both win). Returns the updated row, or undefined if it lost.
 */
export async function transitionSitting(
  db: Kysely<Database>,
  id: string,
  from: SittingStatus,
  to: SittingStatus,
): Promise<SittingRow | undefined> {
  const now = new Date();
  return db
    .updateTable('sittings')
    .set({
      status: to,
      ...(to === 'live' ? { started_at: now } : {}),
      ...(to === 'ended' || to === 'cancelled' ? { ended_at: now } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
}
