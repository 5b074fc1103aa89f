/**
 * 0006: drops sittings.host_key_hash. The first sittings API handed out a per-sitting host key;
 * hosts now sign in with a staff account and are assigned to sittings (0003_access), and nothing
 * has read the key since. Never edit a migration after it has landed; add a new one.
 */
import type { Kysely } from 'kysely';

/** Drops the unused host key column. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sittings').dropColumn('host_key_hash').execute();
}

/** Brings the column back, empty (the keys themselves were never stored). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sittings').addColumn('host_key_hash', 'text').execute();
}
