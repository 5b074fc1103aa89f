/**
 * 0010: what the sitting's register (server/src/register/) needs and nothing else kept: who was in
 * the sitting and when (`sitting_attendance`, one row per participant entry), and the floor's
 * timeline (`sitting_floor_events`: hands raised, lowered, approved, denied, interventions ended).
 * Written by the register's journal beside the audit log, not derived from it (ADR 0026).
 * Never edit a migration after it has landed; add a new one.
 */
import { sql, type Kysely } from 'kysely';

/** Creates sitting_attendance and sitting_floor_events. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sitting_attendance')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('sitting_id', 'uuid', (c) => c.notNull().references('sittings.id').onDelete('cascade'))
    .addColumn('participant_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('joined_at', 'timestamptz', (c) => c.notNull())
    .addColumn('left_at', 'timestamptz')
    .addColumn('leave_reason', 'text')
    .addCheckConstraint(
      'sitting_attendance_role_check',
      sql`role in ('admin', 'host', 'commissioner', 'operator')`,
    )
    .addUniqueConstraint('sitting_attendance_participant_key', ['sitting_id', 'participant_id'])
    .execute();
  await db.schema
    .createIndex('sitting_attendance_sitting_joined_idx')
    .on('sitting_attendance')
    .columns(['sitting_id', 'joined_at'])
    .execute();
  await db.schema
    .createTable('sitting_floor_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('sitting_id', 'uuid', (c) => c.notNull().references('sittings.id').onDelete('cascade'))
    .addColumn('participant_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('by_subject', 'text', (c) => c.notNull())
    .addColumn('by_name', 'text', (c) => c.notNull())
    .addColumn('by_role', 'text', (c) => c.notNull())
    .addColumn('grants', 'jsonb')
    .addCheckConstraint(
      'sitting_floor_events_event_check',
      sql`event in ('raised', 'lowered', 'approved', 'denied', 'revoked', 'stopped', 'gone')`,
    )
    // A write retried after its answer was lost must not record the event twice.
    .addUniqueConstraint('sitting_floor_events_once_key', ['sitting_id', 'participant_id', 'event', 'at'])
    .execute();
  await db.schema
    .createIndex('sitting_floor_events_sitting_at_idx')
    .on('sitting_floor_events')
    .columns(['sitting_id', 'at', 'id'])
    .execute();
}

/** Drops the register's tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sitting_floor_events').execute();
  await db.schema.dropTable('sitting_attendance').execute();
}
