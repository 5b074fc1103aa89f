/**
 * A VP8 sender for recorder tests that behaves like a browser's encoder where it matters: it sends
 * real VP8 (pre-encoded by FFmpeg) as RFC 7741 RTP into a mediasoup PlainTransport producer, in
 * real time, with 15-bit picture IDs; it sends a keyframe only at the start and when asked (RTCP
 * PLI or FIR), as a browser does; and faults can be injected: whole frames lost, one packet of a
 * frame lost, and a switch to another resolution with a new picture-ID counter (what a recorder
 * sees when a simulcast consumer changes layer).
 *
 * The stream is encoded twice per size: once with a single keyframe ("gop") and once all
 * keyframes ("intra"). Answering a keyframe request sends the intra frame of the current index,
 * then the gop stream goes on from there: its references no longer match exactly, which VP8
 * decoders accept (as after a real loss), so the frames still decode.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { MediaRouter } from '@seduta/media';
import { producerDefaults } from '@seduta/media';

const FPS = 15;
const MAX_PAYLOAD = 1100;
const PT = 96;

/** Something the source did, for the test's timeline. */
export interface SourceEvent {
  at: number;
  kind: 'pli' | 'fir' | 'keyframe' | 'lost-frame' | 'lost-packet' | 'switched';
}

/** A running source. */
export interface Vp8RtpSource {
  producer: types.Producer;
  /** Everything that happened, in order. */
  events: SourceEvent[];
  /** Drops every packet of the next `frames` delta frames (whole frames lost). */
  loseFrames(frames: number): void;
  /** Drops one packet in the middle of the next delta frame of several packets. */
  losePacket(): void;
  /** The next frame is a keyframe of the other size, and picture IDs jump as a new encoder's would. */
  switchResolution(): void;
  stop(): Promise<void>;
}

interface Encoded {
  gop: Buffer[];
  intra: Buffer[];
}

/** Encodes `seconds` of testsrc2 at `size` (WxH) into the gop and intra frame lists. */
export function encodeVp8(dir: string, size: string, seconds: number, ffmpegPath = 'ffmpeg'): Encoded {
  const encode = (name: string, gop: number): Buffer[] => {
    const file = path.join(dir, `${name}.ivf`);
    const r = spawnSync(ffmpegPath, [
      ...[
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${size}:rate=${FPS}`,
        '-t',
        String(seconds),
      ],
      ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-auto-alt-ref', '0'],
      ...['-g', String(gop), '-keyint_min', String(gop), '-f', 'ivf', file],
    ]);
    if (r.status !== 0) throw new Error(`could not encode ${name}: ${r.stderr.toString()}`);
    return ivfFrames(readFileSync(file));
  };
  return { gop: encode(`gop-${size}`, 100_000), intra: encode(`intra-${size}`, 1) };
}

/** The frames of an IVF file (32-byte header, then a 12-byte header per frame). */
export function ivfFrames(ivf: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = ivf.readUInt16LE(6); at + 12 <= ivf.length;) {
    const size = ivf.readUInt32LE(at);
    frames.push(ivf.subarray(at + 12, at + 12 + size));
    at += 12 + size;
  }
  return frames;
}

/** Whether a VP8 frame is a keyframe (P bit of its first byte clear). */
export function isKeyframe(frame: Buffer): boolean {
  return (frame[0]! & 0x01) === 0;
}

/** Starts sending `sizes[0]` into a new producer on `router`; `switchResolution` moves to the next. */
export async function startVp8Source(router: MediaRouter, sizes: Encoded[]): Promise<Vp8RtpSource> {
  const transport = await router.createPlainTransport({ participantId: 'vp8-source', comedia: true });
  const ssrc = 20_000 + Math.floor(Math.random() * 1e8);
  const producer = await transport.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [
        {
          mimeType: 'video/VP8',
          payloadType: PT,
          clockRate: 90000,
          rtcpFeedback: [
            { type: 'nack' },
            { type: 'nack', parameter: 'pli' },
            { type: 'ccm', parameter: 'fir' },
          ],
        },
      ],
      encodings: [{ ssrc }],
    },
    ...producerDefaults('video'),
  });
  const socket = dgram.createSocket('udp4');
  // A send to a transport that just closed fails; the test sees it in what was recorded, not here.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const events: SourceEvent[] = [];
  let keyframeWanted = true;
  socket.on('message', (packet) => {
    // RTCP payload-specific feedback (PT 206): FMT 1 is PLI, FMT 4 is FIR; compound packets walked.
    for (let at = 0; at + 4 <= packet.length;) {
      const pt = packet[at + 1]!;
      const fmt = packet[at]! & 0x1f;
      if (pt === 206 && (fmt === 1 || fmt === 4)) {
        events.push({ at: Date.now(), kind: fmt === 1 ? 'pli' : 'fir' });
        keyframeWanted = true;
      }
      at += (packet.readUInt16BE(at + 2) + 1) * 4;
    }
  });

  let size = 0;
  let index = 0;
  let seq = Math.floor(Math.random() * 60_000);
  let pictureId = Math.floor(Math.random() * 30_000);
  let framesToLose = 0;
  let packetToLose = false;
  let stopped = false;
  const t0 = Date.now();
  const send = (packet: Buffer) =>
    new Promise<void>((resolve) =>
      socket.send(packet, transport.tuple.localPort, '127.0.0.1', () => resolve()),
    );

  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      const stream = sizes[size]!;
      const frameIndex = index % stream.gop.length;
      const key = keyframeWanted || frameIndex === 0;
      const frame = key ? stream.intra[frameIndex]! : stream.gop[frameIndex]!;
      if (key) {
        keyframeWanted = false;
        events.push({ at: Date.now(), kind: 'keyframe' });
      }
      const chunks: Buffer[] = [];
      for (let at = 0; at < frame.length; at += MAX_PAYLOAD)
        chunks.push(frame.subarray(at, at + MAX_PAYLOAD));
      const loseWhole = !key && framesToLose > 0;
      if (loseWhole) {
        framesToLose -= 1;
        events.push({ at: Date.now(), kind: 'lost-frame' });
      }
      const losePacketAt = !key && !loseWhole && packetToLose && chunks.length >= 2 ? 1 : -1;
      if (losePacketAt >= 0) {
        packetToLose = false;
        events.push({ at: Date.now(), kind: 'lost-packet' });
      }
      const timestamp = (n * (90_000 / FPS)) >>> 0;
      for (const [i, chunk] of chunks.entries()) {
        const header = Buffer.alloc(12);
        header[0] = 0x80;
        header[1] = (i === chunks.length - 1 ? 0x80 : 0) | PT;
        header.writeUInt16BE(seq, 2);
        header.writeUInt32BE(timestamp, 4);
        header.writeUInt32BE(ssrc, 8);
        seq = (seq + 1) & 0xffff;
        const descriptor = Buffer.from([
          0x80 | (i === 0 ? 0x10 : 0),
          0x80,
          0x80 | (pictureId >> 8),
          pictureId & 0xff,
        ]);
        if (loseWhole || i === losePacketAt) continue;
        await send(Buffer.concat([header, descriptor, chunk]));
      }
      pictureId = (pictureId + 1) & 0x7fff;
      index += 1;
      const next = t0 + ((n + 1) * 1000) / FPS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
  })();

  return {
    producer,
    events,
    loseFrames: (frames) => (framesToLose = frames),
    losePacket: () => (packetToLose = true),
    switchResolution: () => {
      size = (size + 1) % sizes.length;
      pictureId = (pictureId + 1000) & 0x7fff;
      keyframeWanted = true;
      events.push({ at: Date.now(), kind: 'switched' });
    },
    stop: async () => {
      stopped = true;
      await loop;
      socket.close();
      transport.close();
    },
  };
}
