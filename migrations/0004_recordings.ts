/**
 * 0004: recordings of sittings and the segment files they are made of.
 * Never edit a migration after it has landed; add a new one.
 */
import { sql, type Kysely } from 'kysely';

/** Creates recordings and recording_segments. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('recordings')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('sitting_id', 'uuid', (c) => c.notNull().references('sittings.id').onDelete('restrict'))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('recording'))
    .addColumn('degraded', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('stopped_at', 'timestamptz')
    .addColumn('started_by', 'text', (c) => c.notNull())
    // Periods actually recorded, [{ start, end }] (ISO times, end null while open); pauses are the gaps.
    .addColumn('intervals', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('progress', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    // The finalized file; final_path is relative to RECORDINGS_DIR.
    .addColumn('final_path', 'text')
    .addColumn('final_duration', 'double precision')
    .addColumn('final_size', 'bigint')
    .addColumn('final_sha256', 'text')
    .addColumn('final_codec', 'text')
    // Set when the retention policy deleted the files; the row stays as the record that they existed.
    .addColumn('purged_at', 'timestamptz')
    .addCheckConstraint(
      'recordings_state_check',
      sql`state in ('recording', 'paused', 'stopping', 'finalizing', 'ready', 'failed')`,
    )
    .addCheckConstraint('recordings_progress_check', sql`progress between 0 and 1`)
    .execute();
  await db.schema.createIndex('recordings_sitting_id_idx').on('recordings').column('sitting_id').execute();
  await db.schema.createIndex('recordings_state_idx').on('recordings').column('state').execute();

  await db.schema
    .createTable('recording_segments')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('recording_id', 'uuid', (c) => c.notNull().references('recordings.id').onDelete('cascade'))
    // The track: one producer of one participant.
    .addColumn('producer_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('participant_id', 'text', (c) => c.notNull())
    .addColumn('participant_name', 'text', (c) => c.notNull())
    .addColumn('is_host', 'boolean', (c) => c.notNull())
    .addColumn('codec', 'text', (c) => c.notNull())
    // Relative to RECORDINGS_DIR.
    .addColumn('file', 'text', (c) => c.notNull().unique())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    // False for the segment FFmpeg was writing when it crashed (no trailer; may end early).
    .addColumn('complete', 'boolean', (c) => c.notNull())
    .addCheckConstraint('recording_segments_kind_check', sql`kind in ('audio', 'video')`)
    .addCheckConstraint('recording_segments_source_check', sql`source in ('camera', 'microphone', 'screen')`)
    .addCheckConstraint('recording_segments_time_check', sql`ended_at >= started_at`)
    .execute();
  await db.schema
    .createIndex('recording_segments_recording_id_idx')
    .on('recording_segments')
    .columns(['recording_id', 'started_at'])
    .execute();
}

/** Drops everything up() created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('recording_segments').execute();
  await db.schema.dropTable('recordings').execute();
}
