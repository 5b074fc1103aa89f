import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, migrateToZero, migrationStatus, MigrationError } from '../../server/src/db/migrate';
import { migrations } from '../../migrations/index';
import { SITTING_KINDS, SITTING_STATUSES, type SittingStatus } from '../../server/src/db/schema';
import { testDatabases, testLogger, type TestDatabase } from '../support/databases';

const ALL = Object.keys(migrations);

const sitting = (status: SittingStatus = 'scheduled') => ({
  title: 'Apertura buste — lotto 1',
  kind: 'public' as const,
  status,
  scheduled_at: new Date('2030-03-01T09:30:00Z'),
  created_by: 'rup@ente.example',
});

describe.each(testDatabases())('migrations on %s', (_kind, target) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await target.open({ migrate: false });
  });
  afterAll(() => t?.close());

  it('applies every migration to an empty database, then finds nothing left to do', async () => {
    expect(ALL[0]).toBe('0001_initial');
    expect(await migrateToLatest(t.handle.db, testLogger)).toEqual(ALL);
    expect(await migrateToLatest(t.handle.db, testLogger)).toEqual([]);
    const status = await migrationStatus(t.handle.db);
    expect(status.map((m) => m.name)).toEqual(ALL);
    expect(status.every((m) => m.executedAt instanceof Date)).toBe(true);
  });

  it('gives a new sitting a uuid, the scheduled status and its creation time', async () => {
    const { db } = t.handle;
    const before = Date.now();
    const row = await db
      .insertInto('sittings')
      .values({ ...sitting(), status: undefined })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row.status).toBe('scheduled');
    expect(row.scheduled_at).toEqual(new Date('2030-03-01T09:30:00Z'));
    expect(row.started_at).toBeNull();
    expect(row.created_at.getTime()).toBeGreaterThanOrEqual(before - 5000);
  });

  it('accepts every SittingStatus and SittingKind literal the code knows', async () => {
    const { db } = t.handle;
    for (const status of SITTING_STATUSES) {
      for (const kind of SITTING_KINDS) {
        await db
          .insertInto('sittings')
          .values({ ...sitting(status), kind })
          .execute();
      }
    }
    const rows = await db.selectFrom('sittings').select(['status', 'kind']).distinct().execute();
    expect(rows).toHaveLength(SITTING_STATUSES.length * SITTING_KINDS.length);
  });

  it('rejects a status outside SittingStatus, in the type system and in the database', async () => {
    const insert = t.handle.db
      .insertInto('sittings')
      // @ts-expect-error 'paused' is not a SittingStatus
      .values({ ...sitting(), status: 'paused' })
      .execute();
    await expect(insert).rejects.toThrow(/sittings_status_check/);
  });

  it('rejects a kind outside SittingKind', async () => {
    const insert = sql`insert into sittings (title, kind, created_by) values ('x', 'secret', 'x')`.execute(
      t.handle.db,
    );
    await expect(insert).rejects.toThrow(/sittings_kind_check/);
  });

  it('rejects an empty title', async () => {
    const insert = t.handle.db
      .insertInto('sittings')
      .values({ ...sitting(), title: '' })
      .execute();
    await expect(insert).rejects.toThrow(/sittings_title_check/);
  });

  it('reverts every migration, leaving no table behind, and applies them again', async () => {
    const { db } = t.handle;
    expect(await migrateToZero(db, testLogger)).toEqual([...ALL].reverse());
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_name not like 'kysely_%'`.execute(db);
    expect(tables.rows).toEqual([]);
    expect(await migrateToLatest(db, testLogger)).toEqual(ALL);
  });
});

describe.each(testDatabases())('a failing migration on %s', (_kind, target) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await target.open({ migrate: false });
  });
  afterAll(() => t?.close());

  it('stops with a MigrationError naming the migration and its cause, and rolls it back', async () => {
    await sql`create table sittings (id int)`.execute(t.handle.db);
    const run = migrateToLatest(t.handle.db, testLogger);
    await expect(run).rejects.toThrow(MigrationError);
    await expect(run).rejects.toThrow(/^migration 0001_initial failed: .*"sittings" already exists/);
    const auditLog = await sql`select to_regclass('audit_log') as t`.execute(t.handle.db);
    expect(auditLog.rows).toEqual([{ t: null }]);
    expect((await migrationStatus(t.handle.db)).every((m) => m.executedAt === undefined)).toBe(true);
  });
});
