/**
 * Test publisher: one FFmpeg sending a VP8 test pattern and an Opus sine tone into two
 * PlainTransports of a router (plain RTP on 127.0.0.1, the recipe of media-plain-ffmpeg.test.ts).
 * FFmpeg ignores keyframe requests, so it sends a keyframe twice a second (-g 15), about as soon as
 * a browser answers a request.
 */
import { spawn } from 'node:child_process';
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
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
    // Video timestamps from the wall clock at capture, as a browser's: on a starved machine the
    // encoder may fall behind, but the RTP clock keeps following real time.
    ...[
      '-re',
      '-use_wallclock_as_timestamps',
      '1',
      '-f',
      'lavfi',
      '-i',
      `${opts.pattern ?? 'testsrc'}=size=320x240:rate=30`,
    ],
    ...['-re', '-f', 'lavfi', '-i', `sine=frequency=${opts.frequency}:sample_rate=48000`],
    ...['-t', String(opts.maxSeconds)],
    ...[
      '-map',
      '0:v',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '300k',
      '-g',
      '15',
    ],
    ...['-payload_type', String(VIDEO_PT), '-ssrc', String(vssrc), '-f', 'rtp', url(vt)],
    ...['-map', '1:a', '-c:a', 'libopus', '-ac', '2', '-b:a', '64k'],
    ...['-payload_type', String(AUDIO_PT), '-ssrc', String(assrc), '-f', 'rtp', url(at)],
  ];
  const child = spawn(opts.ffmpegPath ?? process.env.FFMPEG_PATH ?? 'ffmpeg', args, {
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
