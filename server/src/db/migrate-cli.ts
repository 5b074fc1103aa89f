/**
 * `npm run migrate [-- up|down|status]`: applies pending migrations (default), reverts the last
 * one, or lists them, against the database the environment configures (same variables as the
 * server). Exits 1 with a one-line reason on failure.
 */
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { migrateDown, migrateToLatest, migrationStatus } from './migrate';
import { openDatabase } from './open';

const USAGE = 'usage: npm run migrate [-- up|down|status]';

async function run(command: string): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const database = await openDatabase(config, logger);
  try {
    switch (command) {
      case 'up':
        await migrateToLatest(database.db, logger);
        break;
      case 'down':
        await migrateDown(database.db, logger);
        break;
      case 'status':
        for (const m of await migrationStatus(database.db)) {
          process.stdout.write(`${m.executedAt?.toISOString() ?? 'pending'.padEnd(24)}  ${m.name}\n`);
        }
        break;
      default:
        throw new Error(`unknown command ${JSON.stringify(command)}; ${USAGE}`);
    }
  } finally {
    await database.close();
  }
}

run(process.argv[2] ?? 'up').then(
  () => process.exit(0),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`seduta migrate: ${err instanceof ConfigError ? '' : 'failed: '}${message}\n`);
    process.exit(1);
  },
);
