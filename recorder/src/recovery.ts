/**
 * Recovery of a recording the server stopped mid-way (crash, power loss): orphaned FFmpeg processes
 * are ended cleanly, every segment file on disk that the database does not know is registered from
 * the sidecars and FFmpeg's lists, and the recording goes on to 'finalizing', marked degraded.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { SYSTEM_ACTOR, type AuditSink } from './audit';
import { digestFile } from './checksum';
import type { RecorderConfig } from './config';
import type { RecordingRow, RecordingsRepo } from './recordings-repo';
import { sdpRtpPort, sendRtcpBye } from './rtcp-bye';
import { SegmentListReader } from './segment-list';
import { TRACK_META, type TrackMeta } from './track-recorder';
import { runMetaPath, unlistedSegments, type ClosedSegment, type RunMeta } from './track-run';

/** What recovery needs. */
export interface RecoveryDeps {
  repo: RecordingsRepo;
  config: RecorderConfig;
  logger: Logger;
  audit: AuditSink;
}

const ORPHAN_EXIT_WAIT_MS = 10_000;
/** Time an orphaned FFmpeg gets to end on an RTCP BYE before it is signalled. */
const ORPHAN_BYE_WAIT_MS = 3_000;

/** Registers an interrupted recording's files and moves it to 'finalizing'. */
export async function recoverInterrupted(deps: RecoveryDeps, row: RecordingRow): Promise<void> {
  const log = deps.logger.child({ recordingId: row.id, sittingId: row.sitting_id });
  const dir = path.join(deps.config.recordingsDir, row.sitting_id, row.id);
  const stored = await deps.repo.segments(row.id);
  const known = new Set(stored.map((s) => s.file));
  let registered = 0;
  let lastEnd = Math.max(row.started_at.getTime(), ...stored.map((s) => s.ended_at.getTime()));
  for (const trackDir of await subdirectories(dir)) {
    const track = await readJson<TrackMeta>(path.join(trackDir, TRACK_META));
    if (!track) continue;
    for (const name of (await readdir(trackDir)).filter((n) => /^r\d+\.json$/.test(n)).sort()) {
      const prefix = name.slice(0, -'.json'.length);
      const run = await readJson<RunMeta>(runMetaPath(trackDir, prefix));
      if (!run) continue;
      await endOrphan(run.pid, run.sdp, log);
      for (const segment of await runSegments(trackDir, prefix, run, deps.config.ffprobePath)) {
        const file = path.relative(deps.config.recordingsDir, segment.file);
        if (known.has(file)) continue;
        const { size, sha256 } = await digestFile(segment.file);
        await deps.repo.addSegment({
          recording_id: row.id,
          producer_id: track.producerId,
          kind: track.kind,
          source: track.source,
          participant_id: track.participantId,
          participant_name: track.participantName,
          is_host: track.isHost,
          codec: run.codec,
          file,
          started_at: segment.startedAt,
          ended_at: segment.endedAt,
          size,
          sha256,
          complete: segment.complete,
        });
        lastEnd = Math.max(lastEnd, segment.endedAt.getTime());
        registered += 1;
      }
    }
  }
  let intervals = row.intervals.map((i) =>
    i.end === null ? { ...i, end: new Date(lastEnd).toISOString() } : i,
  );
  // Interrupted while starting: what was written still counts, from the first segment on.
  const all = await deps.repo.segments(row.id);
  if (intervals.length === 0 && all.length > 0) {
    const first = Math.min(...all.map((s) => s.started_at.getTime()));
    intervals = [{ start: new Date(first).toISOString(), end: new Date(lastEnd).toISOString() }];
  }
  await deps.repo.update(row.id, { state: 'finalizing', intervals, stoppedAt: new Date(lastEnd) });
  const until = new Date(lastEnd).toISOString();
  await deps.repo.setProblems(row.id, [
    ...row.problems.map((p) => (p.to === null ? { ...p, to: until } : p)),
    {
      kind: 'failure',
      producerId: null,
      participantName: null,
      source: null,
      from: until,
      to: null,
      text: `the server stopped while recording; recorded up to ${until}`,
    },
  ]);
  log.warn({ registered, was: row.state }, 'recovered a recording interrupted by a restart');
  await deps.audit({
    ...SYSTEM_ACTOR,
    action: 'recording.recovered',
    sittingId: row.sitting_id,
    details: { recordingId: row.id, previousState: row.state, segmentsRegistered: registered },
  });
}

/** A run's listed segments, then its unlisted (crash-truncated) files. */
async function runSegments(
  dir: string,
  prefix: string,
  run: RunMeta,
  ffprobePath: string,
): Promise<ClosedSegment[]> {
  const entries = await new SegmentListReader(path.join(dir, `${prefix}.csv`)).readNew();
  const seen = new Set(entries.map((e) => e.file));
  const at = run.firstPacketAt;
  const listed: ClosedSegment[] = entries.map((e) => ({
    file: path.join(dir, e.file),
    startedAt: new Date(at + e.start * 1000),
    endedAt: new Date(at + e.end * 1000),
    complete: true,
  }));
  const listedEnd = Math.max(0, ...entries.map((e) => e.end));
  return [...listed, ...(await unlistedSegments(dir, prefix, seen, listedEnd, at, ffprobePath))];
}

/**
 * Ends an FFmpeg left running by a crashed server. Its input went quiet with the server, so an
 * RTCP BYE on its port ends it cleanly (segment closed, list written); SIGTERM, then SIGKILL, only
 * if it is still there after ORPHAN_BYE_WAIT_MS.
 */
async function endOrphan(pid: number, sdpPath: string, log: Logger): Promise<void> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(sdpPath)) return;
  log.warn({ pid }, 'ending an orphaned recording ffmpeg');
  const port = sdpRtpPort(await readFile(sdpPath, 'utf8').catch(() => ''));
  if (port !== undefined) {
    await sendRtcpBye(port).catch((error: unknown) => log.warn({ err: error, pid }, 'could not send BYE'));
    if (await exitsWithin(pid, ORPHAN_BYE_WAIT_MS)) return;
  }
  process.kill(pid, 'SIGTERM');
  if (await exitsWithin(pid, ORPHAN_EXIT_WAIT_MS)) return;
  process.kill(pid, 'SIGKILL');
}

async function exitsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
