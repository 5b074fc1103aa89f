/**
 * 0011: single-use join tokens. `token_uses` remembers the `jti` of every join token exchanged
 * until the token expires, so the same token cannot be exchanged twice (issue 16, ADR 0028). The
 * access service prunes rows whose token has expired. Never edit a migration after it has landed;
 * add a new one.
 */
import { sql, type Kysely } from 'kysely';

/** Creates token_uses. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('token_uses')
    .addColumn('jti', 'text', (c) => c.primaryKey())
    .addColumn('sitting_id', 'uuid', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('token_uses_jti_check', sql`length(jti) between 1 and 200`)
    .execute();
  await db.schema.createIndex('token_uses_expires_idx').on('token_uses').column('expires_at').execute();
}

/** Drops token_uses. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('token_uses').execute();
}
