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
}

/** How long FFmpeg may take to bind its port on a busy machine. */
const BIND_TIMEOUT_MS = 10_000;
/** A segment is cut at the first keyframe after its nominal end; ask for one just after it. */
const KEYFRAME_AFTER_BOUNDARY_MS = 100;

/**
 * One FFmpeg lifetime on one track: the segment files (prefix `rNNNN`) and the segment list it
 * writes from its link's RTP. Each segment's wall-clock times are the run's first RTP packet plus
 * the offsets in FFmpeg's list (which come from the RTP timestamps).
 */
export class TrackRun {
  readonly index: number;
  /** File name prefix of this run's files (`r0003`). */
  readonly prefix: string;
  readonly link: TrackLink;
  readonly #opts: TrackRunOptions;
  readonly #list: SegmentListReader;
  readonly #seen = new Set<string>();
  #firstPacketAt: number | undefined;
  #lastEnd = 0;
  #keyframeTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: TrackRunOptions) {
    this.#opts = opts;
    this.index = opts.index;
    this.link = opts.link;
    this.prefix = `r${String(opts.index).padStart(4, '0')}`;
    this.#list = new SegmentListReader(path.join(opts.dir, `${this.prefix}.csv`));
  }

  /** Codec of the run's media. */
  get codec(): string {
    return this.link.codec;
  }

  /** FFmpeg's arguments: the link's SDP in, `-c copy` segments and their CSV list out. */
  get ffmpegArgs(): string[] {
    const { format, extension } = containerFor(this.codec);
    return [
      ...['-hide_banner', '-nostats', '-loglevel', 'info', '-n'],
      ...['-protocol_whitelist', 'file,udp,rtp', '-localaddr', '127.0.0.1'],
      // Wait for packets forever: by default FFmpeg ends after 10 s without any, and a muted
      // microphone (a paused producer) sends none.
      ...['-listen_timeout', '-1'],
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

  /** Wall-clock time (ms) of the first RTP packet sent to FFmpeg, once known. */
  get firstPacketAt(): number | undefined {
    return this.#firstPacketAt;
  }

  /**
   * Once FFmpeg listens, notes when the first packet goes out, lets media flow and asks for a
   * keyframe (a video segment can only start with one), then again after every segment boundary.
   * The link's consumer must be paused, so that the first packet after resume() is FFmpeg's first.
   */
  async begin(signal: AbortSignal, pid: number): Promise<void> {
    await waitUdpBound(this.link.port, BIND_TIMEOUT_MS, signal);
    const consumer = this.link.consumer;
    const onTrace = (trace: types.ConsumerTraceEventData) => {
      consumer.off('trace', onTrace);
      this.#firstPacketAt ??= wallClockOf(trace.timestamp);
      // What crash recovery needs to time this run's files and to stop an orphaned FFmpeg.
      const meta: RunMeta = {
        pid,
        firstPacketAt: this.#firstPacketAt,
        codec: this.codec,
        sdp: this.link.sdpPath,
      };
      writeFile(runMetaPath(this.#opts.dir, this.prefix), JSON.stringify(meta)).catch((error: unknown) =>
        this.#opts.logger.warn({ err: error }, 'could not write run metadata'),
      );
      if (!consumer.closed) consumer.enableTraceEvent([]).catch(() => {});
      if (this.#opts.kind === 'video') this.#scheduleKeyframes();
    };
    consumer.on('trace', onTrace);
    await consumer.enableTraceEvent(['rtp']);
    await consumer.resume();
    if (this.#opts.kind === 'video') await consumer.requestKeyFrame();
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

/**
 * Wall-clock time (ms) of a mediasoup trace timestamp. The worker stamps events with the same
 * monotonic clock as process.hrtime (libuv's uv_hrtime, in ms), so the time the event spent
 * reaching this process, which can be long on a busy machine, is taken off.
 */
export function wallClockOf(workerTimestampMs: number): number {
  const nowMonotonic = Number(process.hrtime.bigint() / 1_000_000n);
  const delay = nowMonotonic - workerTimestampMs;
  // A timestamp from another clock would give a nonsense delay: trust only what is plausible.
  return Date.now() - (delay >= 0 && delay < 10_000 ? delay : 0);
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
