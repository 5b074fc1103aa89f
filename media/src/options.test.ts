import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RTC_MAX_PORT, DEFAULT_RTC_MIN_PORT, DEFAULT_RTC_PORT, resolvePoolOptions } from './options';

describe('resolvePoolOptions', () => {
  it('defaults to one worker per core on 0.0.0.0, WebRTC ports just below the PlainTransport range', () => {
    const opts = resolvePoolOptions();
    expect(opts).toMatchObject({
      numWorkers: os.availableParallelism(),
      rtcListenIp: '0.0.0.0',
      rtcAnnouncedAddress: undefined,
      rtcPort: DEFAULT_RTC_PORT,
      rtcMinPort: DEFAULT_RTC_MIN_PORT,
      rtcMaxPort: DEFAULT_RTC_MAX_PORT,
      plainListenIp: '127.0.0.1',
    });
    expect(DEFAULT_RTC_PORT + 99).toBeLessThan(DEFAULT_RTC_MIN_PORT);
  });

  it('treats an empty announced address (an unset env var) as none', () => {
    expect(resolvePoolOptions({ rtcAnnouncedAddress: '' }).rtcAnnouncedAddress).toBeUndefined();
  });

  it('rejects WebRTC ports that overlap the PlainTransport range', () => {
    expect(() => resolvePoolOptions({ rtcPort: 40099, numWorkers: 2 })).toThrow(/overlap/);
    expect(() => resolvePoolOptions({ rtcPort: 40098, numWorkers: 2 })).not.toThrow();
    expect(() => resolvePoolOptions({ rtcPort: 49999, numWorkers: 1 })).toThrow(/overlap/);
  });

  it('rejects impossible worker counts and ports', () => {
    expect(() => resolvePoolOptions({ numWorkers: 0 })).toThrow(/numWorkers/);
    expect(() => resolvePoolOptions({ numWorkers: 1.5 })).toThrow(/numWorkers/);
    expect(() => resolvePoolOptions({ rtcPort: 65535, numWorkers: 2 })).toThrow(/not valid ports/);
    expect(() => resolvePoolOptions({ rtcMinPort: 5000, rtcMaxPort: 4000 })).toThrow(/not valid/);
  });
});
