/**
 * `npm run recordings:verify [-- <recordingId>]`: recomputes the SHA-256 of every recording file
 * (segments and final files whose retention has not expired) against the database the environment
 * configures (same variables as the server, plus RECORDINGS_DIR), prints every mismatch and exits 1
 * if there is any. Given one recording, it also checks coverage: for each producer that was live
 * during the recording, the seconds it was live against the seconds recorded in decodable frames,
 * and exits 1 when a track has less than 90 %. With the embedded database, stop the server first
 * (PGlite has one owner).
 */
import { createLogger, loadConfig, openDatabase } from '@seduta/server';
import { recorderConfigFromEnv } from './config';
import { COVERAGE_MIN_RATIO, verifyRecordings } from './verify';

async function run(recordingId: string | undefined): Promise<number> {
  const config = loadConfig();
  const recorder = recorderConfigFromEnv(process.env, config.dataDir);
  const database = await openDatabase(config, createLogger({ logLevel: 'warn' }));
  try {
    const coverage = recordingId !== undefined;
    const report = await verifyRecordings({ db: database.db, config: recorder, recordingId, coverage });
    for (const m of report.mismatches) {
      process.stdout.write(
        `MISMATCH  ${m.recordingId}  ${m.file}  expected ${m.expected}  found ${m.actual}\n`,
      );
    }
    let short = 0;
    for (const { recordingId: id, tracks } of report.coverage) {
      for (const t of tracks) {
        const ok = t.ratio >= COVERAGE_MIN_RATIO;
        if (!ok) short += 1;
        const gaps = t.gaps
          .map((g) => `${new Date(g.start).toISOString()}–${new Date(g.end).toISOString()}`)
          .join(', ');
        process.stdout.write(
          `${ok ? 'COVERED ' : 'SHORT   '}  ${id}  ${t.source} of ${t.participantName} (${t.kind}): ` +
            `${t.recordedSeconds} s recorded of ${t.liveSeconds} s live (${Math.round(t.ratio * 100)} %)` +
            `${gaps ? `; missing ${gaps}` : ''}\n`,
        );
      }
    }
    process.stdout.write(
      `${report.files} files of ${report.recordings} recordings checked, ${report.mismatches.length} mismatches` +
        `${coverage ? `, ${short} tracks below ${COVERAGE_MIN_RATIO * 100} % coverage` : ''}\n`,
    );
    return report.mismatches.length === 0 && short === 0 ? 0 : 1;
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
