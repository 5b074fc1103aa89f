import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Recorder, RecordingFile, RecordingStatus } from '@seduta/recorder';
import { appendAudit } from '../audit/audit-log';
import type { Database } from '../db/schema';
import type { RecordingListItem, RecordingTrackItem } from '../protocol/recordings';
import { AppError } from '../errors';
import { parseByteRange } from './byte-range';
import { sendRecordingFile } from './file-response';
import { requestActor, requireManages, requireRecordingsRole } from './recording-access';

/** Options of the recordings HTTP routes. */
export interface RecordingRoutesOptions {
  recorder: Recorder;
  db: Kysely<Database>;
  /** RECORDINGS_HOST_DOWNLOAD: the sitting's host may list and download too, not only admins. */
  hostDownload: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOT_FOUND = () => new AppError('not_found', 'no such recording file');

function toListItem(s: RecordingStatus): RecordingListItem {
  return {
    id: s.id,
    state: s.state,
    startedAt: s.startedAt.toISOString(),
    requestedAt: s.requestedAt?.toISOString() ?? null,
    // Null until the first media is on disk ('starting'), and for recordings made before it was kept.
    startDelayMs:
      s.requestedAt && s.state !== 'starting' ? s.startedAt.getTime() - s.requestedAt.getTime() : null,
    stoppedAt: s.stoppedAt?.toISOString() ?? null,
    duration: s.final?.duration ?? s.recordedSeconds,
    size: s.final?.size ?? null,
    degraded: s.degraded,
    problems: s.problems.map((p) => ({
      kind: p.kind,
      participantName: p.participantName,
      source: p.source,
      from: p.from,
      to: p.to,
      text: p.text,
    })),
    progress: s.progress,
    error: s.error,
    purged: s.purged,
  };
}

/**
 * Admin downloads: a sitting's recordings, the final file of one (with Range for seeking), its
 * per-track originals. Files are addressed by id only (RecordingFiles resolves them inside
 * RECORDINGS_DIR); any id that is not a known file is 404. Every file response is audit-logged.
 * The guard (auth/http-permissions.ts) admits only hosts and admins; hosts also need
 * RECORDINGS_HOST_DOWNLOAD and to run the sitting.
 */
export async function recordingRoutes(app: FastifyInstance, opts: RecordingRoutesOptions): Promise<void> {
  const { recorder, db, hostDownload } = opts;

  const serve = async (
    req: FastifyRequest<{ Querystring: { download?: string } }>,
    reply: FastifyReply,
    file: RecordingFile,
    segmentId: string | null,
  ) => {
    await requireManages(req, db, file.sittingId);
    const range = parseByteRange(req.headers.range, file.size);
    const download = req.query.download === '1';
    await appendAudit(db, {
      ...requestActor(req),
      action: 'recording.download',
      sittingId: file.sittingId,
      details: {
        recordingId: file.recordingId,
        segmentId,
        sha256: file.sha256,
        range: typeof range === 'object' ? `${range.start}-${range.end}` : (range ?? 'full'),
        download,
      },
    });
    return sendRecordingFile(reply, file, range, download);
  };

  app.get<{ Params: { id: string } }>('/api/sittings/:id/recordings', async (req) => {
    requireRecordingsRole(req, hostDownload);
    return { recordings: (await recorder.list(req.params.id)).map(toListItem) };
  });

  app.get<{ Params: { id: string }; Querystring: { download?: string } }>(
    '/api/recordings/:id/file',
    async (req, reply) => {
      requireRecordingsRole(req, hostDownload);
      const file = UUID.test(req.params.id) ? await recorder.files.final(req.params.id) : undefined;
      if (!file) throw NOT_FOUND();
      return serve(req, reply, file, null);
    },
  );

  app.get<{ Params: { id: string } }>('/api/recordings/:id/tracks', async (req) => {
    requireRecordingsRole(req, hostDownload);
    if (!UUID.test(req.params.id)) throw NOT_FOUND();
    const status = await recorder.status(req.params.id).catch(() => undefined);
    if (!status) throw NOT_FOUND();
    await requireManages(req, db, status.sittingId);
    const rows = await db
      .selectFrom('recording_segments')
      .selectAll()
      .where('recording_id', '=', status.id)
      .orderBy('started_at')
      .orderBy('file')
      .execute();
    const tracks: RecordingTrackItem[] = rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      source: r.source,
      participantName: r.participant_name,
      isHost: r.is_host,
      codec: r.codec,
      startedAt: r.started_at.toISOString(),
      endedAt: r.ended_at.toISOString(),
      size: r.size,
      sha256: r.sha256,
      complete: r.complete,
    }));
    return { recordingId: status.id, purged: status.purged, tracks };
  });

  app.get<{ Params: { id: string; segmentId: string }; Querystring: { download?: string } }>(
    '/api/recordings/:id/tracks/:segmentId/file',
    async (req, reply) => {
      requireRecordingsRole(req, hostDownload);
      const { id, segmentId } = req.params;
      const file =
        UUID.test(id) && UUID.test(segmentId) ? await recorder.files.segment(segmentId) : undefined;
      if (!file || file.recordingId !== id) throw NOT_FOUND();
      return serve(req, reply, file, segmentId);
    },
  );
}
