import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '@seduta/server';
import { digestFile, isFile } from './checksum';
import type { RecorderConfig } from './config';
import { RecordingsRepo } from './recordings-repo';

/** One file whose content no longer matches its stored checksum (or that is gone). */
export interface VerifyMismatch {
  recordingId: string;
  /** Relative to RECORDINGS_DIR. */
  file: string;
  expected: string;
  /** Recomputed SHA-256, or 'missing'. */
  actual: string;
}

/** Outcome of {@link verifyRecordings}. */
export interface VerifyReport {
  recordings: number;
  files: number;
  mismatches: VerifyMismatch[];
}

/**
 * Recomputes the SHA-256 of every segment and final file of every recording whose files have not
 * been purged, and lists those that differ from the checksum stored when they were closed.
 */
export async function verifyRecordings(deps: {
  db: Kysely<Database>;
  config: Pick<RecorderConfig, 'recordingsDir'>;
  /** Only this recording (default: all). */
  recordingId?: string;
}): Promise<VerifyReport> {
  const repo = new RecordingsRepo(deps.db);
  const rows = (await repo.listUnpurged()).filter((r) => !deps.recordingId || r.id === deps.recordingId);
  const report: VerifyReport = { recordings: rows.length, files: 0, mismatches: [] };
  const check = async (recordingId: string, file: string, expected: string) => {
    report.files += 1;
    const absolute = path.join(deps.config.recordingsDir, file);
    const actual = (await isFile(absolute)) ? (await digestFile(absolute)).sha256 : 'missing';
    if (actual !== expected) report.mismatches.push({ recordingId, file, expected, actual });
  };
  for (const row of rows) {
    for (const segment of await repo.segments(row.id)) await check(row.id, segment.file, segment.sha256);
    if (row.final_path && row.final_sha256) await check(row.id, row.final_path, row.final_sha256);
  }
  return report;
}
