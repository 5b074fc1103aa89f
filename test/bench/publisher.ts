/**
 * The publisher: a VP8 (~1.2 Mbit/s, 720p30) + Opus file made once by FFmpeg and cached in
 * ~/.cache/seduta/bench, then looped in real time with `-c copy` as plain RTP into the SFU under
 * test. The same packets also go to the sink under reference SSRCs, which gives the number of
 * packets each forwarder should have delivered.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pinnedCommand } from './cpu';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
/** Length of the cached clip; the loop restarts at a keyframe. */
const CLIP_SECONDS = 10;
/** Video bitrate of the clip (bit/s). */
export const VIDEO_BITRATE = 1_200_000;
/** Keyframe interval of the clip, in frames (30 fps): a viewer that joins waits at most this long. */
const GOP_FRAMES = 60;
/** Largest RTP packet FFmpeg writes, as a browser's (~1200 bytes). */
const PACKET_SIZE = 1200;

/** Payload types and SSRCs the publisher uses. Janus's remote publisher wants SSRC 1000 + 10 × mindex. */
export const VIDEO = { payloadType: 96, ssrc: 1000, referenceSsrc: 2000 } as const;
/** Opus stream of the publisher. */
export const AUDIO = { payloadType: 111, ssrc: 1010, referenceSsrc: 2010 } as const;

/** Where the publisher sends one kind of media. */
export interface RtpTarget {
  port: number;
  /** RTCP port of the target; FFmpeg sends its sender reports there. */
  rtcpPort?: number;
}

/** A running publisher; `close()` stops FFmpeg and waits for it. */
export interface Publisher {
  readonly pid: number;
  close(): Promise<void>;
}

/** Path of the cached clip, encoding it first if needed (about 15-40 s, once per machine). */
export async function ensureClip(): Promise<string> {
  const dir = path.join(os.homedir(), '.cache', 'seduta', 'bench');
  const file = path.join(dir, `clip-vp8-${VIDEO_BITRATE / 1000}k-opus-${CLIP_SECONDS}s.webm`);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.${process.pid}.partial.webm`;
  const kbps = VIDEO_BITRATE / 1000;
  await runToEnd([
    ...'-hide_banner -loglevel error -y'.split(' '),
    ...['-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${CLIP_SECONDS}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${CLIP_SECONDS}`],
    ...'-c:v libvpx -deadline realtime -cpu-used 8 -threads 2'.split(' '),
    ...`-b:v ${kbps}k -minrate ${kbps}k -maxrate ${kbps}k -bufsize ${kbps / 2}k -g ${GOP_FRAMES} -keyint_min ${GOP_FRAMES}`.split(
      ' ',
    ),
    ...'-c:a libopus -b:a 48k -ac 2'.split(' '),
    partial,
  ]);
  await rename(partial, file);
  return file;
}

/**
 * Loops the clip in real time into `video` and `audio` (both may be the same port, as for Janus),
 * and a copy of each stream to `reference` under the reference SSRCs. FFmpeg is pinned to `cpu`.
 */
export function startPublisher(opts: {
  clip: string;
  video: RtpTarget;
  audio: RtpTarget;
  reference: RtpTarget;
  cpu?: number;
}): Publisher {
  const out = (kind: 'v' | 'a', target: RtpTarget, ssrc: number, pt: number) => [
    ...['-map', `0:${kind}`, '-c', 'copy', '-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(pt)],
    `rtp://127.0.0.1:${target.port}?pkt_size=${PACKET_SIZE}${target.rtcpPort ? `&rtcpport=${target.rtcpPort}` : ''}`,
  ];
  const args = [
    ...'-hide_banner -loglevel error -nostdin -re -stream_loop -1'.split(' '),
    ...['-i', opts.clip],
    ...out('v', opts.video, VIDEO.ssrc, VIDEO.payloadType),
    ...out('a', opts.audio, AUDIO.ssrc, AUDIO.payloadType),
    ...out('v', opts.reference, VIDEO.referenceSsrc, VIDEO.payloadType),
    ...out('a', opts.reference, AUDIO.referenceSsrc, AUDIO.payloadType),
  ];
  const [command, argv] = pinnedCommand(opts.cpu, FFMPEG, args);
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

function runToEnd(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
  });
}
