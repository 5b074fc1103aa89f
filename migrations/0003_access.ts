/**
 * 0003: access control. Staff accounts and their sessions, the owner host of each sitting,
 * commissioners' invitations, bans (kicked subjects) and the e-mail outbox.
 * Never edit a migration after it has landed; add a new one.
 */
import { sql, type Kysely } from 'kysely';

/** Creates the access tables and `sittings.host_user_id`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('staff_users')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('disabled_at', 'timestamptz')
    .addCheckConstraint('staff_users_role_check', sql`role in ('admin', 'host')`)
    .addCheckConstraint(
      'staff_users_email_check',
      sql`email = lower(email) and length(email) between 3 and 254`,
    )
    .addCheckConstraint('staff_users_display_name_check', sql`length(display_name) between 1 and 80`)
    .execute();

  await db.schema
    .createTable('staff_sessions')
    // sha256 (hex) of the cookie's token: a database leak does not hand out sessions.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('staff_users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('staff_sessions_user_id_idx').on('staff_sessions').column('user_id').execute();
  await db.schema
    .createIndex('staff_sessions_expires_at_idx')
    .on('staff_sessions')
    .column('expires_at')
    .execute();

  await db.schema
    .alterTable('sittings')
    .addColumn('host_user_id', 'uuid', (c) => c.references('staff_users.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('sittings_host_user_id_idx').on('sittings').column('host_user_id').execute();

  await db.schema
    .createTable('sitting_invites')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('sitting_id', 'uuid', (c) => c.notNull().references('sittings.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addCheckConstraint(
      'sitting_invites_email_check',
      sql`email = lower(email) and length(email) between 3 and 254`,
    )
    .addCheckConstraint('sitting_invites_name_check', sql`length(name) between 1 and 80`)
    .execute();
  // One open invitation per person and sitting: a link belongs to a single person.
  await sql`
    create unique index sitting_invites_open_email_idx on sitting_invites (sitting_id, email)
    where revoked_at is null`.execute(db);

  await db.schema
    .createTable('sitting_bans')
    .addColumn('sitting_id', 'uuid', (c) => c.notNull().references('sittings.id').onDelete('cascade'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('sitting_bans_pk', ['sitting_id', 'subject'])
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Not before this time: backoff between attempts, and the lease of a message being sent.
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addCheckConstraint('outbox_status_check', sql`status in ('pending', 'sent', 'failed')`)
    .execute();
  await db.schema
    .createIndex('outbox_pending_idx')
    .on('outbox')
    .columns(['status', 'next_attempt_at'])
    .execute();
}

/** Drops everything up() created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox').execute();
  await db.schema.dropTable('sitting_bans').execute();
  await db.schema.dropTable('sitting_invites').execute();
  await db.schema.dropIndex('sittings_host_user_id_idx').execute();
  await db.schema.alterTable('sittings').dropColumn('host_user_id').execute();
  await db.schema.dropTable('staff_sessions').execute();
  await db.schema.dropTable('staff_users').execute();
}
