import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '@seduta/server';
import { SYSTEM_ACTOR, type AuditSink } from './audit';
import type { RecorderConfig } from './config';
import { RecordingsRepo } from './recordings-repo';

/** Deps of {@link purgeExpiredRecordings}. */
export interface RetentionDeps {
  db: Kysely<Database>;
  config: Pick<RecorderConfig, 'recordingsDir' | 'retentionDays'>;
  logger: Logger;
  audit: AuditSink;
  /** Current time (tests); default now. */
  now?: Date;
}

/** One recording whose files were deleted. */
export interface PurgedRecording {
  recordingId: string;
  sittingId: string;
  segments: number;
  bytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes the files of finished recordings (ready or failed) stopped more than `retentionDays`
 * ago, marks them purged and writes one audit entry per deleted recording. The rows, their
 * checksums and the audit trail stay. Does nothing when no retention is configured.
 */
export async function purgeExpiredRecordings(deps: RetentionDeps): Promise<PurgedRecording[]> {
  const days = deps.config.retentionDays;
  if (days === undefined) return [];
  const now = deps.now ?? new Date();
  const repo = new RecordingsRepo(deps.db);
  const purged: PurgedRecording[] = [];
  for (const row of await repo.listExpired(new Date(now.getTime() - days * DAY_MS))) {
    const dir = path.join(deps.config.recordingsDir, row.sitting_id, row.id);
    // Ids come from the database as UUIDs; never delete anything but a recording's own directory.
    if (path.relative(deps.config.recordingsDir, dir) !== path.join(row.sitting_id, row.id)) continue;
    const segments = await repo.segments(row.id);
    const bytes = segments.reduce((sum, s) => sum + s.size, 0) + (row.final_size ?? 0);
    await rm(dir, { recursive: true, force: true });
    await repo.markPurged(row.id, now);
    await deps.audit({
      ...SYSTEM_ACTOR,
      action: 'recording.purged',
      sittingId: row.sitting_id,
      details: {
        recordingId: row.id,
        retentionDays: days,
        segments: segments.length,
        bytes,
        finalSha256: row.final_sha256,
      },
    });
    deps.logger.info(
      { recordingId: row.id, sittingId: row.sitting_id, bytes },
      'recording files deleted (retention)',
    );
    purged.push({ recordingId: row.id, sittingId: row.sitting_id, segments: segments.length, bytes });
  }
  return purged;
}
