/**
 * PostgreSQL cut off under a live sitting (issue 11, item 5): the server reaches the database
 * through a TCP proxy that the test cuts (`refuse`: the server is down; `blackhole`: a cut cable;
 * `lose-replies`: answers lost on the way). During the cut every request is answered, ok or
 * `unavailable`, within the client's 10 s, nobody is dropped, and a newcomer is still let in (its
 * admission is answered from memory, ADR 0037); after it, the stored chat holds
 * exactly the lines that were answered ok, in order, and the audit chain verifies.
 * Real PostgreSQL only (PGlite runs in process: it cannot be cut off).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REQUEST_TIMEOUT_MS, type Reply } from '@seduta/server/protocol';
import { appendAudit, verifyAuditChain } from '../../server/src/audit/audit-log';
import { migrateToLatest } from '../../server/src/db/migrate';
import { openDatabase, type OpenedDatabase } from '../../server/src/db/open';
import { createPostgresDatabase, postgresAdminUrl, testLogger } from '../support/databases';
import { connectRaw, type RawClient } from '../support/raw-client';
import { operatorPassCookie, startTestServer, type TestServer } from '../support/server';
import { startTcpProxy, type ProxyMode, type TcpProxy } from '../support/tcp-proxy';

/** How long each outage lasts (the acceptance asks for 30 s, for both kinds). */
const CUT_MS = 30_000;
/** Chat lines sent during a cut are this far apart (the rate limit is 5 per 10 s). */
const CHAT_EVERY_MS = 3000;
/** After the database is back, a new connection and the chat must work within this. */
const RECOVERY_MS = 5000;

const admin = postgresAdminUrl();

describe.skipIf(admin === undefined)('a PostgreSQL outage during a live sitting', () => {
  let proxy: TcpProxy;
  let dropDatabase: () => Promise<void>;
  /** The database as the server sees it: through the proxy. */
  let through: OpenedDatabase;
  /** The same database, directly: to look at what was stored. */
  let direct: OpenedDatabase;
  let srv: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    proxy = await startTcpProxy(5432);
    const created = await createPostgresDatabase(admin!);
    dropDatabase = () => created.drop();
    direct = await openDatabase({ dataDir: '', databaseUrl: created.url }, testLogger);
    await migrateToLatest(direct.db, testLogger);
    through = await openDatabase({ dataDir: '', databaseUrl: proxy.via(created.url) }, testLogger);
    srv = await startTestServer({ db: through });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await proxy?.setMode('forward');
    await srv?.close();
    await through?.close();
    await direct?.close();
    await dropDatabase?.();
    await proxy?.close();
  });

  /** A live sitting with its host and one operator joined; the operator's pass made without the database. */
  async function liveSitting(title: string) {
    const sitting = await srv.createSitting({ title });
    const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    clients.push(host);
    await host.request({ type: 'sitting.start' });
    await host.request({ type: 'join' });
    const name = 'Ditta Alfa S.r.l.';
    const operatorCookie = await operatorPassCookie(sitting.id, name);
    const operator = await connectRaw(srv.url, { sittingId: sitting.id, cookie: operatorCookie });
    clients.push(operator);
    const { participantId } = await operator.request({ type: 'join' });
    const live = await srv.sittings.live(sitting.id);
    const newcomerCookie = await operatorPassCookie(sitting.id, 'Ditta Beta S.r.l.');
    /**
     * A connection of another operator arriving, as a client would open it (not a second tab of
     * the first: that one would replace the first operator's participant, issue 16).
     */
    const connectNewcomer = async () => {
      const c = await connectRaw(srv.url, { sittingId: sitting.id, cookie: newcomerCookie });
      clients.push(c);
      return c;
    };
    return { sitting, host, operator, operatorId: participantId, live, connectNewcomer };
  }

  /** Sends and times a request; fails the test if the reply takes longer than the client waits. */
  async function timed(client: RawClient, msg: { type: string } & Record<string, unknown>) {
    const t0 = Date.now();
    const reply = await client.send(msg, REQUEST_TIMEOUT_MS);
    return { reply, ms: Date.now() - t0 };
  }

  const storedLines = async (sittingId: string) =>
    (
      await direct.db
        .selectFrom('chat_messages')
        .select('text')
        .where('sitting_id', '=', sittingId)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
    ).map((r) => r.text);

  const health = async () => (await fetch(`${srv.url}/api/health`)).status;

  it.each<[ProxyMode]>([['refuse'], ['blackhole']])(
    'keeps the sitting live through a %s cut, answers every request in time, and stores only the lines answered ok',
    async (mode) => {
      const { sitting, host, operator, operatorId, live, connectNewcomer } = await liveSitting(
        `Seduta (${mode})`,
      );
      const answeredOk: string[] = [];
      const replyMs: number[] = [];
      const send = async (text: string) => {
        const { reply, ms } = await timed(operator, { type: 'chat.send', text });
        replyMs.push(ms);
        expect(reply.ok || reply.error.code === 'unavailable', JSON.stringify(reply)).toBe(true);
        if (reply.ok) answeredOk.push(text);
        return reply;
      };
      expect((await send('prima del taglio')).ok).toBe(true);

      await proxy.setMode(mode);
      const cutAt = Date.now();
      const cutEnds = cutAt + CUT_MS;

      const chatDuringCut = async () => {
        for (let i = 1; i <= Math.ceil(CUT_MS / CHAT_EVERY_MS) && Date.now() < cutEnds - 500; i++) {
          const started = Date.now();
          await send(`durante ${i}`);
          await sleep(Math.min(cutEnds - Date.now() - 500, started + CHAT_EVERY_MS - Date.now()));
        }
      };
      const probes: Array<{ what: string; ms: number; outcome: string }> = [];
      const probeDuringCut = async () => {
        for (const at of [1000, CUT_MS / 2]) {
          await sleep(cutAt + at - Date.now());
          let t0 = Date.now();
          const outcome = await connectNewcomer().then(
            (c) => {
              c.close();
              return 'connected';
            },
            (err: { data?: { code?: string } }) => err.data?.code ?? 'no code',
          );
          probes.push({ what: 'connect', ms: Date.now() - t0, outcome });
          t0 = Date.now();
          const status = await health();
          probes.push({ what: 'health', ms: Date.now() - t0, outcome: String(status) });
          const mute = await timed(host, {
            type: 'participant.mute',
            participantId: operatorId,
            muted: true,
          });
          probes.push({ what: 'mute', ms: mute.ms, outcome: replyOutcome(mute.reply) });
        }
      };
      await Promise.all([chatDuringCut(), probeDuringCut()]);
      await sleep(cutEnds - Date.now());

      // Nobody was dropped and the sitting is still live.
      expect(host.socket.connected && operator.socket.connected).toBe(true);
      expect(live.closed).toBe(false);
      expect(live.participantCount).toBe(2);
      // A newcomer is still let in: a participant's admission (the sitting's kind and bans) was
      // read before the cut and is answered from memory (ADR 0037).
      for (const p of probes.filter((x) => x.what === 'connect')) expect(p.outcome).toBe('connected');
      for (const p of probes.filter((x) => x.what === 'health')) expect(p.outcome).toBe('503');
      for (const p of probes.filter((x) => x.what === 'mute')) expect(p.outcome).toBe('unavailable');
      expect(Math.max(...replyMs, ...probes.map((p) => p.ms))).toBeLessThan(REQUEST_TIMEOUT_MS);

      await proxy.setMode('forward');
      const restoredAt = Date.now();
      const fresh = await vi.waitFor(connectNewcomer, { timeout: RECOVERY_MS, interval: 250 });
      const reconnectMs = Date.now() - restoredAt;
      expect((await send('dopo il taglio')).ok).toBe(true);
      const recoveredMs = Date.now() - restoredAt;
      expect(await health()).toBe(200);
      // An audited action works again (the audit lock is free).
      expect(
        (await timed(host, { type: 'participant.mute', participantId: operatorId, muted: false })).reply.ok,
      ).toBe(true);

      // What a newcomer reads, what the table holds, and what was published: the lines answered ok.
      const { chat } = await fresh.request({ type: 'join' });
      expect(chat.map((m) => m.text)).toEqual(answeredOk);
      await vi.waitFor(async () => expect(await storedLines(sitting.id)).toEqual(answeredOk), {
        timeout: 10_000,
        interval: 250,
      });
      const published = host.notes.flatMap((n) => (n.type === 'chat.message' ? [n.message.text] : []));
      expect(published).toEqual(answeredOk);
      expect(await verifyAuditChain(direct.db)).toMatchObject({ ok: true });
      expect(host.socket.connected && operator.socket.connected).toBe(true);

      console.info(
        `[db-outage] ${mode} ${CUT_MS / 1000} s: ${replyMs.length} chat replies during and around the cut, ` +
          `max ${Math.max(...replyMs)} ms; probes ${JSON.stringify(probes)}; ` +
          `new connection ${reconnectMs} ms and chat ${recoveredMs} ms after the restore; ` +
          `lines ok ${answeredOk.length}`,
      );
    },
    CUT_MS + 60_000,
  );

  it('withdraws a line whose insert committed but whose answer was lost, and never publishes it', async () => {
    const { sitting, host, operator, connectNewcomer } = await liveSitting('Seduta (risposte perse)');
    expect((await operator.send({ type: 'chat.send', text: 'prima' })).ok).toBe(true);

    await proxy.setMode('lose-replies');
    const { reply, ms } = await timed(operator, { type: 'chat.send', text: 'risposta persa' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS);
    // The insert did reach the database and commit: the hard case.
    expect(await storedLines(sitting.id)).toEqual(['prima', 'risposta persa']);

    await proxy.setMode('forward');
    await vi.waitFor(async () => expect(await storedLines(sitting.id)).toEqual(['prima']), {
      timeout: 10_000,
      interval: 200,
    });
    expect((await operator.send({ type: 'chat.send', text: 'dopo' })).ok).toBe(true);
    const fresh = await vi.waitFor(connectNewcomer, { timeout: RECOVERY_MS, interval: 250 });
    const { chat } = await fresh.request({ type: 'join' });
    expect(chat.map((m) => m.text)).toEqual(['prima', 'dopo']);
    const published = host.notes.flatMap((n) => (n.type === 'chat.message' ? [n.message.text] : []));
    expect(published).toEqual(['prima', 'dopo']);
    console.info(`[db-outage] lose-replies: refused after ${ms} ms`);
  });

  it('frees the audit lock held by a transaction cut in the middle, and the chain verifies', async () => {
    const entry = (action: string) => ({ actor: 'test', role: 'admin', action });
    const t0 = Date.now();
    const cut = through.db.transaction().execute(async (trx) => {
      await appendAudit(trx, entry('test.cut-mid-transaction'));
      await proxy.setMode('blackhole');
      await sql`select 1`.execute(trx);
    });
    await expect(cut).rejects.toThrow();
    const failedMs = Date.now() - t0;
    expect(failedMs).toBeLessThan(REQUEST_TIMEOUT_MS);
    // The server still holds the lock for a client that is gone: a half-open connection.
    const holders = async () =>
      (
        await sql<{ n: number }>`select count(*)::int as n from pg_locks
          where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`.execute(
          direct.db,
        )
      ).rows[0]!.n;
    expect(await holders()).toBe(1);

    await proxy.setMode('forward');
    const restoredAt = Date.now();
    await vi.waitFor(() => appendAudit(through.db, entry('test.after-the-cut')), {
      timeout: 15_000,
      interval: 250,
    });
    const appendMs = Date.now() - restoredAt;
    expect(await holders()).toBe(0);
    const actions = await direct.db.selectFrom('audit_log').select('action').orderBy('id').execute();
    expect(actions.map((a) => a.action)).not.toContain('test.cut-mid-transaction');
    expect(actions.map((a) => a.action)).toContain('test.after-the-cut');
    expect(await verifyAuditChain(direct.db)).toMatchObject({ ok: true });
    console.info(
      `[db-outage] audit: cut transaction failed after ${failedMs} ms; append ${appendMs} ms after the restore`,
    );
  });
});

function replyOutcome(reply: Reply<unknown>): string {
  return reply.ok ? 'ok' : reply.error.code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
