import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recorderConfigFromEnv } from './config';

describe('recorderConfigFromEnv', () => {
  it('defaults to $DATA_DIR/recordings, ffmpeg from PATH, 60 s segments and no retention', () => {
    const config = recorderConfigFromEnv({}, '/var/lib/seduta');
    expect(config).toMatchObject({
      recordingsDir: '/var/lib/seduta/recordings',
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      segmentSeconds: 60,
      retentionDays: undefined,
    });
  });

  it('reads RECORDINGS_DIR, RECORDINGS_RETENTION_DAYS, RECORDINGS_SEGMENT_SECONDS and FFMPEG_PATH', () => {
    const config = recorderConfigFromEnv(
      {
        RECORDINGS_DIR: 'rec',
        RECORDINGS_RETENTION_DAYS: '365',
        RECORDINGS_SEGMENT_SECONDS: '30',
        FFMPEG_PATH: '/opt/ffmpeg/bin/ffmpeg',
      },
      '/data',
    );
    expect(config).toMatchObject({
      recordingsDir: path.resolve('rec'),
      retentionDays: 365,
      segmentSeconds: 30,
      ffmpegPath: '/opt/ffmpeg/bin/ffmpeg',
    });
  });

  it('rejects a retention that is not a positive whole number of days', () => {
    for (const value of ['0', '-3', '1.5', 'forever']) {
      expect(() => recorderConfigFromEnv({ RECORDINGS_RETENTION_DAYS: value }, '/d')).toThrow(
        /^Invalid RECORDINGS_RETENTION_DAYS=.*expected an integer from 1 to 36500$/,
      );
    }
  });
});
