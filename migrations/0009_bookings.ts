/**
 * 0009: bookings (*prenotazioni*, issue 13). `bookings` holds one request for a sitting and, once
 * accepted, the sitting it became with its meeting code and operator password; `booking_messages`
 * is its thread (with each side's read time); `booking_attachments` the files of a message, stored
 * under DATA_DIR by SHA-256 (server/src/bookings/attachments.ts). Never edit a migration after it
 * has landed; add a new one.
 */
import { sql, type Kysely } from 'kysely';

/** Creates bookings, booking_messages and booking_attachments. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('bookings')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_minutes', 'integer', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('contact_name', 'text', (c) => c.notNull())
    .addColumn('contact_email', 'text', (c) => c.notNull())
    .addColumn('participants', 'jsonb', (c) => c.notNull())
    .addColumn('recording', 'boolean', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('requester_kind', 'text', (c) => c.notNull())
    .addColumn('requester_user_id', 'uuid', (c) => c.references('staff_users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('answer_due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('confirm_token_hash', 'text', (c) => c.unique())
    .addColumn('requester_key_hash', 'text')
    .addColumn('sitting_id', 'uuid', (c) => c.unique().references('sittings.id').onDelete('set null'))
    .addColumn('meeting_code', 'text')
    .addColumn('meeting_password', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'bookings_state_check',
      sql`state in ('open', 'unavailable', 'in_processing', 'fulfilled')`,
    )
    .addCheckConstraint('bookings_visibility_check', sql`visibility in ('public', 'reserved')`)
    .addCheckConstraint('bookings_requester_kind_check', sql`requester_kind in ('host', 'public')`)
    .addCheckConstraint('bookings_duration_check', sql`duration_minutes between 15 and 600`)
    .addCheckConstraint('bookings_meeting_code_check', sql`meeting_code ~ '^[0-9]{9}$'`)
    .execute();
  await db.schema.createIndex('bookings_state_idx').on('bookings').columns(['state', 'starts_at']).execute();
  await db.schema.createIndex('bookings_code_idx').on('bookings').column('meeting_code').execute();
  await db.schema.createIndex('bookings_requester_idx').on('bookings').column('requester_user_id').execute();

  await db.schema
    .createTable('booking_messages')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('booking_id', 'uuid', (c) => c.notNull().references('bookings.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('author_kind', 'text', (c) => c.notNull())
    .addColumn('author_name', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('office_read_at', 'timestamptz')
    .addColumn('requester_read_at', 'timestamptz')
    .addCheckConstraint(
      'booking_messages_author_kind_check',
      sql`author_kind in ('office', 'requester', 'system')`,
    )
    .execute();
  await db.schema
    .createIndex('booking_messages_booking_idx')
    .on('booking_messages')
    .columns(['booking_id', 'at'])
    .execute();

  await db.schema
    .createTable('booking_attachments')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('message_id', 'uuid', (c) => c.notNull().references('booking_messages.id').onDelete('cascade'))
    .addColumn('booking_id', 'uuid', (c) => c.notNull().references('bookings.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addCheckConstraint('booking_attachments_sha256_check', sql`sha256 ~ '^[0-9a-f]{64}$'`)
    .execute();
  await db.schema
    .createIndex('booking_attachments_message_idx')
    .on('booking_attachments')
    .column('message_id')
    .execute();
}

/** Drops the booking tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('booking_attachments').execute();
  await db.schema.dropTable('booking_messages').execute();
  await db.schema.dropTable('bookings').execute();
}
