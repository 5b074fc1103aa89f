/**
 * The participants' admission cache against the embedded database (PGlite, in memory): one read
 * per sitting, a ban published on the bus refused at once (also while the sitting is being read),
 * a ban written behind the bus's back seen after the TTL, and what a database outage leaves.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { openDatabase, type OpenedDatabase } from '../db/open';
import { insertSitting } from '../sittings/sittings-repo';
import { AdmissionCache } from './admission-cache';
import { banSubject } from './bans';
import { RevocationBus } from './revocation';

const logger = pino({ level: 'silent' });

describe('admission cache', () => {
  let opened: OpenedDatabase;
  let statements = 0;

  beforeAll(async () => {
    opened = await openDatabase(loadConfig({ DATA_DIR: '/nonexistent-admission-cache' }), logger, {
      pgliteDataDir: 'memory://',
    });
    await migrateToLatest(opened.db, logger);
  });

  afterAll(async () => {
    await opened?.close();
  });

  /** A sitting of `kind`, a cache over a database that counts its statements, a bus, a clock. */
  const setup = async (kind: 'public' | 'reserved' = 'public') => {
    const sitting = await insertSitting(opened.db, {
      title: 't',
      kind,
      scheduledAt: null,
      createdBy: 'test',
    });
    const db = opened.db.withPlugin({
      transformQuery: (args) => {
        statements += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const bus = new RevocationBus(logger);
    const clock = { now: 1_000_000 };
    const cache = new AdmissionCache(db, bus, { ttlMs: 30_000, now: () => clock.now });
    return { id: sitting.id, cache, bus, clock };
  };

  it('reads a sitting once for a storm of connections, and knows its kind', async () => {
    const { id, cache } = await setup('reserved');
    const before = statements;
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => cache.get(id, `operator:${i}`)));
    expect(all.every((a) => a?.kind === 'reserved' && a.id === id && !a.ban.banned)).toBe(true);
    // The sitting and its bans: two statements for fifty connections.
    expect(statements - before).toBe(2);
    await cache.get(id, 'operator:x');
    expect(statements - before).toBe(2);
  });

  it('refuses a subject banned before the read, by the bus, and by the bus during the read', async () => {
    const { id, cache, bus } = await setup();
    await banSubject(opened.db, { sittingId: id, subject: 'operator:before', reason: 'kicked', by: 't' });
    expect((await cache.get(id, 'operator:before'))?.ban.banned).toBe(true);
    expect((await cache.get(id, 'operator:later'))?.ban.banned).toBe(false);

    bus.publish({ kind: 'banned', sittingId: id, subject: 'operator:later' });
    expect((await cache.get(id, 'operator:later'))?.ban).toEqual({ subject: 'operator:later', banned: true });

    // A second sitting: the ban is published while its first read is under way.
    const other = await setup();
    const reading = other.cache.get(other.id, 'operator:racer');
    other.bus.publish({ kind: 'banned', sittingId: other.id, subject: 'operator:racer' });
    await reading;
    expect((await other.cache.get(other.id, 'operator:racer'))?.ban.banned).toBe(true);
  });

  it('sees a ban written behind the bus once the entry is older than the TTL', async () => {
    const { id, cache, clock } = await setup();
    expect((await cache.get(id, 'operator:quiet'))?.ban.banned).toBe(false);
    await banSubject(opened.db, { sittingId: id, subject: 'operator:quiet', reason: 'kicked', by: 't' });
    clock.now += 29_000;
    expect((await cache.get(id, 'operator:quiet'))?.ban.banned).toBe(false);
    clock.now += 1_000;
    expect((await cache.get(id, 'operator:quiet'))?.ban.banned).toBe(true);
  });

  it('answers undefined for a sitting that does not exist, and reads it again next time', async () => {
    const { cache } = await setup();
    const missing = '00000000-0000-4000-8000-00000000dead';
    const before = statements;
    expect(await cache.get(missing, 'operator:a')).toBeUndefined();
    expect(await cache.get(missing, 'operator:a')).toBeUndefined();
    expect(statements - before).toBe(4);
  });

  it('keeps what it read when the database does not answer a later read; refuses a sitting never read', async () => {
    const { id } = await setup();
    const bus = new RevocationBus(logger);
    const clock = { now: 0 };
    let down = false;
    const flaky = opened.db.withPlugin({
      transformQuery: (args) => {
        if (down) throw new Error('database unreachable');
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const cache = new AdmissionCache(flaky, bus, { ttlMs: 30_000, now: () => clock.now });
    expect((await cache.get(id, 'operator:a'))?.ban.banned).toBe(false);
    down = true;
    clock.now += 60_000;
    bus.publish({ kind: 'banned', sittingId: id, subject: 'operator:b' });
    expect((await cache.get(id, 'operator:a'))?.ban.banned).toBe(false);
    expect((await cache.get(id, 'operator:b'))?.ban.banned).toBe(true);
    await expect(cache.get('00000000-0000-4000-8000-00000000beef', 'operator:a')).rejects.toThrow(
      'database unreachable',
    );
  });
});
