/**
 * 0005: the sitting chat. Messages are kept after deletion (deleted_at/deleted_by) so the record of
 * what was said and who removed it survives; clients never receive deleted lines.
 * Never edit a migration after it has landed; add a new one.
 */
import { sql, type Kysely } from 'kysely';

/** Creates chat_messages. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('chat_messages')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('sitting_id', 'uuid', (c) => c.notNull().references('sittings.id').onDelete('cascade'))
    .addColumn('participant_id', 'text')
    .addColumn('sender_subject', 'text', (c) => c.notNull())
    .addColumn('sender_name', 'text', (c) => c.notNull())
    .addColumn('sender_role', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('deleted_by', 'text')
    .addCheckConstraint('chat_messages_text_check', sql`length(text) between 1 and 2000`)
    .addCheckConstraint(
      'chat_messages_role_check',
      sql`sender_role in ('admin', 'host', 'commissioner', 'operator')`,
    )
    .execute();
  await db.schema
    .createIndex('chat_messages_sitting_created_idx')
    .on('chat_messages')
    .columns(['sitting_id', 'created_at'])
    .execute();
}

/** Drops chat_messages. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('chat_messages').execute();
}
