import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { TypedEmitter } from '@seduta/media';
import type { MediaRouter } from '@seduta/media';
import type { RecorderConfig } from './config';
import { digestFile } from './checksum';
import { RecorderError } from './errors';
import type {
  RecordingInterval,
  RecordingProblem,
  RecordingsRepo,
  RecordingState,
  SegmentRow,
} from './recordings-repo';
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
  /** Part of the sitting is not in the recording (a new problem, or a gap that began or ended). */
  degraded: [problem: RecordingProblem];
  /** A segment file was closed, checksummed and stored. */
  segment: [segment: SegmentRow];
};

/** A track of the sitting that is live but not recorded right now. */
export interface TrackGap {
  producerId: string;
  participantName: string;
  source: ProducerRef['source'];
  since: Date;
}

/** How long `starting` waits for every live track's first media on disk before it gives up on the late ones. */
export const START_TIMEOUT_MS = 10_000;
/** A track not recorded for this long while live is a gap in the recording (shorter: a keyframe's wait). */
export const GAP_TOLERANCE_MS = 2_000;
/** Media FFmpeg reports as written reaches the file within one cluster (cluster_time_limit). */
const CLUSTER_MS = 500;
const POLL_MS = 100;
/** First wait before starting again a track whose FFmpeg gave up; it doubles up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 30_000;
const MONITOR_MS = 500;

/**
 * A server-side participant that records a sitting: one {@link TrackRecorder} per producer, following
 * producers as they come and go. State: starting → recording ⇄ paused → stopping → finalizing; the
 * Recorder takes it from there. 'starting' (also on resume) lasts until the first media of every
 * live track is on disk, and the recorded interval opens at the first media every track has, so
 * that "recording" on screen means recorded. While recording, every live track that is not being
 * written for longer than GAP_TOLERANCE_MS is a gap: the recording becomes degraded with the
 * reason, and the host is told while it lasts. Controls are serialised, so a pause never overlaps
 * a stop.
 */
export class Recording extends TypedEmitter<RecordingEvents> {
  readonly id: string;
  readonly sittingId: string;
  /** When the host asked to record. */
  readonly requestedAt: Date;
  /** Absolute directory of the recording's files. */
  readonly dir: string;
  readonly #deps: RecordingDeps;
  readonly #source: RecordableSource;
  readonly #log: Logger;
  readonly #tracks = new Map<string, TrackRecorder>();
  readonly #ending = new Set<Promise<void>>();
  readonly #routers = new Set<MediaRouter>();
  readonly #intervals: RecordingInterval[];
  readonly #problems: RecordingProblem[] = [];
  /** Open gaps by producer, with their entry in #problems. */
  readonly #gaps = new Map<string, { gap: TrackGap; problem: RecordingProblem }>();
  /**
   * Tracks lost with their media worker (participant/source → the lost producer's id, whose gap
   * stays open until the same participant's source is on disk again from a new producer).
   */
  readonly #lost = new Map<string, string>();
  /**
   * Periods each producer was live (not paused), by producer, and when its media first reached the
   * recorder: a producer is live from then (its browser may take seconds to connect).
   */
  readonly #live = new Map<
    string,
    { ref: ProducerRef; periods: { start: string; end: string | null }[]; flowingAt?: number }
  >();
  #startedAt: Date;
  #state: RecordingState = 'starting';
  #queue: Promise<unknown> = Promise.resolve();
  #monitor: NodeJS.Timeout | undefined;
  /** Next delay before starting again a track whose FFmpeg gave up, by producer. */
  readonly #retryDelays = new Map<string, number>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();

  /**
   * Inserts the recording row (state 'starting') and starts recording every producer of the
   * source; the state becomes 'recording' once every live track has media on disk.
   */
  static async create(deps: RecordingDeps, source: RecordableSource, startedBy: string): Promise<Recording> {
    if (source.closed) throw new RecorderError('invalid_state', 'the sitting has ended');
    const row = await deps.repo.create(source.sittingId, startedBy, new Date());
    const recording = new Recording(deps, source, row.id, row.requested_at ?? row.started_at, row.intervals);
    recording.#attach();
    void recording
      .#serially(() => recording.#open())
      .catch((error: unknown) => recording.#log.error({ err: error }, 'could not open the recording'));
    return recording;
  }

  private constructor(
    deps: RecordingDeps,
    source: RecordableSource,
    id: string,
    requestedAt: Date,
    intervals: RecordingInterval[],
  ) {
    const log = deps.logger.child({ recordingId: id, sittingId: source.sittingId });
    super((event, error) => log.error({ err: error, event }, 'Recording listener threw'));
    this.id = id;
    this.sittingId = source.sittingId;
    this.requestedAt = requestedAt;
    this.#startedAt = requestedAt;
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

  /** Time of the first recorded media (the request time while 'starting'). */
  get startedAt(): Date {
    return this.#startedAt;
  }

  /** Whether part of the sitting is not in the recording. */
  get degraded(): boolean {
    return this.#problems.length > 0;
  }

  /** What the recording does not cover, so far. */
  get problems(): RecordingProblem[] {
    return this.#problems.map((p) => ({ ...p }));
  }

  /** Live tracks that are not being recorded right now. */
  get gaps(): TrackGap[] {
    return [...this.#gaps.values()].map(({ gap }) => ({ ...gap }));
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
      this.#stopMonitor();
      await this.#setState('paused');
      await Promise.all([...this.#tracks.values()].map((t) => t.pause()));
    });
  }

  /** Starts writing again, into new segments ('starting' until every live track is on disk). */
  resume(): Promise<void> {
    return this.#serially(async () => {
      this.#expect('paused', 'resume');
      await this.#setState('starting');
      for (const track of this.#tracks.values()) track.start();
      await this.#open();
    });
  }

  /** Ends the recording: every segment is closed and stored, then the state is 'finalizing'. */
  stop(): Promise<void> {
    return this.#serially(async () => {
      if (this.#state !== 'recording' && this.#state !== 'paused' && this.#state !== 'starting') {
        throw new RecorderError('invalid_state', `cannot stop a recording that is ${this.#state}`);
      }
      this.#closeInterval();
      this.#stopMonitor();
      await this.#setState('stopping');
      this.#detach();
      await Promise.all([...this.#tracks.values()].map((t) => t.close()));
      await Promise.all(this.#ending);
      this.#tracks.clear();
      for (const router of this.#routers) if (!router.closed) router.closeParticipant(this.#ownerId);
      const stoppedAt = new Date();
      for (const producerId of this.#live.keys()) this.#liveEnds(producerId, stoppedAt);
      await this.#saveTracks();
      await this.#deps.repo.update(this.id, { stoppedAt });
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
      onDegraded: (reason) => this.#addFailure(reason, ref),
      onFailed: () => this.#retryLater(producerId),
      onWritten: () => {
        this.#retryDelays.delete(producerId);
        // The recording of this source starts again at its first recorded media (held by the relay
        // while FFmpeg started), not when FFmpeg got round to writing it.
        this.#recovered(ref, new Date(track.firstMediaAt ?? Date.now()));
      },
      onFlowing: (at) => {
        const live = this.#live.get(producerId);
        if (live) live.flowingAt ??= at;
      },
    });
    this.#tracks.set(producerId, track);
    this.#followLive(ref);
    this.#log.info({ producerId, participantId: ref.participantId, source: ref.source }, 'track added');
    if (this.#state === 'recording' || this.#state === 'starting') track.start();
  };

  readonly #onProducerClose = (producerId: string): void => {
    const track = this.#tracks.get(producerId);
    if (!track) return;
    this.#tracks.delete(producerId);
    this.#liveEnds(producerId, new Date());
    if (this.#lostWithWorker()) {
      // Not an ordinary close: the media worker died under the sitting. The track is missing from
      // now until its owner publishes again on the replacement router and that is on disk.
      const key = lostKey(track.ref);
      if (!this.#gaps.has(producerId)) this.#openGap(track.ref, new Date(), 'the media server restarted');
      this.#lost.set(key, producerId);
    } else {
      this.#closeGap(producerId, new Date());
    }
    const ending = track.close().finally(() => this.#ending.delete(ending));
    this.#ending.add(ending);
  };

  readonly #onSourceClose = (): void => {
    if (this.#state !== 'recording' && this.#state !== 'paused' && this.#state !== 'starting') return;
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

  /**
   * Waits (up to START_TIMEOUT_MS) until every live track has media on disk, then opens the
   * recorded interval at the first moment every one of them has media, and says 'recording'.
   * A track still without media by then is left to the gap monitor, which reports it within
   * GAP_TOLERANCE_MS as not recorded from when it began to wait.
   */
  async #open(): Promise<void> {
    const askedAt = Date.now();
    const deadline = askedAt + START_TIMEOUT_MS;
    while (Date.now() < deadline && !this.#ready() && this.#state === 'starting') await sleep(POLL_MS);
    const timedOut = !this.#ready();
    const firsts = this.#liveTracks()
      .map((t) => t.firstMediaAt)
      .filter((at): at is number => at !== undefined);
    const start = firsts.length > 0 ? Math.max(...firsts) : Date.now();
    if (this.#intervals.length === 0) {
      this.#startedAt = new Date(start);
      await this.#deps.repo.update(this.id, { startedAt: this.#startedAt });
      const since = (at: number | undefined) => (at === undefined ? null : at - this.requestedAt.getTime());
      const byTrack = Object.fromEntries(
        this.#liveTracks().map((t) => [
          `${t.ref.producer.kind}-${t.ref.source}-${t.ref.participantName}`,
          {
            flowing: since(this.#live.get(t.ref.producer.id)?.flowingAt),
            firstMedia: since(t.firstMediaAt),
            written: since(t.writtenAt),
          },
        ]),
      );
      this.#log.info(
        { startDelayMs: start - this.requestedAt.getTime(), firstMediaMs: byTrack, timedOut },
        timedOut
          ? 'recording without every track: some had no media on disk in time'
          : 'first media of every live track on disk',
      );
    }
    this.#intervals.push({ start: new Date(start).toISOString(), end: null });
    await this.#setState('recording');
    this.#checkGaps();
    this.#monitor = setInterval(() => this.#checkGaps(), MONITOR_MS);
  }

  /**
   * Every live track whose sender is sending (mediasoup scores the producer's stream) has its first
   * media of this run on disk. A sender that is still connecting sends nothing: it has nothing to
   * record yet, and is covered from its first packet.
   */
  #ready(): boolean {
    const now = Date.now();
    return this.#liveTracks()
      .filter((t) => t.ref.producer.score.some((s) => s.score > 0))
      .every(
        (t) => t.firstMediaAt !== undefined && t.writtenAt !== undefined && now - t.writtenAt >= CLUSTER_MS,
      );
  }

  /** Tracks whose producer sends media now (a muted microphone's producer is paused). */
  #liveTracks(): TrackRecorder[] {
    return [...this.#tracks.values()].filter((t) => !t.ref.producer.closed && !t.ref.producer.paused);
  }

  /** Opens a gap for every live track not written for GAP_TOLERANCE_MS, and closes the ones that recovered. */
  #checkGaps(openBefore = Date.now() - GAP_TOLERANCE_MS): void {
    if (this.#state !== 'recording') return;
    const now = new Date();
    for (const [producerId, track] of this.#tracks) {
      const since = track.ref.producer.paused ? undefined : track.notRecordingSince;
      if (since === undefined) this.#closeGap(producerId, now);
      else if (since <= openBefore && !this.#gaps.has(producerId)) this.#openGap(track.ref, new Date(since));
    }
  }

  /**
   * Whether producers closing now were lost with their media worker: mediasoup marks its router
   * closed before it closes the transports and producers, while our MediaRouter learns it only
   * afterwards (a deliberate close does it the other way round), and the sitting has not ended.
   */
  #lostWithWorker(): boolean {
    return (
      (this.#state === 'recording' || this.#state === 'starting') &&
      !this.#source.closed &&
      this.#source.router.router.closed
    );
  }

  /** A track lost with the worker is on disk again (a new producer of the same participant's source). */
  #recovered(ref: ProducerRef, at: Date): void {
    const key = lostKey(ref);
    const lostProducerId = this.#lost.get(key);
    if (lostProducerId === undefined) return;
    this.#lost.delete(key);
    this.#closeGap(lostProducerId, at);
  }

  #openGap(ref: ProducerRef, since: Date, cause?: string): void {
    const what = ref.producer.kind === 'video' ? 'video' : 'audio';
    const problem: RecordingProblem = {
      kind: 'no-media',
      producerId: ref.producer.id,
      participantName: ref.participantName,
      source: ref.source,
      from: since.toISOString(),
      to: null,
      text: `${ref.source} of ${ref.participantName}${cause ? ` (${cause})` : ''}: no ${what} recorded from ${since.toISOString()}`,
    };
    const gap: TrackGap = {
      producerId: ref.producer.id,
      participantName: ref.participantName,
      source: ref.source,
      since,
    };
    this.#gaps.set(ref.producer.id, { gap, problem });
    this.#addProblem(problem);
  }

  #closeGap(producerId: string, at: Date): void {
    const open = this.#gaps.get(producerId);
    if (!open) return;
    this.#gaps.delete(producerId);
    open.problem.to = at.toISOString();
    open.problem.text = open.problem.text.replace(
      / from .*$/,
      ` from ${open.problem.from} to ${open.problem.to}`,
    );
    this.#log.info({ producerId, from: open.problem.from, to: open.problem.to }, 'track recorded again');
    this.#persistProblems();
    this.safeEmit('degraded', { ...open.problem });
  }

  /**
   * A track whose FFmpeg gave up (a full disk makes every restart fail at once) is started again
   * later, RETRY_FIRST_MS then doubling up to RETRY_MAX_MS, for as long as the recording runs:
   * the recording resumes by itself when the cause goes away.
   */
  #retryLater(producerId: string): void {
    const delay = this.#retryDelays.get(producerId) ?? RETRY_FIRST_MS;
    this.#retryDelays.set(producerId, Math.min(delay * 2, RETRY_MAX_MS));
    this.#log.warn({ producerId, retryInMs: delay }, 'track not recorded; trying again later');
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      const track = this.#tracks.get(producerId);
      if (track && (this.#state === 'recording' || this.#state === 'starting')) track.start();
    }, delay);
    this.#retryTimers.add(timer);
  }

  #addFailure(reason: string, ref: ProducerRef): void {
    // A crash loop (a full disk) says the same thing many times: once per track and minute is enough.
    const now = Date.now();
    const repeated = this.#problems.some(
      (p) => p.producerId === ref.producer.id && p.text.endsWith(reason) && now - Date.parse(p.from) < 60_000,
    );
    if (repeated) return;
    this.#addProblem({
      kind: 'failure',
      producerId: ref.producer.id,
      participantName: ref.participantName,
      source: ref.source,
      from: new Date().toISOString(),
      to: null,
      text: `${ref.source} of ${ref.participantName}: ${reason}`,
    });
  }

  #addProblem(problem: RecordingProblem): void {
    this.#log.warn({ problem: problem.text }, 'recording degraded');
    this.#problems.push(problem);
    this.#persistProblems();
    this.safeEmit('degraded', { ...problem });
  }

  #persistProblems(): void {
    this.#deps.repo
      .setProblems(this.id, this.#problems)
      .catch((error: unknown) => this.#log.error({ err: error }, 'could not store the recording problems'));
  }

  #stopMonitor(): void {
    clearInterval(this.#monitor);
    this.#monitor = undefined;
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    const now = new Date();
    for (const producerId of [...this.#gaps.keys()]) this.#closeGap(producerId, now);
  }

  /** Notes when the producer is live (not paused), for the coverage check. */
  #followLive(ref: ProducerRef): void {
    const producer = ref.producer;
    const periods: { start: string; end: string | null }[] = [];
    this.#live.set(producer.id, { ref, periods });
    const begin = () => {
      if (periods.at(-1)?.end === null) return;
      periods.push({ start: new Date().toISOString(), end: null });
    };
    if (!producer.paused) begin();
    producer.observer.on('pause', () => this.#liveEnds(producer.id, new Date()));
    producer.observer.on('resume', begin);
  }

  #liveEnds(producerId: string, at: Date): void {
    const last = this.#live.get(producerId)?.periods.at(-1);
    if (last && last.end === null) last.end = at.toISOString();
  }

  async #saveTracks(): Promise<void> {
    for (const [producerId, { ref, periods: all, flowingAt }] of this.#live) {
      // Live from its first packet on; a producer that never sent anything was never live.
      const from = flowingAt ?? Infinity;
      const periods = all
        .map((p) => ({
          start: Math.max(Date.parse(p.start), from),
          end: p.end === null ? Infinity : Date.parse(p.end),
        }))
        .filter((p) => p.end > p.start)
        .map((p) => ({
          start: new Date(p.start).toISOString(),
          end: p.end === Infinity ? null : new Date(p.end).toISOString(),
        }));
      await this.#deps.repo
        .saveTrack({
          recording_id: this.id,
          producer_id: producerId,
          kind: ref.producer.kind,
          source: ref.source,
          participant_id: ref.participantId,
          participant_name: ref.participantName,
          is_host: ref.isHost,
          live: JSON.stringify(periods),
        })
        .catch((error: unknown) => this.#log.error({ err: error, producerId }, 'could not store a track'));
    }
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

/** What stays the same when a participant publishes a source again: who and which source. */
function lostKey(ref: ProducerRef): string {
  return `${ref.participantId}/${ref.source}/${ref.producer.kind}`;
}
