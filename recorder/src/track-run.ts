import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import type { RecorderConfig } from './config';
import { mediaDuration } from './probe';
import { containerFor } from './sdp';
import { SegmentListReader } from './segment-list';
import type { TrackLink } from './track-link';
import { waitUdpBound } from './udp-ports';

/** A segment file FFmpeg has finished with, placed on the wall clock. */
export interface ClosedSegment {
  /** Absolute path. */
  file: string;
  startedAt: Date;
  endedAt: Date;
  /** False when FFmpeg died while writing it. */
  complete: boolean;
}

/** Options of a {@link TrackRun}. */
export interface TrackRunOptions {
  index: number;
  link: TrackLink;
  kind: types.MediaKind;
  /** Absolute directory of the track. */
  dir: string;
  config: RecorderConfig;
  logger: Logger;
  /** FFmpeg's progress first showed media written (wall-clock ms). */
  onWritten?: (at: number) => void;
}

/** How long FFmpeg may take to bind its port on a busy machine. */
const BIND_TIMEOUT_MS = 10_000;
/** A segment is cut at the first keyframe after its nominal end; ask for one just after it. */
const KEYFRAME_AFTER_BOUNDARY_MS = 100;
/** How often FFmpeg reports progress, seconds. */
const PROGRESS_PERIOD_S = 0.5;
/** How long FFmpeg waits for a missing packet (a retransmission) before it counts it lost, µs. */
const REORDER_DELAY_US = 300_000;

/**
 * One FFmpeg lifetime on one track: the segment files (prefix `rNNNN`) and the segment list it
 * writes from its link's RTP. Each segment's wall-clock times are the run's first recorded packet
 * (as the link's relay saw it arrive) plus the offsets in FFmpeg's list, which come from the RTP
 * timestamps. FFmpeg's progress report (`-progress pipe:1`) tells when media is on disk.
 */
export class TrackRun {
  readonly index: number;
  /** File name prefix of this run's files (`r0003`). */
  readonly prefix: string;
  readonly link: TrackLink;
  readonly #opts: TrackRunOptions;
  readonly #list: SegmentListReader;
  readonly #seen = new Set<string>();
  readonly #progress = { frames: 0, outTimeUs: 0 };
  #firstPacketAt: number | undefined;
  #writtenAt: number | undefined;
  #pid: number | undefined;
  #lastEnd = 0;
  #keyframeTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: TrackRunOptions) {
    this.#opts = opts;
    this.index = opts.index;
    this.link = opts.link;
    this.prefix = `r${String(opts.index).padStart(4, '0')}`;
    this.#list = new SegmentListReader(path.join(opts.dir, `${this.prefix}.csv`));
    const relay = opts.link.relay;
    if (relay.runStartedAt !== undefined) this.#onMedia(relay.runStartedAt);
    else relay.once('media', (at) => this.#onMedia(at));
  }

  /** Codec of the run's media. */
  get codec(): string {
    return this.link.codec;
  }

  /** FFmpeg's arguments: the link's SDP in, `-c copy` segments and their CSV list out. */
  get ffmpegArgs(): string[] {
    const { format, extension } = containerFor(this.codec);
    return [
      // `level+` prefixes each line with its level, so that FFmpeg's warnings are logged as such.
      ...['-hide_banner', '-nostats', '-loglevel', 'level+info', '-n'],
      ...['-progress', 'pipe:1', '-stats_period', String(PROGRESS_PERIOD_S)],
      ...['-protocol_whitelist', 'file,udp,rtp', '-localaddr', '127.0.0.1'],
      // Wait for packets forever: by default FFmpeg ends after 10 s without any, and a muted
      // microphone (a paused producer) sends none.
      ...['-listen_timeout', '-1'],
      // Room for a retransmitted packet to fill a gap before FFmpeg declares it lost.
      ...['-max_delay', String(REORDER_DELAY_US)],
      ...['-i', this.link.sdpPath],
      ...['-map', '0', '-c', 'copy'],
      ...['-f', 'segment', '-segment_time', String(this.#opts.config.segmentSeconds)],
      ...['-segment_format', format, '-reset_timestamps', '1', '-segment_start_number', '1'],
      // Half-second clusters flushed as written: a crash loses at most the last half second.
      ...['-segment_format_options', 'cluster_time_limit=500:flush_packets=1'],
      ...['-segment_list', this.#list.path, '-segment_list_type', 'csv'],
      path.join(this.#opts.dir, `${this.prefix}-%05d.${extension}`),
    ];
  }

  /** Wall-clock time (ms) of the run's first recorded packet (video: its first keyframe), once known. */
  get firstPacketAt(): number | undefined {
    return this.#firstPacketAt;
  }

  /** When FFmpeg's progress first showed media written to disk, if it has. */
  get writtenAt(): number | undefined {
    return this.#writtenAt;
  }

  /**
   * Once FFmpeg listens, the relay sends what it held and forwards from then on; a keyframe is
   * then asked for again after every segment boundary (a video segment can only start with one).
   */
  async begin(signal: AbortSignal, pid: number): Promise<void> {
    await waitUdpBound(this.link.port, BIND_TIMEOUT_MS, signal);
    this.#pid = pid;
    this.link.relay.forwardTo(this.link.port);
    this.#writeMeta();
  }

  /** Reads one line of FFmpeg's progress report. */
  progress(line: string): void {
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq);
    const value = Number(line.slice(eq + 1));
    if (!Number.isFinite(value)) return;
    if (key === 'frame') this.#progress.frames = value;
    else if (key === 'out_time_us') this.#progress.outTimeUs = value;
    else return;
    const written = this.#opts.kind === 'video' ? this.#progress.frames > 0 : this.#progress.outTimeUs > 0;
    if (written && this.#writtenAt === undefined) {
      this.#writtenAt = Date.now();
      this.#opts.onWritten?.(this.#writtenAt);
    }
  }

  /** Segments FFmpeg has closed since the last call (from its list). */
  async poll(): Promise<ClosedSegment[]> {
    const entries = await this.#list.readNew();
    const closed: ClosedSegment[] = [];
    for (const entry of entries) {
      if (this.#seen.has(entry.file)) continue;
      this.#seen.add(entry.file);
      this.#lastEnd = Math.max(this.#lastEnd, entry.end);
      // FFmpeg writes nothing before the first packet, so it is known by the time a segment closes.
      const at = this.#firstPacketAt ?? Date.now();
      closed.push({
        file: path.join(this.#opts.dir, entry.file),
        startedAt: new Date(at + entry.start * 1000),
        endedAt: new Date(at + entry.end * 1000),
        complete: true,
      });
    }
    return closed;
  }

  /**
   * After FFmpeg exited: the last listed segments, then any file it left unlisted (the one it was
   * writing when it crashed), timed by probing how much media it holds.
   */
  async finish(): Promise<ClosedSegment[]> {
    const closed = await this.poll();
    const at = this.#firstPacketAt ?? Date.now();
    const { ffprobePath } = this.#opts.config;
    closed.push(
      ...(await unlistedSegments(this.#opts.dir, this.prefix, this.#seen, this.#lastEnd, at, ffprobePath)),
    );
    return closed;
  }

  /** Stops keyframe requests. Idempotent; the link is closed by its owner. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#keyframeTimer);
  }

  #onMedia(at: number): void {
    if (this.#closed || this.#firstPacketAt !== undefined) return;
    this.#firstPacketAt = at;
    this.#writeMeta();
    if (this.#opts.kind === 'video') this.#scheduleKeyframes();
  }

  /** What crash recovery needs to time this run's files and to stop an orphaned FFmpeg. */
  #writeMeta(): void {
    if (this.#pid === undefined || this.#firstPacketAt === undefined) return;
    const meta: RunMeta = {
      pid: this.#pid,
      firstPacketAt: this.#firstPacketAt,
      codec: this.codec,
      sdp: this.link.sdpPath,
    };
    writeFile(runMetaPath(this.#opts.dir, this.prefix), JSON.stringify(meta)).catch((error: unknown) =>
      this.#opts.logger.warn({ err: error }, 'could not write run metadata'),
    );
  }

  #scheduleKeyframes(): void {
    const first = this.#firstPacketAt!;
    const consumer = this.link.consumer;
    const periodMs = this.#opts.config.segmentSeconds * 1000;
    const tick = () => {
      if (this.#closed || consumer.closed) return;
      consumer.requestKeyFrame().catch(() => {});
      const elapsed = Date.now() - first;
      const next = (Math.floor(elapsed / periodMs) + 1) * periodMs + KEYFRAME_AFTER_BOUNDARY_MS;
      this.#keyframeTimer = setTimeout(tick, next - elapsed);
    };
    this.#keyframeTimer = setTimeout(tick, periodMs + KEYFRAME_AFTER_BOUNDARY_MS);
  }
}

/** Sidecar `rNNNN.json` of a run, written when its first packet goes out. */
export interface RunMeta {
  pid: number;
  firstPacketAt: number;
  codec: string;
  /** The SDP the run's FFmpeg read (identifies an orphaned FFmpeg after a crash). */
  sdp: string;
}

/** Path of a run's sidecar. */
export function runMetaPath(dir: string, prefix: string): string {
  return path.join(dir, `${prefix}.json`);
}

/**
 * The files of a run that its segment list does not name (FFmpeg died while writing them), placed
 * one after the other from `listedEnd` seconds, each as long as the media it holds.
 */
export async function unlistedSegments(
  dir: string,
  prefix: string,
  seen: Set<string>,
  listedEnd: number,
  firstPacketAt: number,
  ffprobePath: string,
): Promise<ClosedSegment[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith(`${prefix}-`) && !seen.has(n)).sort();
  const closed: ClosedSegment[] = [];
  let end = listedEnd;
  for (const name of names) {
    seen.add(name);
    const file = path.join(dir, name);
    const start = end;
    end += (await mediaDuration(ffprobePath, file)) ?? 0;
    closed.push({
      file,
      startedAt: new Date(firstPacketAt + start * 1000),
      endedAt: new Date(firstPacketAt + end * 1000),
      complete: false,
    });
  }
  return closed;
}
