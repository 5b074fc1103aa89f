/**
 * Applies the migrations in /migrations with Kysely's Migrator. Startup calls migrateToLatest();
 * `npm run migrate` (migrate-cli.ts) exposes the same plus rollback and status.
 */
import { Migrator, NO_MIGRATIONS, type Kysely, type MigrationResultSet } from 'kysely';
import { migrations } from '../../../migrations/index';
import type { Logger } from '../logger';
import { allowSlowQueries } from './guarded-pool';

/** Thrown when a migration fails; the message names the migration and its error on one line. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** A migration's name and whether it has been applied. */
export interface MigrationState {
  name: string;
  executedAt: Date | undefined;
}

/** Applies every pending migration, in order, each in its own transaction (no query timeout). */
export async function migrateToLatest<DB>(db: Kysely<DB>, logger: Logger): Promise<string[]> {
  return report(await allowSlowQueries(() => migrator(db).migrateToLatest()), logger);
}

/** Reverts the most recently applied migration. */
export async function migrateDown<DB>(db: Kysely<DB>, logger: Logger): Promise<string[]> {
  return report(await allowSlowQueries(() => migrator(db).migrateDown()), logger);
}

/** Reverts every migration (tests and disaster recovery only: drops all data). */
export async function migrateToZero<DB>(db: Kysely<DB>, logger: Logger): Promise<string[]> {
  return report(await allowSlowQueries(() => migrator(db).migrateTo(NO_MIGRATIONS)), logger);
}

/** Lists every known migration with its execution time, if applied. */
export async function migrationStatus<DB>(db: Kysely<DB>): Promise<MigrationState[]> {
  const infos = await migrator(db).getMigrations();
  return infos.map((m) => ({ name: m.name, executedAt: m.executedAt }));
}

function migrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
}

function report({ error, results = [] }: MigrationResultSet, logger: Logger): string[] {
  const log = logger.child({ module: 'migrate' });
  for (const r of results) {
    if (r.status === 'Success')
      log.info({ migration: r.migrationName, direction: r.direction }, 'migration applied');
  }
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(
      `${failed !== undefined ? `migration ${failed} failed` : 'migrations failed'}: ${reason.replace(/\s+/g, ' ')}`,
      { cause: error },
    );
  }
  if (results.length === 0) log.info('database schema is up to date');
  return results.map((r) => r.migrationName);
}
