/**
 * Issue 11 on the wire (raw socket.io clients, real server, embedded database): a dropped
 * connection is held for a resume (same participant, hand kept) and removed when it does not come
 * back; the host's grace period (notice, return, deadline); a mediasoup worker killed under a live
 * sitting (participants kept, nothing accepted before they join again, health degraded until the
 * pool is whole); a server restarted under a live sitting gives its host the same grace.
 * The web client's side of all this is in test/e2e/resilience.test.ts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SittingInfo } from '@seduta/server/protocol';
import { RECONNECT_HOLD_MS } from '../../server/src/sittings/live-sitting';
import { transitionSitting } from '../../server/src/sittings/sittings-repo';
import { connectRaw, type RawClient } from '../support/raw-client';
import { operatorPassCookie, startTestServer, type TestServer } from '../support/server';

const HOST_GRACE_SECONDS = 5;

/** Cuts a raw client's connection as a network failure would (no `disconnect` packet sent). */
function cut(client: RawClient): void {
  client.socket.io.engine.close();
}

describe('issue 11: nothing stops a sitting (raw protocol)', () => {
  let srv: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    srv = await startTestServer({ env: { HOST_GRACE_SECONDS: String(HOST_GRACE_SECONDS) } });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  async function connectHost(sittingId: string): Promise<RawClient> {
    const c = await connectRaw(srv.url, { sittingId, cookie: (await srv.host()).cookie });
    clients.push(c);
    return c;
  }

  async function connectOperator(sittingId: string, name: string): Promise<RawClient> {
    const c = await connectRaw(srv.url, { sittingId, cookie: await srv.operatorCookie(sittingId, name) });
    clients.push(c);
    return c;
  }

  async function liveSitting(title: string) {
    const sitting = await srv.createSitting({ title });
    const host = await connectHost(sitting.id);
    await host.request({ type: 'sitting.start' });
    const hostJoin = await host.request({ type: 'join' });
    const op = await connectOperator(sitting.id, 'Ditta Alfa S.r.l.');
    const opJoin = await op.request({ type: 'join' });
    return { sitting, host, hostJoin, op, opJoin };
  }

  const stateNotes = (c: RawClient): SittingInfo[] =>
    c.notes.flatMap((n) => (n.type === 'sitting.state' ? [n.sitting] : []));

  it('holds a dropped operator for a resume: same participant, hand still raised, shown as reconnecting meanwhile', async () => {
    const { sitting, host, op, opJoin } = await liveSitting('Resume');
    await op.request({ type: 'hand.raise' });
    await host.waitForNote('hands.queue', (n) => n.queue.length === 1);

    cut(op);
    const away = await host.waitForNote(
      'participant.updated',
      (n) => n.participant.id === opJoin.participantId && n.participant.reconnecting === true,
    );
    expect(away.participant.hand).toBe('raised');
    // A chat line from someone else while the operator is away: the resume's history carries it.
    await host.request({ type: 'chat.send', text: 'Si procede con la busta n. 3' });

    const back = await connectOperator(sitting.id, 'Ditta Alfa S.r.l.');
    const resumed = await back.request({ type: 'join', resume: opJoin.participantId, keepMedia: true });
    expect(resumed).toMatchObject({ participantId: opJoin.participantId, resumed: true, hand: 'raised' });
    expect(resumed.chat.filter((m) => m.text === 'Si procede con la busta n. 3')).toHaveLength(1);
    const present = await host.waitForNote(
      'participant.updated',
      (n) => n.participant.id === opJoin.participantId && n.participant.reconnecting !== true,
    );
    expect(present.participant.hand).toBe('raised');
    // The queue still has the hand, once.
    const live = await srv.sittings.live(sitting.id);
    expect(live.floor.queue().map((h) => h.participantId)).toEqual([opJoin.participantId]);
    // A resume by somebody else with the same participant id is an ordinary join.
    const other = await connectOperator(sitting.id, 'Beta Costruzioni S.p.A.');
    const stranger = await other.request({ type: 'join', resume: opJoin.participantId });
    expect(stranger.resumed).toBe(false);
    expect(stranger.participantId).not.toBe(opJoin.participantId);
  });

  it('keeps out a participant removed while reconnecting: the resume is refused at the handshake', async () => {
    const { sitting, host, op, opJoin } = await liveSitting('Removed while away');
    cut(op);
    await host.waitForNote(
      'participant.updated',
      (n) => n.participant.id === opJoin.participantId && n.participant.reconnecting === true,
    );
    await host.request({ type: 'participant.kick', participantId: opJoin.participantId });
    await host.waitForNote('participant.left', (n) => n.participantId === opJoin.participantId);
    // The pass the page still holds (its cookie) no longer opens a connection.
    const cookie = await operatorPassCookie(sitting.id, 'Ditta Alfa S.r.l.');
    const refused = await connectRaw(srv.url, { sittingId: sitting.id, cookie }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ data: { code: 'forbidden' } });
  });

  it('removes a participant who does not come back within the hold (no ghost after 15 s)', async () => {
    const { host, op, opJoin } = await liveSitting('Ghost');
    const cutAt = Date.now();
    cut(op);
    await vi.waitFor(
      () => {
        if (
          !host.notes.some((n) => n.type === 'participant.left' && n.participantId === opJoin.participantId)
        )
          throw new Error('still listed');
      },
      { timeout: RECONNECT_HOLD_MS + 5_000, interval: 100 },
    );
    const gone = Date.now() - cutAt;
    expect(gone).toBeGreaterThanOrEqual(RECONNECT_HOLD_MS - 100);
    expect(gone).toBeLessThan(15_000);
  });

  it('keeps the sitting for the host for the grace period, with a notice, and gives control back on return', async () => {
    const { sitting, host, hostJoin, op } = await liveSitting('Host grace');
    cut(host);
    await vi.waitFor(() => {
      if (!stateNotes(op).some((s) => s.hostAway)) throw new Error('no host-away notice yet');
    });
    const notice = stateNotes(op).findLast((s) => s.hostAway)!;
    const graceMs = Date.parse(notice.hostAway!.deadline) - Date.parse(notice.hostAway!.since);
    expect(graceMs).toBe(HOST_GRACE_SECONDS * 1000);
    // Operators can still join meanwhile, and nobody else became host.
    const late = await connectOperator(sitting.id, 'Gamma Impianti S.n.c.');
    expect((await late.request({ type: 'join' })).sitting.hostAway).toBeDefined();

    const back = await connectHost(sitting.id);
    const resumed = await back.request({ type: 'join', resume: hostJoin.participantId });
    expect(resumed).toMatchObject({ resumed: true, participantId: hostJoin.participantId });
    await vi.waitFor(() => {
      if (stateNotes(op).at(-1)?.hostAway) throw new Error('the notice is still there');
    });
    // Control is back: the host can still end the sitting... after the deadline would have passed.
    await delay(HOST_GRACE_SECONDS * 1000 + 500);
    expect((await srv.sittings.get(sitting.id)).status).toBe('live');
    await back.request({ type: 'hand.approveNext', audio: true, video: false });
  });

  it('ends the sitting at the deadline when the host does not come back', async () => {
    const { sitting, host, op } = await liveSitting('Host gone');
    const cutAt = Date.now();
    cut(host);
    const ended = await vi.waitFor(
      () => {
        const n = op.notes.find((x) => x.type === 'sitting.ended');
        if (!n) throw new Error('not ended yet');
        return n;
      },
      { timeout: HOST_GRACE_SECONDS * 1000 + 5_000, interval: 100 },
    );
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual(HOST_GRACE_SECONDS * 1000 - 100);
    expect(ended).toMatchObject({ type: 'sitting.ended' });
    expect((await srv.sittings.get(sitting.id)).status).toBe('ended');
    const audit = await srv.db.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('sitting_id', '=', sitting.id)
      .where('action', '=', 'sitting.end')
      .execute();
    expect(audit).toEqual([{ actor: 'system', action: 'sitting.end' }]);
  });

  it('keeps everyone through a worker death: media.reset, nothing accepted until they join again, same participant after', async () => {
    const { sitting, host, hostJoin, op, opJoin } = await liveSitting('Worker death');
    await op.request({ type: 'hand.raise' });
    const live = await srv.sittings.live(sitting.id);
    const pid = live.router.workerPid;
    process.kill(pid, 'SIGKILL');
    await host.waitForNote('media.reset');
    await op.waitForNote('media.reset');
    const health = await fetch(`${srv.url}/api/health`);
    // Either still replacing (503) or already whole again: it must never say ok with a worker missing.
    if (health.status === 200) expect(srv.pool.stats().every((s) => s.pid !== pid)).toBe(true);

    // A reset participant may not act before joining again (no ghost chat).
    const refused = await op.send({ type: 'chat.send', text: 'prima del rientro' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_state' } });

    const opBack = await op.request({ type: 'join', resume: opJoin.participantId });
    expect(opBack).toMatchObject({ resumed: true, mediaKept: false, hand: 'raised' });
    const hostBack = await host.request({ type: 'join', resume: hostJoin.participantId });
    expect(hostBack.resumed).toBe(true);
    await host.request({ type: 'media.capabilities', rtpCapabilities: hostBack.routerRtpCapabilities });
    const transport = await host.request({ type: 'transport.create', direction: 'send' });
    expect(transport.transportId).toBeTruthy();
    expect(live.router.workerPid).not.toBe(pid);
    await op.request({ type: 'chat.send', text: 'dopo il rientro' });
    await vi.waitFor(
      async () => {
        const r = await fetch(`${srv.url}/api/health`);
        if (r.status !== 200) throw new Error(`health ${r.status}`);
      },
      { timeout: 15_000, interval: 200 },
    );
  });

  it('makes one runtime for a sitting live but not yet run here (a node taking it over) when its joins arrive together', async () => {
    // Live in the database, no runtime in this process: what a node sees when the sitting's
    // previous node died and every client comes to it at the same moment.
    const sitting = await srv.createSitting({ title: 'Presa in carico' });
    await transitionSitting(srv.db.db, sitting.id, 'scheduled', 'live');
    const [first, second] = await Promise.all([srv.sittings.live(sitting.id), srv.sittings.live(sitting.id)]);
    expect(second).toBe(first);
    const host = await connectHost(sitting.id);
    const operators = await Promise.all(
      ['Ditta Alfa S.r.l.', 'Beta Costruzioni S.p.A.'].map((name) => connectOperator(sitting.id, name)),
    );
    const joins = await Promise.all([host, ...operators].map((c) => c.request({ type: 'join' })));
    const ids = joins.map((j) => j.participantId);
    const live = await srv.sittings.live(sitting.id);
    expect(live.participantCount).toBe(3);
    // Everyone is in the same sitting: the host's line reaches both operators.
    await host.request({ type: 'chat.send', text: 'Siete tutti qui?' });
    for (const op of operators)
      await op.waitForNote('chat.message', (n) => n.message.text === 'Siete tutti qui?');
    expect(new Set(ids).size).toBe(3);
  });

  it('gives a sitting that was live when the server restarted the same grace, then ends it', async () => {
    const sitting = await srv.createSitting({ title: 'Restart' });
    const host = await connectHost(sitting.id);
    await host.request({ type: 'sitting.start' });
    host.close();
    // What a restarted server does on start-up with the sittings the database holds as live.
    const live = await srv.sittings.liveIfAny(sitting.id);
    live?.close(await srv.sittings.get(sitting.id));
    const fresh = await startTestServer({
      db: srv.db,
      env: { HOST_GRACE_SECONDS: String(HOST_GRACE_SECONDS) },
    });
    try {
      const restored = await fresh.sittings.liveIfAny(sitting.id);
      expect(restored).toBeDefined();
      expect((await restored)!.info.hostAway).toBeDefined();
      await vi.waitFor(
        async () => {
          if ((await fresh.sittings.get(sitting.id)).status !== 'ended') throw new Error('still live');
        },
        { timeout: HOST_GRACE_SECONDS * 1000 + 5_000, interval: 200 },
      );
    } finally {
      await fresh.close();
    }
  });
});
