/**
 * 0007: what makes a recording hold as evidence. A recording starts in state 'starting' until the
 * first media of every live track is on disk; `requested_at` keeps the moment the host asked, so
 * that the gap to `started_at` (the first recorded media) is known. `problems` lists every part
 * of the sitting the recording does not cover, with the reason. `recording_tracks` keeps, per
 * producer, when it was live during the recording, so that coverage can be checked against the
 * segments. Never edit a migration after it has landed; add a new one.
 */
import { sql, type Kysely } from 'kysely';

/** Adds 'starting', requested_at, problems and recording_tracks. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('recordings').dropConstraint('recordings_state_check').execute();
  await db.schema
    .alterTable('recordings')
    .addCheckConstraint(
      'recordings_state_check',
      sql`state in ('starting', 'recording', 'paused', 'stopping', 'finalizing', 'ready', 'failed')`,
    )
    .execute();
  await db.schema.alterTable('recordings').addColumn('requested_at', 'timestamptz').execute();
  await db.schema
    .alterTable('recordings')
    .addColumn('problems', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();

  await db.schema
    .createTable('recording_tracks')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('recording_id', 'uuid', (c) => c.notNull().references('recordings.id').onDelete('cascade'))
    .addColumn('producer_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('participant_id', 'text', (c) => c.notNull())
    .addColumn('participant_name', 'text', (c) => c.notNull())
    .addColumn('is_host', 'boolean', (c) => c.notNull())
    // Periods the producer was live (not paused) while recorded, [{ start, end }] (ISO times).
    .addColumn('live', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addUniqueConstraint('recording_tracks_producer_unique', ['recording_id', 'producer_id'])
    .execute();
}

/** Drops what up() added ('starting' rows become 'recording'). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('recording_tracks').execute();
  await sql`update recordings set state = 'recording' where state = 'starting'`.execute(db);
  await db.schema.alterTable('recordings').dropConstraint('recordings_state_check').execute();
  await db.schema
    .alterTable('recordings')
    .addCheckConstraint(
      'recordings_state_check',
      sql`state in ('recording', 'paused', 'stopping', 'finalizing', 'ready', 'failed')`,
    )
    .execute();
  await db.schema.alterTable('recordings').dropColumn('problems').execute();
  await db.schema.alterTable('recordings').dropColumn('requested_at').execute();
}
