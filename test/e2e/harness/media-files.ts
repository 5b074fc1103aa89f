/**
 * Looking at recorded files the way a person checking evidence would: decoded frames, their
 * timestamps and sizes, and the brightness of parts of a picture (is someone shown there?).
 */
import { spawn } from 'node:child_process';
import { capture } from '../../../recorder/src/probe';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const FFPROBE = process.env.FFPROBE_PATH ?? 'ffprobe';

/** One decoded video frame: its time in the file and its size. */
export interface DecodedFrame {
  t: number;
  width: number;
  height: number;
}

/** Every decodable video frame of a file. */
export async function videoFrames(file: string): Promise<DecodedFrame[]> {
  const out = await capture(FFPROBE, [
    ...[
      '-v',
      'quiet',
      '-select_streams',
      'v:0',
      '-show_entries',
      'frame=best_effort_timestamp_time,width,height',
    ],
    ...['-of', 'csv=p=0', file],
  ]);
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [t, width, height] = line.split(',').map(Number);
      return { t: t ?? NaN, width: width ?? 0, height: height ?? 0 };
    })
    .filter((f) => Number.isFinite(f.t));
}

/** Times of the decodable audio frames of a file. */
export async function audioFrameTimes(file: string): Promise<number[]> {
  const out = await capture(FFPROBE, [
    ...['-v', 'quiet', '-select_streams', 'a:0', '-show_entries', 'frame=best_effort_timestamp_time'],
    ...['-of', 'csv=p=0', file],
  ]);
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number)
    .filter((t) => Number.isFinite(t));
}

/** A small grey picture of the frame at `t` seconds (`width`×`height`, one byte per pixel). */
export interface GreyPicture {
  width: number;
  height: number;
  pixels: Buffer;
}

/** The frame of `file` at `t` seconds, scaled down to a grey `width`×`height` picture. */
export async function greyFrameAt(file: string, t: number, width = 128, height = 72): Promise<GreyPicture> {
  const pixels = await new Promise<Buffer>((resolve, reject) => {
    Promise.resolve()
      .then(() => {
        const child = spawn(
          FFMPEG,
          [
            ...['-v', 'error', '-ss', t.toFixed(3), '-i', file, '-frames:v', '1'],
            ...['-vf', `scale=${width}:${height},format=gray`, '-f', 'rawvideo', 'pipe:1'],
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const chunks: Buffer[] = [];
        let err = '';
        child.stdout.on('data', (c: Buffer) => chunks.push(c));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.once('error', reject);
        child.once('close', (code) =>
          code === 0 && chunks.length > 0
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`no frame at ${t} s in ${file}: ${err.trim()}`)),
        );
      })
      .catch(reject);
  });
  return { width, height, pixels };
}

/** A rectangle as fractions of the picture (0..1). */
export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Mean and standard deviation of the grey levels inside `region`. */
export function regionStats(picture: GreyPicture, region: Region): { mean: number; std: number } {
  const x0 = Math.round(region.x * picture.width);
  const y0 = Math.round(region.y * picture.height);
  const x1 = Math.round((region.x + region.w) * picture.width);
  const y1 = Math.round((region.y + region.h) * picture.height);
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const v = picture.pixels[y * picture.width + x] ?? 0;
      sum += v;
      sq += v * v;
      n += 1;
    }
  const mean = n === 0 ? 0 : sum / n;
  return { mean, std: n === 0 ? 0 : Math.sqrt(Math.max(0, sq / n - mean * mean)) };
}
