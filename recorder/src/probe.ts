import { spawn } from 'node:child_process';

/** Longest an ffprobe call may take before it is killed. */
const PROBE_TIMEOUT_MS = 60_000;

/** One stream as ffprobe describes it (the fields Seduta reads). */
export interface ProbedStream {
  codec_type: 'audio' | 'video' | string;
  codec_name: string;
  width?: number;
  height?: number;
}

/** What ffprobe says about a media file. */
export interface ProbeResult {
  /** Container duration in seconds; undefined when the container does not say (a crash-truncated segment). */
  duration: number | undefined;
  streams: ProbedStream[];
}

/** Runs ffprobe on a file and returns its duration and streams; rejects if ffprobe cannot read it. */
export async function probeFile(ffprobePath: string, file: string): Promise<ProbeResult> {
  const out = await capture(ffprobePath, [
    ...['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name,width,height'],
    ...['-of', 'json', file],
  ]);
  const json = JSON.parse(out) as { format?: { duration?: string }; streams?: ProbedStream[] };
  const duration = Number(json.format?.duration);
  return { duration: Number.isFinite(duration) ? duration : undefined, streams: json.streams ?? [] };
}

/**
 * Media duration of a file in seconds, from the container if it says, else from the end of its last
 * packet (segments cut short by a crash have no duration in their header). Undefined if unreadable.
 */
export async function mediaDuration(ffprobePath: string, file: string): Promise<number | undefined> {
  try {
    const { duration } = await probeFile(ffprobePath, file);
    if (duration !== undefined) return duration;
    const out = await capture(ffprobePath, [
      ...['-v', 'error', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file],
    ]);
    let end: number | undefined;
    for (const line of out.split('\n')) {
      const [pts, dur] = line.split(',').map(Number);
      if (pts !== undefined && Number.isFinite(pts))
        end = Math.max(end ?? 0, pts + (Number.isFinite(dur) ? dur! : 0));
    }
    return end;
  } catch {
    return undefined;
  }
}

/** Runs a command to completion (killed after PROBE_TIMEOUT_MS) and returns its stdout. */
export function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-2000)));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} exited with ${code ?? signal}: ${err.trim()}`));
    });
  });
}
