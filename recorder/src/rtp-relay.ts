import dgram from 'node:dgram';
import type { Logger } from 'pino';
import { TypedEmitter } from '@seduta/media';
import { isRtcp, parseRtp, writePictureId } from './rtp-packet';

/** Events of an {@link RtpRelay}. */
export type RtpRelayEvents = {
  /** The run's first media was forwarded (video: its first keyframe), at this wall-clock time. */
  media: [at: number];
  /** FFmpeg cannot write the track until the next keyframe; ask the sender for one. */
  keyframe: [reason: string];
  /** The first packet ever arrived: the producer's media flows (its browser is connected). */
  flowing: [at: number];
};

/** Options of {@link RtpRelay.open}. */
export interface RtpRelayOptions {
  kind: 'audio' | 'video';
  /** Codec as FFmpeg spells it ('vp8', 'opus', 'h264'). */
  codec: string;
  logger: Logger;
}

/** Packets kept while FFmpeg starts (about 30 s of a 1 Mbit/s camera). */
const MAX_HELD = 3000;
/** While a video run waits for a keyframe, it asks again this often. */
const KEYFRAME_RETRY_MS = 1000;
/**
 * A video packet still missing this long after its successors arrived was lost for good (a
 * retransmission comes well within it): the frame that needed it is damaged, and so is every
 * frame after it until a keyframe, so one is asked for.
 */
const LOSS_WAIT_MS = 400;
/** Missing sequence numbers remembered at most (a burst longer than this counts as one loss). */
const MAX_MISSING = 200;
const LOOPBACK = '127.0.0.1';

/**
 * The UDP hop between a recording consumer and its FFmpeg. mediasoup sends to the relay from the
 * moment the recording starts; the relay holds the packets until FFmpeg listens (FFmpeg takes
 * 0.5–4 s to start on a busy machine, and whatever mediasoup sent before that was lost), then
 * forwards them and everything after. Each FFmpeg lifetime is a run: a video run begins at a
 * keyframe (earlier packets cannot be written), so the run's first forwarded packet is the first
 * recorded frame and its arrival time places the run's files on the wall clock.
 *
 * The relay also keeps FFmpeg's VP8 depacketizer going. That depacketizer drops every frame after a
 * gap in VP8 picture IDs until the next keyframe. Such gaps come two ways. (1) The SFU left a frame
 * out on purpose: a simulcast consumer forwards only the temporal layers it targets, and mediasoup
 * renumbers the picture IDs to hide that only when the sender also writes TL0PICIDX, which Firefox
 * does not — so a Firefox camera's recording stopped at its first dropped frame (issue 10). The
 * RTP sequence numbers, which mediasoup always renumbers, have no gap then, and the frame left out
 * is one no kept frame refers to: the relay renumbers the picture IDs as mediasoup would. (2) A
 * packet was lost (a sequence gap too): the relay asks for a keyframe at once, and keeps asking
 * while a run waits for one; FFmpeg's own "sequence broken" reports count the same.
 */
export class RtpRelay extends TypedEmitter<RtpRelayEvents> {
  /** Port mediasoup sends to. */
  readonly port: number;
  readonly #opts: RtpRelayOptions;
  readonly #socket: dgram.Socket;
  #target: number | undefined;
  #held: Buffer[] = [];
  #running = false;
  #runStartedAt: number | undefined;
  #awaitingKeyframeSince: number | undefined;
  /** Last picture ID received, and what was subtracted from it to make the forwarded one. */
  #lastPictureId: number | undefined;
  #pictureIdShift = 0;
  #lastSeq: number | undefined;
  /** Video sequence numbers skipped over, waiting for a retransmission. */
  readonly #missing = new Set<number>();
  #lossTimer: NodeJS.Timeout | undefined;
  /** Whether any packet has arrived yet (the producer's media flows). */
  #flowing = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Counters for logs and tests. */
  readonly stats = {
    packets: 0,
    forwarded: 0,
    keyframes: 0,
    /** Picture ID gaps where a packet was lost too: FFmpeg needs a keyframe. */
    pictureGaps: 0,
    /** Picture ID gaps the SFU made on purpose (no packet lost): renumbered. */
    pictureIdsRenumbered: 0,
    seqGaps: 0,
    /** Video packets that never came, not even retransmitted. */
    packetsLost: 0,
    dropped: 0,
  };

  /** Binds the relay's port on loopback. */
  static async open(opts: RtpRelayOptions): Promise<RtpRelay> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, LOOPBACK, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new RtpRelay(socket, opts);
  }

  private constructor(socket: dgram.Socket, opts: RtpRelayOptions) {
    super((event, error) => opts.logger.error({ err: error, event }, 'RtpRelay listener threw'));
    this.#socket = socket;
    this.#opts = opts;
    this.port = socket.address().port;
    socket.on('message', (packet) => this.#onPacket(packet));
    socket.on('error', (error) => opts.logger.warn({ err: error }, 'recorder relay socket error'));
  }

  /** Wall-clock time of the current run's first recorded packet, once known. */
  get runStartedAt(): number | undefined {
    return this.#runStartedAt;
  }

  /** Since when video has waited for a keyframe (nothing can be written meanwhile), if it does. */
  get awaitingKeyframeSince(): number | undefined {
    return this.#awaitingKeyframeSince;
  }

  /**
   * Starts holding packets for a new FFmpeg. A video run begins at a keyframe: one is asked for
   * now, and again every second once packets flow until one comes (a sender that is still
   * connecting sends nothing, and that is not a gap in the recording).
   */
  beginRun(): void {
    this.#target = undefined;
    this.#running = true;
    this.#held = [];
    this.#runStartedAt = undefined;
    this.#lastPictureId = undefined;
    this.#awaitingKeyframeSince = undefined;
    if (this.#opts.kind === 'video') this.safeEmit('keyframe', 'recording starts');
  }

  /** FFmpeg listens on `port`: sends what was held, then forwards as packets come. */
  forwardTo(port: number): void {
    if (!this.#running) return;
    this.#target = port;
    const held = this.#held;
    this.#held = [];
    for (const packet of held) this.#send(packet);
  }

  /** FFmpeg is gone: nothing more is forwarded or held until the next run. */
  endRun(): void {
    this.#running = false;
    this.#target = undefined;
    this.#held = [];
    this.#awaitingKeyframeSince = undefined;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#lossTimer);
    this.#lossTimer = undefined;
    this.#missing.clear();
  }

  /**
   * FFmpeg reported a broken frame sequence: it writes nothing until the next keyframe. Idempotent
   * while already waiting.
   */
  sequenceBroken(reason: string): void {
    if (this.#opts.kind !== 'video' || !this.#running) return;
    this.#awaitKeyframe(reason, Date.now());
  }

  /** Closes the socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.endRun();
    this.#socket.close();
    this.#opts.logger.info({ relay: this.stats }, 'recording link closed');
  }

  #onPacket(packet: Buffer): void {
    const now = Date.now();
    if (isRtcp(packet)) {
      if (this.#runStartedAt !== undefined) this.#forward(packet);
      return;
    }
    this.stats.packets += 1;
    if (!this.#flowing) {
      this.#flowing = true;
      this.safeEmit('flowing', now);
    }
    if (!this.#running) return;
    if (this.#opts.kind === 'audio') {
      this.#runStartedAt ??= this.#started(now);
      this.#forward(packet);
      return;
    }
    const info = parseRtp(packet, this.#opts.codec);
    if (!info) return;
    const contiguous = this.#lastSeq === undefined || info.seq === ((this.#lastSeq + 1) & 0xffff);
    if (!contiguous) this.#onSeqGap(info.seq);
    else this.#lastSeq = info.seq;
    if (info.frameStart)
      this.#onFrameStart(info.keyframe, info.pictureId, info.pictureIdSpan, contiguous, now);
    if (info.pictureId !== undefined && this.#pictureIdShift !== 0) {
      const span = info.pictureIdSpan;
      writePictureId(packet, info, (((info.pictureId - this.#pictureIdShift) % span) + span) % span);
    }
    if (this.#runStartedAt === undefined) {
      if (!info.keyframe || !info.frameStart) {
        this.#awaitKeyframe('recording starts', now);
        return;
      }
      this.#runStartedAt = this.#started(now);
    }
    this.#forward(packet);
  }

  /** A packet out of order: a late one fills a hole, a jump ahead opens one. */
  #onSeqGap(seq: number): void {
    const last = this.#lastSeq!;
    const ahead = (seq - last) & 0xffff;
    if (ahead === 0 || ahead >= 0x8000) {
      this.#missing.delete(seq);
      return;
    }
    this.stats.seqGaps += 1;
    for (let s = (last + 1) & 0xffff, n = 0; s !== seq && n < MAX_MISSING; s = (s + 1) & 0xffff, n++)
      this.#missing.add(s);
    this.#lastSeq = seq;
    if (this.#lossTimer) return;
    this.#lossTimer = setTimeout(() => {
      this.#lossTimer = undefined;
      if (this.#missing.size === 0 || this.#closed) return;
      this.stats.packetsLost += this.#missing.size;
      this.#missing.clear();
      if (this.#running) this.safeEmit('keyframe', 'packets lost');
    }, LOSS_WAIT_MS);
  }

  #onFrameStart(
    keyframe: boolean,
    pictureId: number | undefined,
    span: number,
    contiguous: boolean,
    now: number,
  ): void {
    const previous = this.#lastPictureId;
    this.#lastPictureId = pictureId;
    const expected = previous === undefined ? undefined : (previous + 1) % span;
    if (pictureId !== undefined && expected !== undefined && pictureId !== expected) {
      if (contiguous || keyframe) {
        // Left out on purpose (or a keyframe, which needs nothing before it): renumber.
        this.#pictureIdShift = (this.#pictureIdShift + pictureId - expected + span) % span;
        this.stats.pictureIdsRenumbered += 1;
      } else {
        // Lost: FFmpeg's VP8 depacketizer drops every frame from here to the next keyframe.
        this.stats.pictureGaps += 1;
        this.#awaitKeyframe(`picture ${expected} missing (got ${pictureId})`, now);
      }
    }
    if (keyframe) {
      // A keyframe repairs whatever was lost before it.
      this.stats.keyframes += 1;
      this.#awaitingKeyframeSince = undefined;
      clearTimeout(this.#retryTimer);
      clearTimeout(this.#lossTimer);
      this.#lossTimer = undefined;
      this.#missing.clear();
    }
  }

  #started(now: number): number {
    this.safeEmit('media', now);
    return now;
  }

  #awaitKeyframe(reason: string, now: number): void {
    if (this.#awaitingKeyframeSince !== undefined) return;
    this.#awaitingKeyframeSince = now;
    this.safeEmit('keyframe', reason);
    const retry = () => {
      if (this.#awaitingKeyframeSince === undefined || this.#closed) return;
      this.safeEmit('keyframe', 'still no keyframe');
      this.#retryTimer = setTimeout(retry, KEYFRAME_RETRY_MS);
    };
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(retry, KEYFRAME_RETRY_MS);
  }

  #forward(packet: Buffer): void {
    if (this.#target !== undefined) {
      this.#send(packet);
      return;
    }
    if (this.#held.length >= MAX_HELD) {
      this.#held.shift();
      this.stats.dropped += 1;
    }
    this.#held.push(packet);
  }

  #send(packet: Buffer): void {
    this.stats.forwarded += 1;
    this.#socket.send(packet, this.#target!, LOOPBACK, (error) => {
      if (error) this.stats.dropped += 1;
    });
  }
}
