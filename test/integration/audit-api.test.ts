/**
 * Issue 13, item 4: the audit log in the open. Over HTTP (the app on the embedded PGlite): the
 * filters and keyset pages of `GET /api/admin/audit`, the CSV and JSON exports of a filtered range
 * (exactly the matching rows, each row's hash recomputable, anchored to the chain head), bad
 * filters refused with their reason, only admins admitted; a row edited directly with SQL is
 * named by `POST /api/admin/audit/verify` and by `npm run audit:verify` (run as a process on a
 * PGlite data directory).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, auditHash, type AuditRecord } from '../../server/src/audit/audit-log';
import { migrateToLatest } from '../../server/src/db/migrate';
import type { Database, JsonValue } from '../../server/src/db/schema';
import type { Kysely } from 'kysely';
import { testDatabases, testLogger } from '../support/databases';
import {
  API_KEY,
  hostSitting,
  operatorPass,
  signedIn,
  startAccessApp,
  type AccessApp,
  type SignedIn,
} from './access-support';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_CLI = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
const target = testDatabases()[0]![1];
const APP_START_TIMEOUT_MS = 180_000;

const SITTING_A = '6f1c3f4e-8a53-4c4e-9a55-2f0d7a1b9c10';
const SITTING_B = '0b7e1d2c-3a4f-4b5c-8d6e-7f8091a2b3c4';
const BASE = Date.parse('2026-03-02T09:00:00.000Z');
const ACTORS = ['staff:rossi@ente.it', 'operator:acme-spa', 'api'] as const;
const ACTIONS = ['hand.raise', 'recording.download', 'invite.create'] as const;
const SITTINGS = [SITTING_A, SITTING_B, null] as const;
const minute = (i: number) => new Date(BASE + i * 60_000);

/** Test-only tampering, as a database superuser could: the triggers are what stop the application. */
async function asSuperuser(db: Kysely<Database>, statement: ReturnType<typeof sql>): Promise<void> {
  await sql`alter table audit_log disable trigger user`.execute(db);
  try {
    await statement.execute(db);
  } finally {
    await sql`alter table audit_log enable trigger user`.execute(db);
  }
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF) into records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) throw new Error('the CSV does not end with CRLF');
  return records;
}

interface EntryView {
  id: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  sittingId: string | null;
  details: JsonValue;
  prevHash: string;
  hash: string;
}

describe('the audit log over HTTP (admins)', () => {
  let t: AccessApp;
  let app: FastifyInstance;
  let db: Kysely<Database>;
  let admin: SignedIn;
  let host: SignedIn;
  /** The 30 seeded entries, in append order. */
  const seeded: AuditRecord[] = [];

  beforeAll(async () => {
    t = await startAccessApp(target);
    app = t.app;
    db = t.db.handle.db;
    admin = await signedIn(app, 'admin', 'Amministratrice');
    host = await signedIn(app, 'host', 'Presidente');
    for (let i = 0; i < 30; i++) {
      seeded.push(
        await appendAudit(db, {
          actor: ACTORS[i % 3]!,
          role: ['admin', 'operator', 'api'][i % 3]!,
          action: ACTIONS[Math.floor(i / 3) % 3]!,
          sittingId: SITTINGS[Math.floor(i / 9) % 3]!,
          // Quotes, commas, line breaks and accents: the CSV must quote them and keep them intact.
          details: { n: i, note: i % 5 === 0 ? 'Offerta "A", lotto 2\r\nè così' : `riga ${i}` },
          at: minute(i),
        }),
      );
    }
  }, APP_START_TIMEOUT_MS);
  afterAll(() => t?.close());

  const get = (url: string, who: SignedIn = admin) => app.inject({ url, headers: who.headers });
  const page = async (query: string) => {
    const res = await get(`/api/admin/audit?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { entries: EntryView[]; nextCursor: number | null; actions: string[] };
  };
  /** Every page of a query, following nextCursor. */
  const allPages = async (query: string, limit: number) => {
    const ids: number[] = [];
    let before: number | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const p = await page(`${query}&limit=${limit}${before === null ? '' : `&before=${before}`}`);
      expect(p.entries.length).toBeLessThanOrEqual(limit);
      ids.push(...p.entries.map((e) => e.id));
      before = p.nextCursor;
      if (before === null) return ids;
    }
    throw new Error('more than 50 pages');
  };
  const idsWhere = (keep: (r: AuditRecord) => boolean) => seeded.filter(keep).map((r) => r.id);

  it('pages through one action on one sitting, newest first, with no entry twice or missing', async () => {
    const expected = idsWhere((r) => r.action === 'recording.download' && r.sittingId === SITTING_B);
    expect(expected.length).toBeGreaterThan(0);
    const ids = await allPages(`action=recording.download&sittingId=${SITTING_B.toUpperCase()}`, 2);
    expect(ids).toEqual([...expected].reverse());

    const everything = await allPages('', 7);
    expect(new Set(everything).size).toBe(everything.length);
    expect(everything).toEqual([...everything].sort((a, b) => b - a));
    for (const id of seeded.map((r) => r.id)) expect(everything).toContain(id);
  });

  it('filters by time range (from inclusive, to exclusive) and by part of the actor, any case', async () => {
    const from = minute(5).toISOString();
    const to = minute(15).toISOString();
    const range = await page(`from=${from}&to=${to}&limit=200`);
    expect(range.entries.map((e) => e.id)).toEqual(
      idsWhere((r) => r.at >= minute(5) && r.at < minute(15)).reverse(),
    );
    expect(range.nextCursor).toBeNull();

    const rossi = await page(
      `actor=ROSSI%40ENTE&from=${minute(0).toISOString()}&to=${minute(30).toISOString()}`,
    );
    expect(rossi.entries.map((e) => e.id)).toEqual(idsWhere((r) => r.actor === ACTORS[0]).reverse());
    expect(rossi.entries[0]).toMatchObject({ actor: 'staff:rossi@ente.it', role: 'admin' });
    expect(rossi.actions).toEqual(expect.arrayContaining([...ACTIONS]));
  });

  it('refuses bad filters with 400 naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/admin/audit?from=ieri', /^from is not an ISO 8601 date/],
      ['/api/admin/audit?to=2026-13-45T99:00:00Z', /^to is not an ISO 8601/],
      [
        `/api/admin/audit?from=${minute(9).toISOString()}&to=${minute(1).toISOString()}`,
        /from must be earlier/,
      ],
      ['/api/admin/audit?sittingId=seduta-1', /^sittingId is not a UUID/],
      ['/api/admin/audit?limit=500', /^limit must be between 1 and 200/],
      ['/api/admin/audit?before=abc', /^before must be an integer/],
      ['/api/admin/audit/export?format=xml', /^format must be csv or json/],
      ['/api/admin/audit/export?format=csv&from=03/02/2026', /^from is not an ISO 8601/],
    ];
    for (const [url, message] of cases) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code).toBe('bad_request');
      expect(res.json().error.message).toMatch(message);
    }
  });

  it('exports a filtered range as CSV with exactly its rows, each hash recomputable, anchored to the chain head', async () => {
    const [head] = (await page('limit=1')).entries;
    const from = minute(3).toISOString();
    const to = minute(21).toISOString();
    const res = await get(`/api/admin/audit/export?format=csv&from=${from}&to=${to}&actor=operator`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="seduta-audit-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.csv"$/,
    );
    const expected = seeded.filter((r) => r.at >= minute(3) && r.at < minute(21) && r.actor === ACTORS[1]);
    expect(expected.length).toBe(6);

    const [header, ...rows] = parseCsv(res.body);
    expect(header).toEqual([
      'id',
      'at',
      'actor',
      'role',
      'action',
      'sitting_id',
      'details',
      'prev_hash',
      'hash',
    ]);
    expect(rows.map((r) => Number(r[0]))).toEqual(expected.map((r) => r.id));
    for (const [row, record] of rows.map((r, i) => [r, expected[i]!] as const)) {
      const [, at, actor, role, action, sittingId, details, prevHash, hash] = row;
      expect({ at, actor, role, action, sittingId: sittingId || null, prevHash, hash }).toEqual({
        at: record.at.toISOString(),
        actor: record.actor,
        role: record.role,
        action: record.action,
        sittingId: record.sittingId,
        prevHash: record.prevHash,
        hash: record.hash,
      });
      // Anyone holding the export can recompute each row's hash from the row alone.
      const fields = {
        at: new Date(at!),
        actor: actor!,
        role: role!,
        action: action!,
        sittingId: sittingId || null,
        details: JSON.parse(details!) as JsonValue,
      };
      expect(auditHash(prevHash!, fields)).toBe(hash);
    }
    expect(rows.some((r) => r[6]!.includes('Offerta \\"A\\", lotto 2\\r\\nè così'))).toBe(true);

    expect(res.headers['x-audit-rows']).toBe('6');
    expect(res.headers['x-audit-last-hash']).toBe(expected.at(-1)!.hash);
    expect(res.headers['x-audit-chain-head']).toBe(head!.hash);
    expect(res.headers['x-audit-chain-head-id']).toBe(String(head!.id));

    // The export is itself in the log, recording what it gave out.
    const [logged] = (await page('action=audit.export&limit=1')).entries;
    expect(logged).toMatchObject({
      actor: `staff:${admin.user.email}`,
      role: 'admin',
      details: {
        format: 'csv',
        rows: 6,
        lastHash: expected.at(-1)!.hash,
        chainHead: head!.hash,
        filters: { from, to, actor: 'operator' },
      },
    });
    expect(logged!.prevHash).toBe(head!.hash);
  });

  it('exports the same range as JSON in an envelope carrying the chain head and the last hash', async () => {
    const [head] = (await page('limit=1')).entries;
    const res = await get(`/api/admin/audit/export?format=json&sittingId=${SITTING_A}&action=hand.raise`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="seduta-audit-.+\.json"$/);
    const body = res.json() as {
      chainHead: { id: number; hash: string };
      lastHash: string;
      rows: number;
      entries: EntryView[];
    };
    const expected = seeded.filter((r) => r.sittingId === SITTING_A && r.action === 'hand.raise');
    expect(body.entries.map((e) => e.id)).toEqual(expected.map((r) => r.id));
    expect(body.entries[0]).toMatchObject({ hash: expected[0]!.hash, details: expected[0]!.details });
    expect(body).toMatchObject({
      chainHead: { id: head!.id, hash: head!.hash },
      lastHash: expected.at(-1)!.hash,
      rows: expected.length,
    });
  });

  it('exports an empty range as a header row alone', async () => {
    const res = await get(`/api/admin/audit/export?format=csv&actor=nessuno-con-questo-nome`);
    expect(res.statusCode).toBe(200);
    expect(parseCsv(res.body)).toHaveLength(1);
    expect(res.headers['x-audit-rows']).toBe('0');
    expect(res.headers['x-audit-last-hash']).toBe('');
  });

  it('refuses hosts, operators, commissioners, the API key and anonymous callers', async () => {
    const sitting = await hostSitting(app, host);
    const operator = { cookie: await operatorPass(app, sitting.id, 'op-audit', 'Operatore') };
    const callers: Array<[string, Record<string, string>, number]> = [
      ['anonymous', {}, 401],
      ['operator', operator, 401],
      ['host', host.headers, 403],
      ['api', { authorization: `Bearer ${API_KEY}` }, 403],
    ];
    for (const [who, headers, status] of callers) {
      for (const [method, url] of [
        ['GET', '/api/admin/audit'],
        ['GET', '/api/admin/audit/export?format=csv'],
        ['POST', '/api/admin/audit/verify'],
      ] as const) {
        const res: LightMyRequestResponse = await app.inject({ method, url, headers });
        expect(res.statusCode, `${who} ${method} ${url}`).toBe(status);
        expect(res.body).not.toContain(seeded[0]!.hash);
      }
    }
  });

  it('verifies an intact chain, then names the row edited directly in the database', async () => {
    // The log as it stands before the verification (which then logs itself).
    const count = await db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const [head] = (await page('limit=1')).entries;
    const intact = await app.inject({
      method: 'POST',
      url: '/api/admin/audit/verify',
      headers: admin.headers,
    });
    expect(intact.statusCode).toBe(200);
    expect(intact.json()).toMatchObject({
      ok: true,
      entries: Number(count.n),
      lastHash: head!.hash,
      lastId: head!.id,
    });

    const victim = seeded[12]!;
    await asSuperuser(
      db,
      sql`update audit_log set details = '{"n":12,"note":"riga modificata"}' where id = ${victim.id}`,
    );
    const broken = await app.inject({
      method: 'POST',
      url: '/api/admin/audit/verify',
      headers: admin.headers,
    });
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({
      ok: false,
      brokenAtId: victim.id,
      reason: 'hash does not match the entry content',
      entry: { id: victim.id, at: victim.at.toISOString(), action: victim.action, actor: victim.actor },
    });
    // Each verification is in the log too.
    const [logged] = (await page('action=audit.verify&limit=1')).entries;
    expect(logged).toMatchObject({ details: { ok: false, brokenAtId: victim.id } });
  });
});

describe('npm run audit:verify', () => {
  /** Runs the CLI as `npm run audit:verify` does (tsx), against `env`; resolves its exit code and output. */
  function runCli(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [TSX_CLI, 'server/src/audit/verify-cli.ts'],
        { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  it('says the chain is intact and exits 0, then names the edited entry and exits 1', async () => {
    const data = await target.forProcess();
    try {
      const opened = await data.open();
      let entries: AuditRecord[];
      try {
        await migrateToLatest(opened.db, testLogger);
        entries = [];
        for (let i = 0; i < 4; i++) {
          entries.push(
            await appendAudit(opened.db, {
              actor: 'staff:rossi@ente.it',
              role: 'admin',
              action: i === 2 ? 'recording.download' : 'hand.raise',
              sittingId: SITTING_A,
              details: { i },
              at: minute(i),
            }),
          );
        }
      } finally {
        await opened.close();
      }
      const intact = await runCli(data.env);
      expect(intact.stderr).toBe('');
      expect(intact.stdout).toBe(`audit chain intact: 4 entries, last hash ${entries.at(-1)!.hash}\n`);
      expect(intact.code).toBe(0);

      const reopened = await data.open();
      try {
        await asSuperuser(
          reopened.db,
          sql`update audit_log set actor = 'staff:altri@ente.it' where id = ${entries[2]!.id}`,
        );
      } finally {
        await reopened.close();
      }
      const broken = await runCli(data.env);
      expect(broken.stdout).toContain(
        `audit chain broken at entry #${entries[2]!.id} (action recording.download, at ${minute(2).toISOString()}): ` +
          'hash does not match the entry content\n',
      );
      expect(broken.code).toBe(1);
    } finally {
      await data.destroy();
    }
  }, 300_000);

  it('exits 2 with the variable named when the configuration is wrong', async () => {
    const res = await runCli({ DATA_DIR: '/tmp', DATABASE_URL: 'mysql://nope' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^seduta audit:verify: .*DATABASE_URL/);
  }, 120_000);
});
