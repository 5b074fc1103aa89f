import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { allowSlowQueries, slowQueriesAllowed } from './guarded-pool';

describe('allowSlowQueries', () => {
  it('lifts the timeout inside, also across awaits and overlapping runs, and only there', async () => {
    expect(slowQueriesAllowed()).toBe(false);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const long = allowSlowQueries(async () => {
      await held;
      return slowQueriesAllowed();
    });
    const short = allowSlowQueries(async () => {
      await sleep(1);
      return slowQueriesAllowed();
    });
    expect(await short).toBe(true);
    expect(slowQueriesAllowed()).toBe(false);
    release();
    expect(await long).toBe(true);
    expect(slowQueriesAllowed()).toBe(false);
    // Used again after it was switched off.
    expect(await allowSlowQueries(async () => slowQueriesAllowed())).toBe(true);
  });

  it('is ended also when the work fails', async () => {
    await expect(
      allowSlowQueries(async () => {
        throw new Error('migration failed');
      }),
    ).rejects.toThrow('migration failed');
    expect(slowQueriesAllowed()).toBe(false);
  });
});
