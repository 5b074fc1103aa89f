import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditBatcher } from '../../server/src/audit/audit-batcher';
import { appendAudit, GENESIS_HASH, verifyAuditChain } from '../../server/src/audit/audit-log';
import { testDatabases, type TestDatabase } from '../support/databases';

const SITTING = '6f1c3f4e-8a53-4c4e-9a55-2f0d7a1b9c10';

const entry = (n: number) => ({
  actor: `operatore-${n}`,
  role: 'operator',
  action: 'hand.raise',
  sittingId: SITTING,
  details: { n, note: 'è così' },
});

describe.each(testDatabases())('audit log on %s', (_kind, target) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await target.open();
  });
  afterAll(() => t?.close());

  /** Test-only tampering, as a superuser could: the triggers are what stops the application. */
  async function asSuperuser(statement: ReturnType<typeof sql>): Promise<void> {
    const { db } = t.handle;
    await sql`alter table audit_log disable trigger user`.execute(db);
    try {
      await statement.execute(db);
    } finally {
      await sql`alter table audit_log enable trigger user`.execute(db);
    }
  }

  beforeEach(() => asSuperuser(sql`delete from audit_log`));

  it('chains each entry to the previous one, starting from the genesis hash', async () => {
    const first = await appendAudit(t.handle.db, entry(1));
    const second = await appendAudit(t.handle.db, { ...entry(2), sittingId: null, details: undefined });
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(second.prevHash).toBe(first.hash);
    expect(second.sittingId).toBeNull();
    expect(second.details).toEqual({});
    expect(await verifyAuditChain(t.handle.db)).toEqual({ ok: true, entries: 2, lastHash: second.hash });
  });

  it('stores what it hashed: sha256 of the previous hash and the canonical JSON of the entry', async () => {
    const at = new Date('2030-03-01T09:30:00.123Z');
    const record = await appendAudit(t.handle.db, { ...entry(1), sittingId: SITTING.toUpperCase(), at });
    const canonical =
      '{"action":"hand.raise","actor":"operatore-1","at":"2030-03-01T09:30:00.123Z",' +
      `"details":{"n":1,"note":"è così"},"role":"operator","sittingId":"${SITTING}"}`;
    expect(record.hash).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + canonical)
        .digest('hex'),
    );
    expect(record.at).toEqual(at);
    expect(record.sittingId).toBe(SITTING);
  });

  it('refuses UPDATE, DELETE and TRUNCATE from the application', async () => {
    const { db } = t.handle;
    const { id } = await appendAudit(db, entry(1));
    await expect(
      db
        .updateTable('audit_log')
        .set({ actor: 'x' } as never)
        .where('id', '=', id)
        .execute(),
    ).rejects.toThrow(/audit_log is append-only: UPDATE rejected/);
    await expect(db.deleteFrom('audit_log').where('id', '=', id).execute()).rejects.toThrow(
      /audit_log is append-only: DELETE rejected/,
    );
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(
      /audit_log is append-only: TRUNCATE rejected/,
    );
    await expect(db.deleteFrom('audit_log').execute()).rejects.toMatchObject({ code: '42501' });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, entries: 1 });
  });

  it('keeps one chain when many entries are appended concurrently', async () => {
    const records = await Promise.all(
      Array.from({ length: 30 }, (_, i) => appendAudit(t.handle.db, entry(i))),
    );
    expect(new Set(records.map((r) => r.prevHash)).size).toBe(30);
    expect(await verifyAuditChain(t.handle.db)).toMatchObject({ ok: true, entries: 30 });
  });

  it('writes a burst of entries in the order they were made, a few transactions for many (group commit)', async () => {
    const batcher = new AuditBatcher(t.handle.db);
    const first = await batcher.append(entry(0));
    const burst = Array.from({ length: 40 }, (_, i) => batcher.append(entry(i + 1)));
    // A bad entry is refused alone; the others of its batch are written.
    const bad = batcher.append({ ...entry(99), sittingId: 'not-a-uuid' });
    await expect(bad).rejects.toThrow(TypeError);
    const records = [first, ...(await Promise.all(burst))];
    expect(records.map((r) => (r.details as { n: number }).n)).toEqual(records.map((_, i) => i));
    for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
    const rows = await t.handle.db.selectFrom('audit_log').select(['actor']).orderBy('id').execute();
    expect(rows.map((r) => r.actor)).toEqual(records.map((_, i) => `operatore-${i}`));
    expect(await verifyAuditChain(t.handle.db)).toMatchObject({ ok: true, entries: 41 });
    // Interleaved with single appends from elsewhere, the chain stays one.
    await Promise.all([
      batcher.append(entry(50)),
      appendAudit(t.handle.db, entry(51)),
      batcher.append(entry(52)),
    ]);
    expect(await verifyAuditChain(t.handle.db)).toMatchObject({ ok: true, entries: 44 });
  });

  it('writes inside a caller transaction and disappears with its rollback', async () => {
    const { db } = t.handle;
    await appendAudit(db, entry(1));
    await expect(
      db.transaction().execute(async (trx) => {
        await appendAudit(trx, entry(2));
        throw new Error('the recorded change failed');
      }),
    ).rejects.toThrow('the recorded change failed');
    await db.transaction().execute((trx) => appendAudit(trx, entry(3)));
    const rows = await db.selectFrom('audit_log').select('actor').orderBy('id').execute();
    expect(rows.map((r) => r.actor)).toEqual(['operatore-1', 'operatore-3']);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, entries: 2 });
  });

  it('verifies a chain longer than one read batch', async () => {
    for (let i = 0; i < 520; i++) await appendAudit(t.handle.db, entry(i));
    expect(await verifyAuditChain(t.handle.db)).toMatchObject({ ok: true, entries: 520 });
  });

  it('detects an entry edited behind the application', async () => {
    const { db } = t.handle;
    await appendAudit(db, entry(1));
    const edited = await appendAudit(db, entry(2));
    await appendAudit(db, entry(3));
    await asSuperuser(sql`update audit_log set details = '{"n":2,"note":"altered"}' where id = ${edited.id}`);
    expect(await verifyAuditChain(db)).toEqual({
      ok: false,
      entries: 1,
      brokenAtId: edited.id,
      reason: 'hash does not match the entry content',
    });
  });

  it('detects a removed entry at the entry that followed it', async () => {
    const { db } = t.handle;
    await appendAudit(db, entry(1));
    const removed = await appendAudit(db, entry(2));
    const next = await appendAudit(db, entry(3));
    await asSuperuser(sql`delete from audit_log where id = ${removed.id}`);
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      brokenAtId: next.id,
      reason: 'prev_hash does not match the previous entry',
    });
  });

  it('detects an entry inserted with a forged hash', async () => {
    const { db } = t.handle;
    const last = await appendAudit(db, entry(1));
    await sql`
      insert into audit_log (at, actor, role, action, details, prev_hash, hash)
      values (now(), 'intruder', 'admin', 'recording.download', '{}', ${last.hash}, ${'f'.repeat(64)})`.execute(
      db,
    );
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      entries: 1,
      reason: 'hash does not match the entry content',
    });
  });

  it('refuses a second entry claiming the same predecessor (no forks)', async () => {
    const { db } = t.handle;
    const first = await appendAudit(db, entry(1));
    await appendAudit(db, entry(2));
    const fork = sql`
      insert into audit_log (actor, role, action, prev_hash, hash)
      values ('x', 'admin', 'x', ${first.hash}, ${'e'.repeat(64)})`.execute(db);
    await expect(fork).rejects.toThrow(/audit_log_prev_hash_key|unique/);
  });
});
