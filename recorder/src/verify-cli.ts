/**
 * `npm run recordings:verify [-- <recordingId>]`: recomputes the SHA-256 of every recording file
 * (segments and final files whose retention has not expired) against the database the environment
 * configures (same variables as the server, plus RECORDINGS_DIR), prints every mismatch and exits 1
 * if there is any. With the embedded database, stop the server first (PGlite has one owner).
 */
import { createLogger, loadConfig, openDatabase } from '@seduta/server';
import { recorderConfigFromEnv } from './config';
import { verifyRecordings } from './verify';

async function run(recordingId: string | undefined): Promise<number> {
  const config = loadConfig();
  const recorder = recorderConfigFromEnv(process.env, config.dataDir);
  const database = await openDatabase(config, createLogger({ logLevel: 'warn' }));
  try {
    const report = await verifyRecordings({ db: database.db, config: recorder, recordingId });
    for (const m of report.mismatches) {
      process.stdout.write(
        `MISMATCH  ${m.recordingId}  ${m.file}  expected ${m.expected}  found ${m.actual}\n`,
      );
    }
    process.stdout.write(
      `${report.files} files of ${report.recordings} recordings checked, ${report.mismatches.length} mismatches\n`,
    );
    return report.mismatches.length === 0 ? 0 : 1;
  } finally {
    await database.close();
  }
}

run(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `seduta recordings:verify failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(2);
  },
);
