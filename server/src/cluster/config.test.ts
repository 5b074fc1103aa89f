import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';

describe('multi-node settings', () => {
  it('are off without REDIS_URL', () => {
    expect(loadConfig({}).cluster).toBeUndefined();
  });

  it('take REDIS_URL and the tunables, with their defaults', () => {
    expect(loadConfig({ REDIS_URL: 'redis://:pw@10.0.0.5:6379/0' }).cluster).toEqual({
      redisUrl: 'redis://:pw@10.0.0.5:6379/0',
      connectTimeoutMs: 5000,
      nodeTtlMs: 4000,
      leaseTtlMs: 5000,
    });
    expect(
      loadConfig({ REDIS_URL: 'rediss://redis.example.org:6380', CLUSTER_LEASE_TTL_MS: '8000' }).cluster,
    ).toMatchObject({ leaseTtlMs: 8000 });
  });

  it('refuse a URL that is not Redis, without echoing its password', () => {
    const error = (() => {
      try {
        loadConfig({ REDIS_URL: 'http://:secret@10.0.0.5:6379' });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Invalid REDIS_URL="http:\/\/:\*\*\*@10\.0\.0\.5:6379\/?"/);
    expect(() => loadConfig({ REDIS_URL: 'redis://x', REDIS_CONNECT_TIMEOUT_MS: '20000' })).toThrow(
      'Invalid REDIS_CONNECT_TIMEOUT_MS="20000": expected an integer between 500 and 9000',
    );
  });
});
