import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '@seduta/server';
import { digestFile, isFile } from './checksum';
import type { RecorderConfig } from './config';
import { recordingCoverage, type TrackCoverage } from './coverage';
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

/** Coverage of the tracks of one recording. */
export interface RecordingCoverageReport {
  recordingId: string;
  tracks: TrackCoverage[];
}

/** Outcome of {@link verifyRecordings}. */
export interface VerifyReport {
  recordings: number;
  files: number;
  mismatches: VerifyMismatch[];
  /** Per recording (only when asked for with `coverage`), every track's live and recorded seconds. */
  coverage: RecordingCoverageReport[];
}

/** A track recorded for less than this share of its live time is reported as not covered. */
export const COVERAGE_MIN_RATIO = 0.9;

/**
 * Recomputes the SHA-256 of every segment and final file of every recording whose files have not
 * been purged, and lists those that differ from the checksum stored when they were closed. With
 * `coverage`, also decodes every track and compares its recorded seconds with the seconds it was
 * live (recording_tracks).
 */
export async function verifyRecordings(deps: {
  db: Kysely<Database>;
  config: Pick<RecorderConfig, 'recordingsDir'> & Partial<Pick<RecorderConfig, 'ffprobePath'>>;
  /** Only this recording (default: all). */
  recordingId?: string;
  coverage?: boolean;
}): Promise<VerifyReport> {
  const repo = new RecordingsRepo(deps.db);
  const rows = (await repo.listUnpurged()).filter((r) => !deps.recordingId || r.id === deps.recordingId);
  const report: VerifyReport = { recordings: rows.length, files: 0, mismatches: [], coverage: [] };
  const check = async (recordingId: string, file: string, expected: string) => {
    report.files += 1;
    const absolute = path.join(deps.config.recordingsDir, file);
    const actual = (await isFile(absolute)) ? (await digestFile(absolute)).sha256 : 'missing';
    if (actual !== expected) report.mismatches.push({ recordingId, file, expected, actual });
  };
  for (const row of rows) {
    for (const segment of await repo.segments(row.id)) await check(row.id, segment.file, segment.sha256);
    if (row.final_path && row.final_sha256) await check(row.id, row.final_path, row.final_sha256);
    if (deps.coverage) {
      const tracks = await recordingCoverage({
        repo,
        row,
        recordingsDir: deps.config.recordingsDir,
        ffprobePath: deps.config.ffprobePath ?? 'ffprobe',
      });
      report.coverage.push({ recordingId: row.id, tracks });
    }
  }
  return report;
}
