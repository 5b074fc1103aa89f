import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { TypedEmitter } from '@seduta/media';
import type { Database } from '@seduta/server';
import { SYSTEM_ACTOR, type Actor, type AuditSink } from './audit';
import { DEFAULT_MIN_FREE_BYTES, type RecorderConfig } from './config';
import { RecorderError } from './errors';
import { Finalizer } from './finalizer';
import { RecordingFiles } from './recording-files';
import { Recording } from './recording';
import { RecordingsRepo } from './recordings-repo';
import type { RecordingProblem, RecordingRow, RecordingState } from './recordings-repo';
import type { TrackGap } from './recording';
import { recoverInterrupted } from './recovery';
import type { RecordableSource } from './source';

/** What the recorder needs from the server. */
export interface RecorderDeps {
  db: Kysely<Database>;
  config: RecorderConfig;
  logger: Logger;
  audit: AuditSink;
}

/** A recording as admins and the indicator see it. */
export interface RecordingStatus {
  id: string;
  sittingId: string;
  state: RecordingState;
  degraded: boolean;
  /** What the recording does not cover, and why. */
  problems: RecordingProblem[];
  /** Finalize progress, 0..1. */
  progress: number;
  /** Time of the first recorded media. */
  startedAt: Date;
  /** When the host asked to record (null for recordings made before it was kept). */
  requestedAt: Date | null;
  stoppedAt: Date | null;
  /** Seconds actually recorded (pauses excluded); the length of the final file. */
  recordedSeconds: number;
  final: { duration: number; size: number; sha256: string; codec: string } | null;
  error: string | null;
  purged: boolean;
}

/** Payload of the recorder's 'state' event. */
export interface RecordingStateEvent {
  recordingId: string;
  sittingId: string;
  state: RecordingState;
  degraded: boolean;
  /** Live tracks not recorded right now (the host console warns). */
  gaps: TrackGap[];
}

/** Events of the {@link Recorder}, for the recording indicator and the admin pages. */
export type RecorderEvents = {
  state: [event: RecordingStateEvent];
  progress: [event: { recordingId: string; progress: number }];
};

/**
 * The server's recorder: starts one Recording per sitting at a time, audit-logs every control,
 * hands stopped recordings to the background Finalizer and reports state changes as events.
 */
export class Recorder extends TypedEmitter<RecorderEvents> {
  /** Lookup of recording files by id, for the download routes. */
  readonly files: RecordingFiles;
  readonly #deps: RecorderDeps;
  readonly #repo: RecordingsRepo;
  readonly #finalizer: Finalizer;
  readonly #log: Logger;
  readonly #active = new Map<string, Recording>();
  readonly #stopsRequested = new Set<string>();
  #closed = false;

  constructor(deps: RecorderDeps) {
    const log = deps.logger.child({ component: 'recorder' });
    super((event, error) => log.error({ err: error, event }, 'Recorder listener threw'));
    this.#deps = deps;
    this.#log = log;
    this.#repo = new RecordingsRepo(deps.db);
    this.files = new RecordingFiles(this.#repo, deps.config);
    this.#finalizer = new Finalizer({ ...deps, repo: this.#repo });
    this.#finalizer.on('progress', (recordingId, progress) =>
      this.safeEmit('progress', { recordingId, progress }),
    );
    this.#finalizer.on('done', (recordingId, state) => void this.#emitFromDb(recordingId, state));
  }

  /** Starts recording a sitting; refuses if it is already being recorded. */
  async start(source: RecordableSource, by: Actor): Promise<Recording> {
    if (this.#closed) throw new RecorderError('invalid_state', 'the recorder is shutting down');
    if (this.#active.has(source.sittingId))
      throw new RecorderError('invalid_state', 'the sitting is already being recorded');
    const recording = await Recording.create({ ...this.#deps, repo: this.#repo }, source, by.actor);
    this.#active.set(source.sittingId, recording);
    recording.on('state', (state) => this.#onState(recording, state));
    recording.on('degraded', () => this.#emitState(recording, recording.state));
    await this.#audit(by, 'recording.start', recording);
    this.#emitState(recording, recording.state);
    return recording;
  }

  /** The sitting's recording in progress (recording, paused or stopping), if any. */
  active(sittingId: string): Recording | undefined {
    return this.#active.get(sittingId);
  }

  /** Pauses a recording in progress. */
  async pause(recordingId: string, by: Actor): Promise<void> {
    const recording = this.#live(recordingId);
    await recording.pause();
    await this.#audit(by, 'recording.pause', recording);
  }

  /** Resumes a paused recording. */
  async resume(recordingId: string, by: Actor): Promise<void> {
    const recording = this.#live(recordingId);
    await recording.resume();
    await this.#audit(by, 'recording.resume', recording);
  }

  /** Stops a recording; it is then finalized in the background. */
  async stop(recordingId: string, by: Actor): Promise<void> {
    const recording = this.#live(recordingId);
    this.#stopsRequested.add(recording.id);
    try {
      await recording.stop();
    } finally {
      this.#stopsRequested.delete(recording.id);
    }
    await this.#audit(by, 'recording.stop', recording);
  }

  /**
   * Free bytes on the recordings disk, and the level under which it is reported (the directory's
   * nearest existing ancestor is measured before the first recording creates it).
   */
  async diskSpace(): Promise<{ freeBytes: number; minFreeBytes: number }> {
    let dir = this.#deps.config.recordingsDir;
    for (;;) {
      try {
        const { bavail, bsize } = await statfs(dir);
        return {
          freeBytes: bavail * bsize,
          minFreeBytes: this.#deps.config.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES,
        };
      } catch (error) {
        const parent = path.dirname(dir);
        if (parent === dir) throw error;
        dir = parent;
      }
    }
  }

  /** A recording's state from the database, with the live state of one in progress. */
  async status(recordingId: string): Promise<RecordingStatus> {
    const row = await this.#repo.get(recordingId).catch(() => undefined);
    if (!row) throw new RecorderError('not_found', 'no such recording');
    return toStatus(row);
  }

  /** A sitting's recordings, newest first. */
  async list(sittingId: string): Promise<RecordingStatus[]> {
    return (await this.#repo.listBySitting(sittingId)).map(toStatus);
  }

  /**
   * At startup: recordings interrupted by a crash (recording, paused, stopping) get their files
   * registered and move to 'finalizing'; every recording in 'finalizing' is queued again.
   */
  async resumePendingFinalizations(mine?: (row: RecordingRow) => Promise<boolean>): Promise<string[]> {
    return resumePendingFinalizations({
      ...this.#deps,
      finalizer: this.#finalizer,
      repo: this.#repo,
      ...(mine ? { mine } : {}),
    });
  }

  /**
   * Multi-node: this server took over a live sitting from an origin that died or stopped. The
   * sitting's recordings that server left interrupted (recording, paused, stopping; not one in
   * progress here) get their files registered, and they and those it left finalizing are
   * finalized here, as after a restart. Returns the ids queued.
   */
  async recoverSitting(sittingId: string): Promise<string[]> {
    if (this.#closed) return [];
    const rows = (await this.#repo.listBySitting(sittingId)).filter(
      (row) =>
        (INTERRUPTED.includes(row.state) || row.state === 'finalizing') &&
        row.id !== this.#active.get(sittingId)?.id,
    );
    for (const row of rows) {
      if (row.state !== 'finalizing') await recoverInterrupted({ ...this.#deps, repo: this.#repo }, row);
      this.#finalizer.enqueue(row.id);
      void this.#emitFromDb(row.id, 'finalizing');
    }
    return rows.map((row) => row.id);
  }

  /** Resolves when no finalize job is queued or running (tests, benchmarks). */
  finalizeIdle(): Promise<void> {
    return this.#finalizer.idle();
  }

  /** Stops every recording in progress (their finalize resumes on the next start), then the finalizer. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#finalizer.close();
    await Promise.all(
      [...this.#active.values()].map((r) =>
        r.stop().catch((error: unknown) => {
          // Already stopping (the sitting ended just before): stop() waited for that stop to end.
          if (error instanceof RecorderError && error.code === 'invalid_state') return;
          this.#log.warn({ err: error, recordingId: r.id }, 'stop on close');
        }),
      ),
    );
  }

  #live(recordingId: string): Recording {
    for (const recording of this.#active.values()) if (recording.id === recordingId) return recording;
    throw new RecorderError('not_found', 'no recording in progress with that id');
  }

  #onState(recording: Recording, state: RecordingState): void {
    if (state === 'stopping' && !this.#stopsRequested.has(recording.id)) {
      // Nobody pressed stop: the sitting ended or the server is shutting down.
      const reason = this.#closed ? 'server shutdown' : 'sitting ended';
      this.#deps
        .audit({
          ...SYSTEM_ACTOR,
          action: 'recording.stop',
          sittingId: recording.sittingId,
          details: { recordingId: recording.id, reason },
        })
        .catch((error: unknown) => this.#log.error({ err: error }, 'could not audit an automatic stop'));
    }
    if (state === 'finalizing') {
      this.#active.delete(recording.sittingId);
      this.#finalizer.enqueue(recording.id);
    }
    this.#emitState(recording, state);
  }

  #emitState(recording: Recording, state: RecordingState): void {
    this.safeEmit('state', {
      recordingId: recording.id,
      sittingId: recording.sittingId,
      state,
      degraded: recording.degraded,
      gaps: recording.gaps,
    });
  }

  async #emitFromDb(recordingId: string, state: RecordingState): Promise<void> {
    const row = await this.#repo.get(recordingId).catch(() => undefined);
    if (row)
      this.safeEmit('state', {
        recordingId,
        sittingId: row.sitting_id,
        state,
        degraded: row.degraded,
        gaps: [],
      });
  }

  async #audit(by: Actor, action: string, recording: Recording): Promise<void> {
    await this.#deps.audit({
      ...by,
      action,
      sittingId: recording.sittingId,
      details: { recordingId: recording.id },
    });
  }
}

/** Deps of {@link resumePendingFinalizations}. */
export interface ResumeDeps extends RecorderDeps {
  finalizer: Finalizer;
  repo?: RecordingsRepo;
  /**
   * Multi-node: whether a recording is this server's to recover and finalize (not one another
   * live server is making or finalizing). Default: every one (a single server).
   */
  mine?: (row: RecordingRow) => Promise<boolean>;
}

/** The states a recording is left in when its server stops mid-way. */
const INTERRUPTED: RecordingState[] = ['starting', 'recording', 'paused', 'stopping'];

/**
 * Registers the files of recordings a crash interrupted and moves them to 'finalizing', then queues
 * every recording in 'finalizing'. Returns the ids queued.
 */
export async function resumePendingFinalizations(deps: ResumeDeps): Promise<string[]> {
  const repo = deps.repo ?? new RecordingsRepo(deps.db);
  const mine = deps.mine ?? (async () => true);
  for (const row of await repo.listInStates(INTERRUPTED)) {
    if (await mine(row)) await recoverInterrupted({ ...deps, repo }, row);
  }
  const pending = [];
  for (const row of await repo.listInStates(['finalizing'])) if (await mine(row)) pending.push(row);
  for (const row of pending) deps.finalizer.enqueue(row.id);
  if (pending.length > 0) deps.logger.info({ recordings: pending.length }, 'finalize jobs resumed');
  return pending.map((r) => r.id);
}

function toStatus(row: RecordingRow): RecordingStatus {
  const recordedMs = row.intervals.reduce(
    (sum, i) => sum + ((i.end === null ? Date.now() : Date.parse(i.end)) - Date.parse(i.start)),
    0,
  );
  return {
    id: row.id,
    sittingId: row.sitting_id,
    state: row.state,
    degraded: row.degraded,
    problems: row.problems,
    progress: row.progress,
    startedAt: row.started_at,
    requestedAt: row.requested_at,
    stoppedAt: row.stopped_at,
    recordedSeconds: Math.round(recordedMs / 100) / 10,
    final:
      row.final_path !== null && row.final_sha256 !== null
        ? {
            duration: row.final_duration ?? 0,
            size: row.final_size ?? 0,
            sha256: row.final_sha256,
            codec: row.final_codec ?? '',
          }
        : null,
    error: row.error,
    purged: row.purged_at !== null,
  };
}
