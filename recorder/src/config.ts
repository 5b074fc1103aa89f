/**
 * Recorder settings from the environment. The server's own configuration does not know about them
 * yet, so the recorder reads its variables itself and reports problems as RecorderConfigError.
 */
import path from 'node:path';

/** Validated recorder settings. */
export interface RecorderConfig {
  /** Root of every recording file (RECORDINGS_DIR, default `$DATA_DIR/recordings`). Absolute. */
  recordingsDir: string;
  /** FFmpeg executable (FFMPEG_PATH, default `ffmpeg` from PATH). */
  ffmpegPath: string;
  /** FFprobe executable (FFPROBE_PATH, default `ffprobe` from PATH). */
  ffprobePath: string;
  /** Length of one live segment in seconds (RECORDINGS_SEGMENT_SECONDS, default 60). */
  segmentSeconds: number;
  /** Days after which recording files are deleted (RECORDINGS_RETENTION_DAYS); undefined keeps them. */
  retentionDays: number | undefined;
  /** Picture of the finalized file. */
  output: OutputSettings;
  /**
   * Free space under which the recordings disk is reported in /api/health (RECORDINGS_MIN_FREE_MB,
   * default 1024 MB; absent: the default).
   */
  minFreeBytes?: number;
}

/** Default of {@link RecorderConfig.minFreeBytes}: one hour of a busy sitting's tracks, with room to spare. */
export const DEFAULT_MIN_FREE_BYTES = 1024 * 1024 * 1024;

/** Size, frame rate and quality of the finalized file. */
export interface OutputSettings {
  width: number;
  height: number;
  fps: number;
  /** libx264 constant rate factor (lower is better and bigger). */
  crf: number;
}

/** A recorder variable with an impossible value; the message is one line. */
export class RecorderConfigError extends Error {
  override readonly name = 'RecorderConfigError';
}

/** Defaults of {@link RecorderConfig} that do not depend on the environment. */
export const DEFAULT_OUTPUT: OutputSettings = { width: 1280, height: 720, fps: 25, crf: 26 };

/**
 * Reads RECORDINGS_DIR, RECORDINGS_RETENTION_DAYS, RECORDINGS_SEGMENT_SECONDS, RECORDINGS_MIN_FREE_MB,
 * FFMPEG_PATH, FFPROBE_PATH.
 */
export function recorderConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  dataDir: string = path.resolve(env.DATA_DIR?.trim() || './data'),
): RecorderConfig {
  const read = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const retention = read('RECORDINGS_RETENTION_DAYS');
  return {
    recordingsDir: path.resolve(read('RECORDINGS_DIR') ?? path.join(dataDir, 'recordings')),
    ffmpegPath: read('FFMPEG_PATH') ?? 'ffmpeg',
    ffprobePath: read('FFPROBE_PATH') ?? 'ffprobe',
    segmentSeconds: positiveInteger(
      'RECORDINGS_SEGMENT_SECONDS',
      read('RECORDINGS_SEGMENT_SECONDS') ?? '60',
      3600,
    ),
    retentionDays:
      retention === undefined ? undefined : positiveInteger('RECORDINGS_RETENTION_DAYS', retention, 36500),
    output: { ...DEFAULT_OUTPUT },
    minFreeBytes:
      positiveInteger('RECORDINGS_MIN_FREE_MB', read('RECORDINGS_MIN_FREE_MB') ?? '1024', 10_000_000) *
      1024 *
      1024,
  };
}

function positiveInteger(name: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new RecorderConfigError(
      `Invalid ${name}=${JSON.stringify(value)}: expected an integer from 1 to ${max}`,
    );
  }
  return n;
}
