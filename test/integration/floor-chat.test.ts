import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDatabases, type TestDatabase } from '../support/databases';
import { fakeRtpParameters } from '../support/fake-media';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

describe.each(testDatabases())(
  'raise hand → approve → speak, and chat (raw protocol, %s)',
  (_kind, target) => {
    let database: TestDatabase;
    let srv: TestServer;
    const clients: RawClient[] = [];

    beforeAll(async () => {
      database = await target.open();
      srv = await startTestServer({ db: database.handle });
    });

    afterAll(async () => {
      for (const c of clients) c.close();
      await srv?.close();
      await database?.close();
    });

    /** A live sitting where the host and `operators` operators have joined and declared capabilities. */
    async function startLiveSitting({ operators }: { operators: number }) {
      const sitting = await srv.createSitting({ title: 'Seduta pubblica' });
      const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
      clients.push(host);
      await host.request({ type: 'sitting.start' });
      const { routerRtpCapabilities: caps } = await host.request({ type: 'join' });
      await host.request({ type: 'media.capabilities', rtpCapabilities: caps });
      const ops: Array<RawClient & { participantId: string }> = [];
      for (let i = 0; i < operators; i++) {
        const name = `Ditta ${String.fromCharCode(65 + i)} S.r.l.`;
        const op = await connectRaw(srv.url, {
          sittingId: sitting.id,
          cookie: await srv.operatorCookie(sitting.id, name),
        });
        clients.push(op);
        const { participantId } = await op.request({ type: 'join' });
        await op.request({ type: 'media.capabilities', rtpCapabilities: caps });
        ops.push(Object.assign(op, { participantId }));
      }
      return { sitting, host, ops, live: await srv.sittings.live(sitting.id) };
    }

    it('shows the host the hands in the order they were raised, and lets only the approved operator publish', async () => {
      const { host, ops, live } = await startLiveSitting({ operators: 3 });
      const [a, b, c] = ops as [(typeof ops)[0], (typeof ops)[0], (typeof ops)[0]];
      for (const op of [b, c, a]) await op.request({ type: 'hand.raise' });
      const queueNote = await host.waitForNote('hands.queue', (n) => n.queue.length === 3);
      expect(queueNote.queue.map((h) => h.participantId)).toEqual([
        b.participantId,
        c.participantId,
        a.participantId,
      ]);

      // Nobody was approved yet: produce is forbidden for all of them.
      for (const op of ops) {
        const t = await op.request({ type: 'transport.create', direction: 'send' });
        const reply = await op.send({
          type: 'produce',
          transportId: t.transportId,
          kind: 'audio',
          source: 'microphone',
          rtpParameters: fakeRtpParameters('audio', 500),
        });
        expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      }

      // Approve the second in line (c) with audio only.
      await host.request({ type: 'hand.approve', participantId: c.participantId, audio: true, video: false });
      await c.waitForNote('hand.state', (n) => n.hand === 'speaking' && n.grants.audio && !n.grants.video);
      const after = await host.waitForNote('hands.queue', (n) => n.queue.length === 2);
      expect(after.queue.map((h) => h.participantId)).toEqual([b.participantId, a.participantId]);
      const cSend = await c.request({ type: 'transport.create', direction: 'send' });
      const { producerId } = await c.request({
        type: 'produce',
        transportId: cSend.transportId,
        kind: 'audio',
        source: 'microphone',
        rtpParameters: fakeRtpParameters('audio', 501),
      });
      // Video was not granted.
      await expect(
        c.request({
          type: 'produce',
          transportId: cSend.transportId,
          kind: 'video',
          source: 'camera',
          rtpParameters: fakeRtpParameters('video', 502),
        }),
      ).rejects.toMatchObject({ code: 'forbidden' });
      // The others (and the host) are told, and can consume it.
      for (const other of [host, a, b])
        await other.waitForNote('producer.new', (n) => n.producer.producerId === producerId);
      const recv = await a.request({ type: 'transport.create', direction: 'recv' });
      await expect(
        a.request({ type: 'consume', transportId: recv.transportId, producerId }),
      ).resolves.toMatchObject({ kind: 'audio' });

      // Host mutes c on the server: the producer is paused and c cannot resume it.
      await host.request({ type: 'participant.mute', participantId: c.participantId, muted: true });
      expect(live.findProducer(producerId).producer.paused).toBe(true);
      await expect(c.request({ type: 'producer.resume', producerId })).rejects.toMatchObject({
        code: 'forbidden',
      });

      // Revoke: the producer is gone from the router within 1 s, whatever the client does.
      const t0 = Date.now();
      await host.request({ type: 'floor.revoke', participantId: c.participantId });
      await vi.waitFor(() => expect(() => live.findProducer(producerId)).toThrow(), {
        timeout: 1000,
        interval: 10,
      });
      expect(Date.now() - t0).toBeLessThan(1000);
      await c.waitForNote('hand.state', (n) => n.hand === 'none' && n.reason === 'revoked');
      await a.waitForNote('producer.closed', (n) => n.producerId === producerId);
      const again = await c.send({
        type: 'produce',
        transportId: cSend.transportId,
        kind: 'audio',
        source: 'microphone',
        rtpParameters: fakeRtpParameters('audio', 503),
      });
      expect(again).toMatchObject({ ok: false, error: { code: 'forbidden' } });

      // approveNext takes the first in line; deny and lower remove from the queue.
      await expect(host.request({ type: 'hand.approveNext', audio: true, video: true })).resolves.toEqual({
        participantId: b.participantId,
      });
      await host.request({ type: 'hand.deny', participantId: a.participantId });
      await a.waitForNote('hand.state', (n) => n.reason === 'denied');
      await host.waitForNote('hands.queue', (n) => n.queue.length === 0);
      await expect(
        host.request({ type: 'hand.approve', participantId: a.participantId, audio: true, video: true }),
      ).rejects.toMatchObject({
        code: 'invalid_state',
      });
      // Operators cannot run the queue.
      await expect(
        a.request({ type: 'hand.approve', participantId: a.participantId, audio: true, video: true }),
      ).rejects.toMatchObject({
        code: 'forbidden',
      });
    });

    it('delivers chat to everyone, gives late joiners the history, limits the rate and lets the host delete', async () => {
      const { sitting, host, ops } = await startLiveSitting({ operators: 2 });
      const [a, b] = ops as [(typeof ops)[0], (typeof ops)[0]];
      const xss = '<img src=x onerror=alert(1)>';
      const { message } = await a.request({ type: 'chat.send', text: `  ${xss}  ` });
      expect(message).toMatchObject({ text: xss, name: 'Ditta A S.r.l.', role: 'operator' });
      for (const c of [host, b]) await c.waitForNote('chat.message', (n) => n.message.id === message.id);

      // A late joiner gets the history.
      const late = await connectRaw(srv.url, {
        sittingId: sitting.id,
        cookie: await srv.operatorCookie(sitting.id, 'Ritardatario'),
      });
      clients.push(late);
      const joined = await late.request({ type: 'join' });
      expect(joined.chat.map((m) => m.text)).toEqual([xss]);

      // Rate limit: 5 per 10 s per participant; the sixth is refused with rate_limited.
      for (let i = 2; i <= 5; i++) await a.request({ type: 'chat.send', text: `messaggio ${i}` });
      const sixth = await a.send({ type: 'chat.send', text: 'sesto' });
      expect(sixth).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      await expect(b.request({ type: 'chat.send', text: 'altro operatore' })).resolves.toHaveProperty(
        'message',
      );

      // Length cap.
      const long = await b.send({ type: 'chat.send', text: 'x'.repeat(2001) });
      expect(long).toMatchObject({ ok: false, error: { code: 'bad_request' } });

      // Deletion by the host: gone for everyone, not in the history, recorded in the audit log.
      await expect(a.request({ type: 'chat.delete', messageId: message.id })).rejects.toMatchObject({
        code: 'forbidden',
      });
      await host.request({ type: 'chat.delete', messageId: message.id });
      for (const c of [a, b, late]) await c.waitForNote('chat.deleted', (n) => n.messageId === message.id);
      const later = await connectRaw(srv.url, {
        sittingId: sitting.id,
        cookie: await srv.operatorCookie(sitting.id, 'Ultimo'),
      });
      clients.push(later);
      const history = (await later.request({ type: 'join' })).chat.map((m) => m.text);
      expect(history).not.toContain(xss);
      expect(history).toContain('altro operatore');
      const audit = await database.handle.db
        .selectFrom('audit_log')
        .select(['action', 'details'])
        .where('sitting_id', '=', sitting.id)
        .where('action', '=', 'chat.delete')
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]!.details).toMatchObject({ messageId: message.id });
    });
  },
);
