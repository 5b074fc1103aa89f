/**
 * The register's journal against the embedded database (PGlite, in memory): a burst of entries is
 * written in groups, and the register's rows are still those of the events, in their order, with
 * a bad row refused alone.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { openDatabase, type OpenedDatabase } from '../db/open';
import type { PresenceEvent } from '../sittings/service';
import { RegisterJournal, SITTING_ENDED_REASON } from './journal';

const logger = pino({ level: 'silent' });

describe('the register journal', () => {
  let opened: OpenedDatabase;

  beforeAll(async () => {
    opened = await openDatabase(loadConfig({ DATA_DIR: '/nonexistent-journal' }), logger, {
      pgliteDataDir: 'memory://',
    });
    await migrateToLatest(opened.db, logger);
  });
  afterAll(async () => opened?.close());

  const newSitting = async () =>
    (
      await opened.db
        .insertInto('sittings')
        .values({
          title: 'Seduta',
          kind: 'public',
          status: 'live',
          created_by: 'test',
          scheduled_at: null,
          started_at: null,
          ended_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  const presence = (sittingId: string, n: number, change: PresenceEvent['change']): PresenceEvent => ({
    sittingId,
    change,
    participantId: `p${n}`,
    identity: { subject: `operator:${n}`, name: `Ditta ${n}`, role: 'operator' },
  });
  const rows = (sittingId: string) =>
    opened.db
      .selectFrom('sitting_attendance')
      .select(['participant_id', 'joined_at', 'left_at', 'leave_reason'])
      .where('sitting_id', '=', sittingId)
      .orderBy('joined_at')
      .execute();

  it('stores a burst of entries, leaves and the end as they happened', async () => {
    const sittingId = await newSitting();
    const journal = new RegisterJournal(opened.db, logger);
    const t0 = Date.UTC(2026, 2, 10, 9);
    for (let i = 0; i < 30; i++) journal.presence(presence(sittingId, i, 'joined'), new Date(t0 + i * 1000));
    journal.presence(presence(sittingId, 3, 'left'), new Date(t0 + 40_000));
    for (let i = 30; i < 35; i++)
      journal.presence(presence(sittingId, i, 'joined'), new Date(t0 + i * 1000 + 20_000));
    journal.ended(sittingId, new Date(t0 + 3_600_000));
    expect(await journal.idle()).toBe(true);

    const stored = await rows(sittingId);
    expect(stored.map((r) => r.participant_id)).toEqual(Array.from({ length: 35 }, (_, i) => `p${i}`));
    expect(stored[3]).toMatchObject({ left_at: new Date(t0 + 40_000), leave_reason: 'left' });
    expect(stored.filter((r) => r.leave_reason === SITTING_ENDED_REASON)).toHaveLength(34);
    await journal.close();
  });

  it('loses only the row the database refuses from a group', async () => {
    const sittingId = await newSitting();
    const journal = new RegisterJournal(opened.db, logger);
    journal.presence(presence(sittingId, 1, 'joined'));
    journal.presence(presence(randomUUID(), 2, 'joined')); // no such sitting: refused
    journal.presence(presence(sittingId, 3, 'joined'));
    expect(await journal.idle()).toBe(true);
    expect((await rows(sittingId)).map((r) => r.participant_id)).toEqual(['p1', 'p3']);
    await journal.close();
  });

  it('stores what is queued when it closes', async () => {
    const sittingId = await newSitting();
    const journal = new RegisterJournal(opened.db, logger);
    journal.presence(presence(sittingId, 1, 'joined'));
    await journal.close();
    expect((await rows(sittingId)).map((r) => r.participant_id)).toEqual(['p1']);
  });
});
