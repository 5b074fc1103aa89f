/**
 * 0001: sittings, and the append-only hash-chained audit log.
 * Never edit a migration after it has landed; add a new one.
 */
import { sql, type Kysely } from 'kysely';

/** Creates sittings and audit_log, with the trigger that keeps audit_log append-only. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sittings')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('scheduled'))
    .addColumn('scheduled_at', 'timestamptz')
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('host_key_hash', 'text')
    .addCheckConstraint('sittings_kind_check', sql`kind in ('public', 'reserved')`)
    .addCheckConstraint('sittings_status_check', sql`status in ('scheduled', 'live', 'ended', 'cancelled')`)
    .addCheckConstraint('sittings_title_check', sql`length(title) between 1 and 500`)
    .execute();
  await db.schema
    .createIndex('sittings_status_scheduled_at_idx')
    .on('sittings')
    .columns(['status', 'scheduled_at'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    // No foreign key: the log must outlive whatever it talks about.
    .addColumn('sitting_id', 'uuid')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // Unique: two entries claiming the same predecessor would fork the chain.
    .addColumn('prev_hash', 'text', (c) => c.notNull().unique())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema.createIndex('audit_log_sitting_id_idx').on('audit_log').column('sitting_id').execute();

  await sql`
    create function audit_log_reject_change() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only: % rejected', tg_op using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`
    create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function audit_log_reject_change()`.execute(db);
  await sql`
    create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_reject_change()`.execute(db);
}

/** Drops everything up() created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await sql`drop function audit_log_reject_change()`.execute(db);
  await db.schema.dropTable('sittings').execute();
}
