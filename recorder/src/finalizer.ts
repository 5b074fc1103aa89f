import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { TypedEmitter } from '@seduta/media';
import { SYSTEM_ACTOR, type AuditSink } from './audit';
import { digestFile } from './checksum';
import type { RecorderConfig } from './config';
import { FfmpegProcess } from './ffmpeg-process';
import { FINAL_CODEC, planFinalize } from './finalize-plan';
import type { PlanSegment } from './finalize-plan';
import { probeFile } from './probe';
import type { RecordingRow, RecordingsRepo, SegmentRow } from './recordings-repo';

/** What the finalizer needs. */
export interface FinalizerDeps {
  repo: RecordingsRepo;
  config: RecorderConfig;
  logger: Logger;
  audit: AuditSink;
}

/** Events of a {@link Finalizer}. */
export type FinalizerEvents = {
  /** Progress of the running job, 0..1. */
  progress: [recordingId: string, progress: number];
  /** A job ended: the file is ready, or finalizing failed (the segments are kept either way). */
  done: [recordingId: string, state: 'ready' | 'failed'];
};

/** Stored progress is updated at most this often. */
const PROGRESS_EVERY_MS = 1000;
/** Nice value of finalize jobs. */
export const FINALIZE_PRIORITY = 5;
/** Name of the finished file in the recording's directory. */
export const FINAL_FILE = 'final.mp4';

/**
 * Background queue of finalize jobs, one at a time (each one uses every core). A job reads the
 * recording's segments, runs the FFmpeg job planned by planFinalize into a temporary file, then
 * checksums it, renames it into place and marks the recording ready. A job interrupted by close()
 * or a crash leaves the recording in 'finalizing', and runs again from scratch on the next start.
 */
export class Finalizer extends TypedEmitter<FinalizerEvents> {
  readonly #deps: FinalizerDeps;
  readonly #log: Logger;
  readonly #queue: string[] = [];
  #current: { id: string; process: FfmpegProcess | undefined } | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(deps: FinalizerDeps) {
    const log = deps.logger.child({ component: 'finalizer' });
    super((event, error) => log.error({ err: error, event }, 'Finalizer listener threw'));
    this.#deps = deps;
    this.#log = log;
  }

  /** Recordings queued or being finalized, in order. */
  get pending(): string[] {
    return [...(this.#current ? [this.#current.id] : []), ...this.#queue];
  }

  /** Queues a recording in state 'finalizing' (no-op if it is already queued). */
  enqueue(recordingId: string): void {
    if (this.#closed || this.pending.includes(recordingId)) return;
    this.#queue.push(recordingId);
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  /** Resolves when the queue is empty. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops the running job (its recording stays 'finalizing') and drops the queue. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    await this.#current?.process?.stop();
    await this.#running;
  }

  async #drain(): Promise<void> {
    for (let id = this.#queue.shift(); id !== undefined && !this.#closed; id = this.#queue.shift()) {
      this.#current = { id, process: undefined };
      try {
        await this.#finalize(id);
      } catch (error) {
        if (this.#closed) {
          this.#log.info({ recordingId: id }, 'finalize interrupted; it will resume on the next start');
        } else {
          this.#log.error({ err: error, recordingId: id }, 'finalize failed');
          await this.#fail(id, error instanceof Error ? error.message : String(error));
        }
      } finally {
        this.#current = undefined;
      }
    }
  }

  async #finalize(id: string): Promise<void> {
    const { repo, config } = this.#deps;
    const row = await repo.get(id);
    if (!row || row.state !== 'finalizing') return;
    const segments = await repo.segments(id);
    const dir = path.join(config.recordingsDir, row.sitting_id, id);
    const workDir = path.join(dir, 'finalize');
    const partial = path.join(dir, 'final.partial.mp4');
    await rm(workDir, { recursive: true, force: true });
    await rm(partial, { force: true });
    await mkdir(workDir, { recursive: true });
    const plan = planFinalize({
      intervals: closedIntervals(row, segments),
      segments: segments.map((s) => planSegment(config.recordingsDir, s)),
      output: config.output,
      workDir,
      outputFile: partial,
    });
    if (plan.totalSeconds <= 0 || plan.lanes.audio + plan.lanes.video === 0) {
      throw new Error('nothing was recorded');
    }
    for (const file of plan.files) await writeFile(file.path, file.content);
    const log = this.#log.child({ recordingId: id });
    log.info({ seconds: plan.totalSeconds, lanes: plan.lanes }, 'finalizing');
    const startedAt = Date.now();
    await this.#run(id, plan.args, plan.totalSeconds, log);
    const probe = await probeFile(config.ffprobePath, partial);
    const { size, sha256 } = await digestFile(partial);
    const finalPath = path.join(dir, FINAL_FILE);
    await rename(partial, finalPath);
    await rm(workDir, { recursive: true, force: true });
    const duration = probe.duration ?? plan.totalSeconds;
    const relative = path.relative(config.recordingsDir, finalPath);
    await repo.finalized(id, { path: relative, duration, size, sha256, codec: FINAL_CODEC });
    const elapsed = (Date.now() - startedAt) / 1000;
    log.info({ duration, size, elapsedSeconds: elapsed, speed: duration / elapsed }, 'recording ready');
    await this.#deps.audit({
      ...SYSTEM_ACTOR,
      action: 'recording.finalized',
      sittingId: row.sitting_id,
      details: { recordingId: id, file: relative, duration, size, sha256, codec: FINAL_CODEC },
    });
    this.safeEmit('progress', id, 1);
    this.safeEmit('done', id, 'ready');
  }

  /** Runs the job's FFmpeg, storing its progress; rejects unless it exits with 0. */
  #run(id: string, args: string[], totalSeconds: number, log: Logger): Promise<void> {
    let lastStored = 0;
    const onStdout = (line: string) => {
      const match = /^out_time_us=(\d+)/.exec(line);
      if (!match) return;
      const progress = Math.min(0.99, Number(match[1]) / 1e6 / totalSeconds);
      this.safeEmit('progress', id, progress);
      if (Date.now() - lastStored < PROGRESS_EVERY_MS) return;
      lastStored = Date.now();
      this.#deps.repo
        .setProgress(id, progress)
        .catch((error: unknown) => log.warn({ err: error }, 'progress'));
    };
    return new Promise((resolve, reject) => {
      const proc = FfmpegProcess.start({
        ffmpegPath: this.#deps.config.ffmpegPath,
        logger: log,
        prepare: () => args,
        onStdout,
        // A background job: live sittings and their recordings come first.
        priority: FINALIZE_PRIORITY,
      });
      this.#current = { id, process: proc };
      let exitCode: number | null = null;
      proc.on('exit', (exit) => (exitCode = exit.code));
      proc.on('failed', (error) => reject(error));
      proc.on('close', () => {
        if (this.#closed) reject(new Error('finalizer closed'));
        else if (exitCode === 0) resolve();
        else reject(new Error(`ffmpeg exited with ${exitCode}`));
      });
    });
  }

  async #fail(id: string, message: string): Promise<void> {
    try {
      await this.#deps.repo.update(id, { state: 'failed', error: message });
      const row = await this.#deps.repo.get(id);
      await this.#deps.audit({
        ...SYSTEM_ACTOR,
        action: 'recording.failed',
        sittingId: row?.sitting_id ?? null,
        details: { recordingId: id, error: message },
      });
    } catch (error) {
      this.#log.error({ err: error, recordingId: id }, 'could not record the failure');
    }
    this.safeEmit('done', id, 'failed');
  }
}

/** The recorded intervals in ms; one left open (the server died while recording) ends with the last segment. */
function closedIntervals(row: RecordingRow, segments: SegmentRow[]): { start: number; end: number }[] {
  const lastEnd = Math.max(row.started_at.getTime(), ...segments.map((s) => s.ended_at.getTime()));
  return row.intervals.map((i) => ({
    start: Date.parse(i.start),
    end: i.end === null ? lastEnd : Date.parse(i.end),
  }));
}

function planSegment(root: string, s: SegmentRow): PlanSegment {
  return {
    file: path.join(root, s.file),
    start: s.started_at.getTime(),
    end: s.ended_at.getTime(),
    kind: s.kind,
    source: s.source,
    isHost: s.is_host,
    producerId: s.producer_id,
    codec: s.codec,
  };
}
