/**
 * `npm run audit:verify`: walks the whole audit log against the database the environment
 * configures (same variables as the server: DATABASE_URL, else the embedded database in
 * DATA_DIR), recomputing every hash and link. Prints
 *   audit chain intact: N entries, last hash <hash>                       (exit 0)
 *   audit chain broken at entry #ID (action …, at …): reason               (exit 1)
 * and exits 2 with a one-line reason when it cannot check (configuration, database). With the
 * embedded database, stop the server first (PGlite has one owner). Compiled as
 * server/dist/audit-verify.js by `npm run build`.
 */
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../db/open';
import { createLogger } from '../logger';
import { verifyAuditChain } from './audit-log';
import { findAuditEntry } from './audit-query';

async function run(): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase(config, createLogger({ logLevel: 'warn' }));
  try {
    const report = await verifyAuditChain(database.db);
    if (report.ok) {
      const last = report.entries === 0 ? 'none (the log is empty)' : report.lastHash;
      process.stdout.write(`audit chain intact: ${report.entries} entries, last hash ${last}\n`);
      return 0;
    }
    const entry = await findAuditEntry(database.db, report.brokenAtId);
    const what = entry ? ` (action ${entry.action}, at ${entry.at})` : '';
    process.stdout.write(`audit chain broken at entry #${report.brokenAtId}${what}: ${report.reason}\n`);
    process.stdout.write(`${report.entries} entries before it verify.\n`);
    return 1;
  } finally {
    await database.close();
  }
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`seduta audit:verify: ${err instanceof ConfigError ? '' : 'failed: '}${message}\n`);
    process.exit(2);
  },
);
