import path from 'node:path';
import type { Logger } from 'pino';
import { TypedEmitter } from '@seduta/media';
import type { MediaRouter } from '@seduta/media';
import type { RecorderConfig } from './config';
import { digestFile } from './checksum';
import { RecorderError } from './errors';
import type { RecordingInterval, RecordingsRepo, RecordingState, SegmentRow } from './recordings-repo';
import type { ProducerRef, RecordableSource } from './source';
import { TrackRecorder } from './track-recorder';
import type { ClosedSegment } from './track-run';

/** What a Recording needs from its Recorder. */
export interface RecordingDeps {
  repo: RecordingsRepo;
  config: RecorderConfig;
  logger: Logger;
}

/** Events of a {@link Recording}. */
export type RecordingEvents = {
  /** The state changed (for the recording indicator). */
  state: [state: RecordingState];
  /** The recording became degraded (first time only): something restarted or was lost. */
  degraded: [reason: string];
  /** A segment file was closed, checksummed and stored. */
  segment: [segment: SegmentRow];
};

/**
 * A server-side participant that records a sitting: one {@link TrackRecorder} per producer, following
 * producers as they come and go. State: recording ⇄ paused → stopping → finalizing; the Recorder
 * takes it from there. Controls are serialised, so a pause never overlaps a stop.
 */
export class Recording extends TypedEmitter<RecordingEvents> {
  readonly id: string;
  readonly sittingId: string;
  readonly startedAt: Date;
  /** Absolute directory of the recording's files. */
  readonly dir: string;
  readonly #deps: RecordingDeps;
  readonly #source: RecordableSource;
  readonly #log: Logger;
  readonly #tracks = new Map<string, TrackRecorder>();
  readonly #ending = new Set<Promise<void>>();
  readonly #routers = new Set<MediaRouter>();
  readonly #intervals: RecordingInterval[];
  #state: RecordingState = 'recording';
  #degraded = false;
  #queue: Promise<unknown> = Promise.resolve();

  /** Inserts the recording row and starts recording every producer of the source. */
  static async create(deps: RecordingDeps, source: RecordableSource, startedBy: string): Promise<Recording> {
    if (source.closed) throw new RecorderError('invalid_state', 'the sitting has ended');
    const row = await deps.repo.create(source.sittingId, startedBy, new Date());
    const recording = new Recording(deps, source, row.id, row.started_at, row.intervals);
    recording.#attach();
    return recording;
  }

  private constructor(
    deps: RecordingDeps,
    source: RecordableSource,
    id: string,
    startedAt: Date,
    intervals: RecordingInterval[],
  ) {
    const log = deps.logger.child({ recordingId: id, sittingId: source.sittingId });
    super((event, error) => log.error({ err: error, event }, 'Recording listener threw'));
    this.id = id;
    this.sittingId = source.sittingId;
    this.startedAt = startedAt;
    this.dir = path.join(deps.config.recordingsDir, source.sittingId, id);
    this.#deps = deps;
    this.#source = source;
    this.#log = log;
    this.#intervals = intervals;
  }

  /** Current state. */
  get state(): RecordingState {
    return this.#state;
  }

  /** Whether anything was restarted or lost during the recording. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** Periods recorded so far (ISO times); pauses are the gaps between them. */
  get intervals(): RecordingInterval[] {
    return this.#intervals.map((i) => ({ ...i }));
  }

  /** The recording FFmpeg processes running now, by producer (for tests and CPU measurements). */
  ffmpegPids(): Map<string, number> {
    const pids = new Map<string, number>();
    for (const [producerId, track] of this.#tracks)
      if (track.pid !== undefined) pids.set(producerId, track.pid);
    return pids;
  }

  /** Kills one track's FFmpeg as a crash would (fault drills and tests); it restarts by itself. */
  killFfmpeg(producerId: string): void {
    const track = this.#tracks.get(producerId);
    if (!track) throw new RecorderError('not_found', 'no such track');
    track.killFfmpeg();
  }

  /** Stops writing: every FFmpeg ends cleanly, closing its segment. */
  pause(): Promise<void> {
    return this.#serially(async () => {
      this.#expect('recording', 'pause');
      this.#closeInterval();
      await this.#setState('paused');
      await Promise.all([...this.#tracks.values()].map((t) => t.pause()));
    });
  }

  /** Starts writing again, into new segments. */
  resume(): Promise<void> {
    return this.#serially(async () => {
      this.#expect('paused', 'resume');
      this.#intervals.push({ start: new Date().toISOString(), end: null });
      await this.#setState('recording');
      for (const track of this.#tracks.values()) track.start();
    });
  }

  /** Ends the recording: every segment is closed and stored, then the state is 'finalizing'. */
  stop(): Promise<void> {
    return this.#serially(async () => {
      if (this.#state !== 'recording' && this.#state !== 'paused') {
        throw new RecorderError('invalid_state', `cannot stop a recording that is ${this.#state}`);
      }
      this.#closeInterval();
      await this.#setState('stopping');
      this.#detach();
      await Promise.all([...this.#tracks.values()].map((t) => t.close()));
      await Promise.all(this.#ending);
      this.#tracks.clear();
      for (const router of this.#routers) if (!router.closed) router.closeParticipant(this.#ownerId);
      await this.#deps.repo.update(this.id, { stoppedAt: new Date() });
      await this.#setState('finalizing');
    });
  }

  get #ownerId(): string {
    return `recorder:${this.id}`;
  }

  #attach(): void {
    this.#source.on('producer', this.#onProducer);
    this.#source.on('producerclose', this.#onProducerClose);
    this.#source.on('close', this.#onSourceClose);
    for (const ref of this.#source.producers()) this.#onProducer(ref);
  }

  #detach(): void {
    this.#source.off('producer', this.#onProducer);
    this.#source.off('producerclose', this.#onProducerClose);
    this.#source.off('close', this.#onSourceClose);
  }

  readonly #onProducer = (ref: ProducerRef): void => {
    const producerId = ref.producer.id;
    if (this.#tracks.has(producerId)) return;
    const router = this.#source.router;
    this.#routers.add(router);
    const track = new TrackRecorder({
      ref,
      router,
      ownerId: this.#ownerId,
      dir: path.join(this.dir, `${ref.producer.kind}-${ref.source}-${producerId}`),
      config: this.#deps.config,
      logger: this.#log,
      onSegment: (segment, codec) => this.#storeSegment(ref, segment, codec),
      onDegraded: (reason) => this.#markDegraded(reason),
    });
    this.#tracks.set(producerId, track);
    this.#log.info({ producerId, participantId: ref.participantId, source: ref.source }, 'track added');
    if (this.#state === 'recording') track.start();
  };

  readonly #onProducerClose = (producerId: string): void => {
    const track = this.#tracks.get(producerId);
    if (!track) return;
    this.#tracks.delete(producerId);
    const ending = track.close().finally(() => this.#ending.delete(ending));
    this.#ending.add(ending);
  };

  readonly #onSourceClose = (): void => {
    if (this.#state !== 'recording' && this.#state !== 'paused') return;
    this.stop().catch((error: unknown) => {
      // A stop requested just before the sitting ended got there first.
      if (error instanceof RecorderError && error.code === 'invalid_state') return;
      this.#log.error({ err: error }, 'could not stop when the sitting ended');
    });
  };

  async #storeSegment(ref: ProducerRef, segment: ClosedSegment, codec: string): Promise<void> {
    const { size, sha256 } = await digestFile(segment.file);
    const row = await this.#deps.repo.addSegment({
      recording_id: this.id,
      producer_id: ref.producer.id,
      kind: ref.producer.kind,
      source: ref.source,
      participant_id: ref.participantId,
      participant_name: ref.participantName,
      is_host: ref.isHost,
      codec,
      file: path.relative(this.#deps.config.recordingsDir, segment.file),
      started_at: segment.startedAt,
      ended_at: segment.endedAt,
      size,
      sha256,
      complete: segment.complete,
    });
    this.safeEmit('segment', row);
  }

  #markDegraded(reason: string): void {
    this.#log.warn({ reason }, 'recording degraded');
    if (this.#degraded) return;
    this.#degraded = true;
    this.#deps.repo
      .markDegraded(this.id)
      .catch((error: unknown) => this.#log.error({ err: error }, 'could not mark the recording degraded'));
    this.safeEmit('degraded', reason);
  }

  #closeInterval(): void {
    const last = this.#intervals.at(-1);
    if (last && last.end === null) last.end = new Date().toISOString();
  }

  async #setState(state: RecordingState): Promise<void> {
    this.#state = state;
    await this.#deps.repo.update(this.id, { state, intervals: this.#intervals });
    this.#log.info({ state }, 'recording state');
    this.safeEmit('state', state);
  }

  #expect(state: RecordingState, action: string): void {
    if (this.#state !== state)
      throw new RecorderError('invalid_state', `cannot ${action} a recording that is ${this.#state}`);
  }

  #serially<T>(op: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(op);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
