/**
 * Test publisher: one FFmpeg sending a VP8 test pattern and an Opus sine tone into two
 * PlainTransports of a router (plain RTP on 127.0.0.1, the recipe of media-plain-ffmpeg.test.ts).
 * FFmpeg ignores keyframe requests, so the video has a keyframe twice a second (-g 15), about as
 * soon as a browser answers a request.
 *
 * The media is encoded once per pattern and tone into a short clip that the publisher then loops
 * at real speed without re-encoding (`-c copy`): a live encoder starved of CPU on a busy machine
 * sends less than real time, and a recording test would then measure its own publisher instead of
 * the recorder (seen in CI: a speaker's camera "recorded" for 81 % of the time it was live).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { types } from 'mediasoup';
import { producerDefaults } from '@seduta/media';
import type { MediaRouter } from '@seduta/media';

/** Options of {@link startPublisher}. */
export interface PublisherOptions {
  /** Owner of the publisher's transports on the router. */
  participantId: string;
  /** Tone of the audio track, Hz. */
  frequency: number;
  /** lavfi video source (testsrc, testsrc2, smptebars...). */
  pattern?: string;
  /** FFmpeg stops by itself after this long (bounds a hung test). */
  maxSeconds: number;
  ffmpegPath?: string;
}

/** A running publisher. */
export interface Publisher {
  video: types.Producer;
  audio: types.Producer;
  pid: number;
  /** Kills FFmpeg and closes the transports (and so the producers); resolves once FFmpeg exited. */
  stop(): Promise<void>;
}

const VIDEO_PT = 101;
const AUDIO_PT = 100;
/** Length of the looped clip: long enough that the loop's seam is rare, short to encode. */
const CLIP_SECONDS = 10;
const clips = new Map<string, Promise<string>>();

/**
 * Encodes the clip a publisher of `pattern` and `frequency` will send, ahead of time (encoding
 * takes seconds on a busy machine: a test whose schedule matters prepares before it starts).
 */
export async function preparePublisher(
  opts: Pick<PublisherOptions, 'frequency' | 'pattern' | 'ffmpegPath'>,
): Promise<void> {
  await clip(
    opts.ffmpegPath ?? process.env.FFMPEG_PATH ?? 'ffmpeg',
    opts.pattern ?? 'testsrc',
    opts.frequency,
  );
}

/** The clip of `pattern` and a `frequency` Hz tone (VP8 + Opus in WebM), encoded on first use. */
function clip(ffmpeg: string, pattern: string, frequency: number): Promise<string> {
  const key = `${pattern}-${frequency}`;
  let made = clips.get(key);
  if (!made) {
    made = (async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-publisher-'));
      const file = path.join(dir, `${key}.webm`);
      await promisify(execFile)(ffmpeg, [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
        ...['-f', 'lavfi', '-i', `${pattern}=size=320x240:rate=30`],
        ...['-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=48000`],
        ...['-t', String(CLIP_SECONDS)],
        ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '15'],
        ...['-c:a', 'libopus', '-ac', '2', '-b:a', '64k'],
        file,
      ]);
      process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      return file;
    })();
    clips.set(key, made);
  }
  return made;
}

/** Starts FFmpeg publishing into two new producers and resolves once both receive media. */
export async function startPublisher(router: MediaRouter, opts: PublisherOptions): Promise<Publisher> {
  const plain = { participantId: opts.participantId, comedia: true, rtcpMux: false };
  const vt = await router.createPlainTransport(plain);
  const at = await router.createPlainTransport(plain);
  const vssrc = 10_000 + Math.floor(Math.random() * 1e8);
  const assrc = vssrc + 1;
  const video = await vt.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }],
      encodings: [{ ssrc: vssrc }],
    },
    ...producerDefaults('video'),
  });
  const audio = await at.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: assrc }],
    },
  });
  const url = (t: types.PlainTransport) =>
    `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${t.rtcpTuple!.localPort}&pkt_size=1200`;
  const ffmpeg = opts.ffmpegPath ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
  const input = await clip(ffmpeg, opts.pattern ?? 'testsrc', opts.frequency);
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
    // The clip looped at real speed, as sent: no encoder to fall behind.
    ...['-re', '-stream_loop', '-1', '-t', String(opts.maxSeconds), '-i', input],
    ...['-map', '0:v', '-c:v', 'copy'],
    ...['-payload_type', String(VIDEO_PT), '-ssrc', String(vssrc), '-f', 'rtp', url(vt)],
    ...['-map', '0:a', '-c:a', 'copy'],
    ...['-payload_type', String(AUDIO_PT), '-ssrc', String(assrc), '-f', 'rtp', url(at)],
  ];
  const child = spawn(ffmpeg, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => {
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    vt.close();
    at.close();
  };
  const deadline = Date.now() + 15_000;
  while ((await bytes(video)) === 0 || (await bytes(audio)) === 0) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`publisher sent no media: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { video, audio, pid: child.pid ?? 0, stop };
}

async function bytes(producer: types.Producer): Promise<number> {
  return (await producer.getStats()).reduce((sum, s) => sum + s.byteCount, 0);
}
