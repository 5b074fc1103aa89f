import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { MediaRouter } from '@seduta/media';
import type { RecorderConfig } from './config';
import { FfmpegProcess } from './ffmpeg-process';
import { sendRtcpBye } from './rtcp-bye';
import type { ProducerRef } from './source';
import { TrackLink } from './track-link';
import { TrackRun } from './track-run';
import type { ClosedSegment } from './track-run';

/** Options of a {@link TrackRecorder}. */
export interface TrackRecorderOptions {
  ref: ProducerRef;
  router: MediaRouter;
  /** Owner id of the recorder's transports on the router. */
  ownerId: string;
  /** Absolute directory of this track's files. */
  dir: string;
  config: RecorderConfig;
  logger: Logger;
  /** Stores a closed segment; calls are serialised, in file order. */
  onSegment: (segment: ClosedSegment, codec: string) => Promise<void>;
  /** Something was lost or restarted: FFmpeg crashed, or could not be started. */
  onDegraded: (reason: string) => void;
  /** The current run's FFmpeg wrote its first media to disk. */
  onWritten?: () => void;
  /** FFmpeg's supervision gave up (it kept crashing, e.g. on a full disk): the track is not recorded until start() again. */
  onFailed?: () => void;
  /** The producer's media reached the recorder for the first time (its sender is connected). */
  onFlowing?: (at: number) => void;
}

/** Name of the track's sidecar file. */
export const TRACK_META = 'track.json';

/** Contents of `track.json`: who and what the track is. */
export interface TrackMeta {
  producerId: string;
  kind: 'audio' | 'video';
  source: ProducerRef['source'];
  participantId: string;
  participantName: string;
  isHost: boolean;
}

/**
 * Nice value of live recording FFmpegs. Each uses well under 1 % of a core, but one that falls
 * behind on a busy machine holds unwritten packets that a crash would lose; ahead of everything
 * at the default priority (the finalize job runs below it), it never falls behind.
 */
export const RECORDING_PRIORITY = -5;

/** How often FFmpeg's segment list is read while it runs. */
const LIST_POLL_MS = 500;
/** Keyframe requests of one track are at least this far apart (each costs the sender a big frame). */
const KEYFRAME_MIN_GAP_MS = 300;
/** An FFmpeg error line without its tags, paths cut to file names, run numbers dropped (for one message per cause). */
function errorWords(line: string): string {
  return line
    .replace(/^(\[[^\]]*\]\s*)+/, '')
    .replace(/\/\S*\//g, '')
    .replace(/\br\d{4}-/g, '')
    .trim();
}

/** FFmpeg lines that say why it is about to fail. */
const FATAL_LINE = /\[(error|fatal)\]|no space left|permission denied|read-only file system/i;
/** FFmpeg lines that mean its VP8/H.264 depacketizer now drops frames until the next keyframe. */
const BROKEN_SEQUENCE = /sequence broken|keyframe missing|missed a picture|no start marker/i;

interface Session {
  process: FfmpegProcess;
  /** Kept across FFmpeg restarts once an FFmpeg has listened on its port. */
  link: TrackLink | undefined;
  linkProven: boolean;
  run: TrackRun | undefined;
  abort: AbortController;
  stopping: boolean;
  pollTimer: NodeJS.Timeout | undefined;
}

/**
 * Records one producer: while running, one supervised FFmpeg remuxes its RTP into segment files.
 * Every FFmpeg start is a new {@link TrackRun} with its own file prefix, so a crash restarts into a
 * new segment and never touches what was written before; the {@link TrackLink} (transport and
 * port) survives the crash. pause() ends FFmpeg cleanly (closing the current segment) and closes
 * the link; start() begins a new run on a new link.
 */
export class TrackRecorder {
  readonly ref: ProducerRef;
  readonly #opts: TrackRecorderOptions;
  readonly #log: Logger;
  #session: Session | undefined;
  #runs = 0;
  #links = 0;
  #ingest: Promise<void> = Promise.resolve();
  #closed = false;
  #lastKeyframeRequest = 0;
  /** Since when FFmpeg has not been running while it should (a crash, a restart), if so. */
  #downSince: number | undefined;
  /** When FFmpeg's supervision gave up on this track (nothing is recorded until start() again). */
  #failedAt: number | undefined;
  /** FFmpeg's last error line (its own words for why it stopped: "No space left on device"). */
  #lastError: string | undefined;

  constructor(opts: TrackRecorderOptions) {
    this.ref = opts.ref;
    this.#opts = opts;
    this.#log = opts.logger.child({ producerId: opts.ref.producer.id, kind: opts.ref.producer.kind });
  }

  /** PID of the FFmpeg recording this track right now, if any. */
  get pid(): number | undefined {
    return this.#session?.process.pid;
  }

  /** Whether an FFmpeg session is active (not paused, not closed). */
  get running(): boolean {
    return this.#session !== undefined;
  }

  /** Wall-clock time of the current run's first recorded media (video: its first keyframe). */
  get firstMediaAt(): number | undefined {
    return this.#session?.run?.firstPacketAt;
  }

  /** When the current run's FFmpeg reported its first media written, if it has. */
  get writtenAt(): number | undefined {
    return this.#session?.run?.writtenAt;
  }

  /**
   * Since when nothing of this track can be written although it is being recorded: FFmpeg is down
   * or restarting, or video waits for a keyframe. Undefined while it records (or is paused).
   */
  get notRecordingSince(): number | undefined {
    const session = this.#session;
    if (!session) return this.#closed ? undefined : this.#failedAt;
    if (this.#downSince !== undefined) return this.#downSince;
    return session.link?.relay.awaitingKeyframeSince;
  }

  /** Starts recording (a new run) unless already running or closed. */
  start(): void {
    if (this.#closed || this.#session || this.ref.producer.closed) return;
    const session: Session = {
      // Assigned just below; FfmpegProcess.start() calls prepare(), which needs the session, at once.
      process: undefined as unknown as FfmpegProcess,
      link: undefined,
      linkProven: false,
      run: undefined,
      abort: new AbortController(),
      stopping: false,
      pollTimer: undefined,
    };
    this.#session = session;
    session.process = FfmpegProcess.start({
      ffmpegPath: this.#opts.config.ffmpegPath,
      logger: this.#log,
      restart: true,
      priority: RECORDING_PRIORITY,
      prepare: () => this.#prepare(session),
      // FFmpeg listens on its link's port: a BYE there ends it cleanly even when no packet arrives.
      requestEnd: async () => {
        if (session.link) await sendRtcpBye(session.link.port);
      },
      onStdout: (line) => session.run?.progress(line),
      onStderr: (line) => {
        if (BROKEN_SEQUENCE.test(line)) session.link?.relay.sequenceBroken(line);
        else if (FATAL_LINE.test(line)) this.#lastError = errorWords(line);
      },
    });
    this.#downSince = undefined;
    this.#failedAt = undefined;
    session.process.on('spawn', () => void this.#begin(session));
    session.process.on('exit', (exit) => {
      // A crash: the relay holds what comes from now on for the FFmpeg that replaces this one.
      if (session.stopping) session.link?.relay.endRun();
      else session.link?.relay.beginRun();
      if (!session.stopping) this.#downSince ??= Date.now();
      if (!exit.expected) {
        const why = this.#lastError ? `: ${this.#lastError}` : '';
        this.#opts.onDegraded(`ffmpeg exited unexpectedly (${exit.code ?? exit.signal})${why}`);
      }
      this.#endRun(session);
    });
    session.process.on('failed', (error) => {
      if (!session.stopping && !this.ref.producer.closed) {
        this.#failedAt = this.#downSince ?? Date.now();
        const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
        const why = this.#lastError ? ` (${this.#lastError})` : '';
        this.#opts.onDegraded(`recording of the track stopped: ${error.message}${cause}${why}`);
        this.#opts.onFailed?.();
      }
      this.#endRun(session);
      session.link?.close();
      if (this.#session === session) this.#session = undefined;
    });
  }

  /** Ends FFmpeg cleanly and resolves once every segment it wrote is stored. */
  async pause(): Promise<void> {
    const session = this.#session;
    if (session) {
      this.#session = undefined;
      session.stopping = true;
      session.abort.abort();
      await session.process.stop();
      this.#endRun(session);
      session.link?.close();
    }
    await this.#ingest;
  }

  /** Stops for good (pause, then refuse to start again). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.pause();
  }

  /** Simulates a crash of the current FFmpeg (tests, fault drills): it is killed and restarted. */
  killFfmpeg(): void {
    this.#session?.process.kill();
  }

  /**
   * Arguments of the next FFmpeg. After a crash the link is reused (its relay holds the packets
   * from a keyframe on until the new FFmpeg listens); otherwise, or if the last FFmpeg never
   * managed to listen on the link's port, a new link is opened.
   */
  async #prepare(session: Session): Promise<string[]> {
    if (session.stopping) throw new Error('track stopped');
    if (this.#runs === 0) await this.#writeTrackMeta();
    let link = session.link;
    if (link && !(link.alive && session.linkProven)) {
      link.close();
      link = session.link = undefined;
    }
    const fresh = !link;
    if (!link) {
      this.#links += 1;
      link = await TrackLink.open({
        index: this.#links,
        router: this.#opts.router,
        ownerId: this.#opts.ownerId,
        producerId: this.ref.producer.id,
        kind: this.ref.producer.kind,
        dir: this.#opts.dir,
        logger: this.#log,
      });
      session.link = link;
      const opened = link;
      opened.relay.on('keyframe', (reason) => this.#requestKeyframe(opened, reason));
      opened.relay.once('flowing', (at) => this.#opts.onFlowing?.(at));
    }
    if (session.stopping) {
      // pause() may have finished while the link was being made; nobody else will close it.
      link.close();
      throw new Error('track stopped');
    }
    session.linkProven = false;
    this.#runs += 1;
    // A reused link began its new run when the last FFmpeg exited.
    if (fresh) link.relay.beginRun();
    const run = new TrackRun({
      index: this.#runs,
      link,
      kind: this.ref.producer.kind,
      dir: this.#opts.dir,
      config: this.#opts.config,
      logger: this.#log,
      onWritten: () => this.#opts.onWritten?.(),
    });
    session.run = run;
    if (link.consumer.paused) await link.consumer.resume();
    return run.ffmpegArgs;
  }

  /** Asks the producer for a keyframe (at most one request per KEYFRAME_MIN_GAP_MS). */
  #requestKeyframe(link: TrackLink, reason: string): void {
    const now = Date.now();
    if (!link.alive || now - this.#lastKeyframeRequest < KEYFRAME_MIN_GAP_MS) return;
    this.#lastKeyframeRequest = now;
    this.#log.debug({ reason }, 'asking for a keyframe');
    link.consumer.requestKeyFrame().catch(() => {});
  }

  /** Writes `track.json`, which lets crash recovery register this track's files without the server's memory. */
  async #writeTrackMeta(): Promise<void> {
    await mkdir(this.#opts.dir, { recursive: true });
    const { producer, participantId, participantName, source, isHost } = this.ref;
    const meta: TrackMeta = {
      producerId: producer.id,
      kind: producer.kind,
      source,
      participantId,
      participantName,
      isHost,
    };
    await writeFile(path.join(this.#opts.dir, TRACK_META), JSON.stringify(meta));
  }

  async #begin(session: Session): Promise<void> {
    const run = session.run;
    if (!run) return;
    try {
      await run.begin(session.abort.signal, session.process.pid ?? 0);
    } catch (error) {
      if (session.stopping || session.run !== run) return;
      this.#log.warn(
        { err: error, run: run.index },
        'could not start the media flow to ffmpeg; restarting it',
      );
      session.process.kill();
      return;
    }
    session.linkProven = true;
    this.#downSince = undefined;
    this.#log.debug({ run: run.index, firstPacketAt: run.firstPacketAt }, 'recording track');
    const poll = () => {
      this.#store(run, () => run.poll());
      session.pollTimer = setTimeout(poll, LIST_POLL_MS);
    };
    session.pollTimer = setTimeout(poll, LIST_POLL_MS);
  }

  /** Closes the session's current run and stores whatever it left; safe to call twice. */
  #endRun(session: Session): void {
    clearTimeout(session.pollTimer);
    const run = session.run;
    if (!run) return;
    session.run = undefined;
    run.close();
    this.#store(run, () => run.finish());
  }

  /** Queues `collect` and the storing of what it returns behind everything queued before. */
  #store(run: TrackRun, collect: () => Promise<ClosedSegment[]>): void {
    this.#ingest = this.#ingest
      .then(async () => {
        for (const segment of await collect()) await this.#opts.onSegment(segment, run.codec);
      })
      .catch((error: unknown) => {
        this.#log.error({ err: error, run: run.index }, 'could not store a segment');
        this.#opts.onDegraded('a segment could not be stored');
      });
  }
}
