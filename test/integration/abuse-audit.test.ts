import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, openDatabase, type OpenedDatabase } from '@seduta/server';
import { verifyAuditChain } from '../../server/src/audit/audit-log';
import { testLogger } from '../support/databases';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

const TOGGLES = 1000;

/** The audit rows about a sitting, in chain order. */
async function sittingRows(srv: TestServer, sittingId: string) {
  return srv.db.db
    .selectFrom('audit_log')
    .selectAll()
    .where('sitting_id', '=', sittingId)
    .orderBy('id')
    .execute();
}

describe('the audit log under repetitive actions', () => {
  let srv: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    // A fast clicker, not a rate-limited one: what is bounded here is the audit log.
    srv = await startTestServer({ env: { SIGNALLING_RATE_PER_S: '100000', SIGNALLING_BURST: '100000' } });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  it('coalesces a hand raised and lowered 1,000 times in 10 s into a bounded number of rows that still tell the story; the chain verifies', async () => {
    const sitting = await srv.createSitting({ title: 'Apertura buste — lotto 9' });
    const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    const cookie = await srv.operatorCookie(sitting.id, 'Operatore insistente');
    const op = await connectRaw(srv.url, { sittingId: sitting.id, cookie });
    clients.push(host, op);
    await host.request({ type: 'sitting.start' });
    await host.request({ type: 'join' });
    const { participantId } = await op.request({ type: 'join' });
    const before = (await sittingRows(srv, sitting.id)).length;

    const started = performance.now();
    for (let i = 0; i < TOGGLES / 2; i++) {
      await op.request({ type: 'hand.raise' });
      await op.request({ type: 'hand.lower' });
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(10_000);
    // One more raise, then the host gives the floor: the approval comes after the raises.
    await op.request({ type: 'hand.raise' });
    await host.request({ type: 'hand.approve', participantId, audio: true, video: false });
    await host.request({ type: 'sitting.end' });

    const rows = (await sittingRows(srv, sitting.id)).slice(before);
    const hand = rows.filter((r) => r.action.startsWith('hand.') && r.action !== 'hand.approve');
    console.info(`${TOGGLES + 1} hand changes in ${elapsed.toFixed(0)} ms → ${hand.length} audit rows`);
    expect(hand.length).toBeLessThanOrEqual(8);
    // The story: every raise and lower is counted, by whom, and how it ended.
    const counted = (action: 'raises' | 'lowers', plain: string) =>
      hand.reduce((sum, r) => {
        const d = r.details as Record<string, unknown>;
        if (r.action === 'hand.repeated') return sum + (d[action] as number);
        return sum + (r.action === plain ? 1 : 0);
      }, 0);
    expect(counted('raises', 'hand.raise')).toBe(TOGGLES / 2 + 1);
    expect(counted('lowers', 'hand.lower')).toBe(TOGGLES / 2);
    for (const r of hand) {
      expect(r.details).toMatchObject({ participantId, name: 'Operatore insistente' });
      expect(r.actor).toBe('operator:Operatore insistente');
    }
    const repeated = hand.find((r) => r.action === 'hand.repeated');
    expect(repeated?.details).toMatchObject({
      count: expect.any(Number),
      first: expect.any(String),
      last: expect.any(String),
    });
    // Chain order is the order things happened: raises and lowers, the approval, the end.
    const actions = rows.map((r) => r.action);
    expect(actions.indexOf('hand.approve')).toBeGreaterThan(
      Math.max(...hand.map((r) => actions.indexOf(r.action))),
    );
    expect(actions.at(-1)).toBe('sitting.end');
    expect(await verifyAuditChain(srv.db.db)).toMatchObject({ ok: true });
  });

  it('writes 100 failed sign-ins from one address as a bounded number of rows: the address, how many, which e-mails', async () => {
    // Its own server and database: the minute's aggregate is written when the server stops.
    const db: OpenedDatabase = await openDatabase(loadConfig({ DATA_DIR: '/nonexistent' }), testLogger, {
      pgliteDataDir: 'memory://',
    });
    const own = await startTestServer({ db });
    let refusedAfterCheck = 0;
    // Failures are aggregated per address and wall-clock minute: the run may span two minutes.
    const startedMinute = Math.floor(Date.now() / 60_000);
    let minutes = 1;
    try {
      const replies = [];
      for (let i = 0; i < 100; i++) {
        replies.push(
          await own.app.inject({
            method: 'POST',
            url: '/api/auth/login',
            remoteAddress: '198.51.100.99',
            payload: { email: `tentativo.${i % 30}@ente.example.it`, password: 'indovina' },
          }),
        );
      }
      const status = replies.map((r) => r.statusCode);
      expect(status.filter((s) => s === 401).length + status.filter((s) => s === 429).length).toBe(100);
      expect(status.filter((s) => s === 429).length).toBeGreaterThan(50);
      refusedAfterCheck = status.filter((s) => s === 401).length;
      minutes = Math.floor(Date.now() / 60_000) - startedMinute + 1;
    } finally {
      await own.close();
    }
    try {
      const rows = await db.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'auth.login_failed')
        .orderBy('id')
        .execute();
      // Per minute: the first failure as it happened, the rest of the minute in one entry.
      const isAggregate = (r: (typeof rows)[number]) =>
        (r.details as { aggregated?: boolean }).aggregated === true;
      const firsts = rows.filter((r) => !isAggregate(r));
      const aggregated = rows.filter(isAggregate);
      expect(firsts.length).toBeGreaterThanOrEqual(1);
      expect(firsts.length).toBeLessThanOrEqual(minutes);
      expect(aggregated.length).toBeLessThanOrEqual(minutes);
      expect(firsts[0]).toMatchObject({
        actor: 'tentativo.0@ente.example.it',
        details: { ip: '198.51.100.99', reason: 'unknown account' },
      });
      expect(aggregated[0]).toMatchObject({
        actor: 'address:198.51.100.99',
        details: {
          ip: '198.51.100.99',
          aggregated: true,
          reasons: { 'unknown account': expect.any(Number) },
          first: expect.any(String),
          last: expect.any(String),
        },
      });
      // Every failure that reached a password check is counted (the others were refused 429).
      const counted =
        firsts.length + aggregated.reduce((n, r) => n + ((r.details as { count: number }).count ?? 0), 0);
      expect(counted).toBe(refusedAfterCheck);
      const emails = (aggregated[0]?.details as { emails: Record<string, number> }).emails;
      expect(Object.keys(emails).length).toBeLessThanOrEqual(20);
      expect(await verifyAuditChain(db.db)).toMatchObject({ ok: true });
    } finally {
      await db.close();
    }
  });
});
