/**
 * Issue 15, the fast join over the raw protocol: a page loads its device before the click
 * (with the capabilities its first `sitting.state` carries, or `media.prepare`), then one `join { receive }` brings back the receive transport, connected with
 * the DTLS identity the page gave, and a running consumer of every published track; a resume that
 * could not keep its transports gets the same; a join without `receive` is answered as before.
 */
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostStartsOnCamera } from '../support/fake-media';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

/** A browser's DTLS identity for its receive transport (the page computes it before the click). */
const BROWSER_DTLS: types.DtlsParameters = {
  role: 'client',
  fingerprints: [
    {
      algorithm: 'sha-256',
      value:
        '82:5A:68:3D:36:C3:0A:DE:AF:E7:32:43:D2:88:83:57:AC:2D:65:E5:80:C4:B6:FB:AF:1A:A0:21:9F:6D:0C:AD',
    },
  ],
};

describe('fast join (issue 15): receive side in the join reply', () => {
  let srv: TestServer;
  const clients: RawClient[] = [];
  const connect = async (...args: Parameters<typeof connectRaw>) => {
    const c = await connectRaw(...args);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    srv = await startTestServer();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  /** A live sitting whose host publishes a camera; one operator connected, not joined. */
  async function hostPublishing() {
    const sitting = await srv.createSitting({ title: 'Apertura buste — ingresso rapido' });
    const host = await connect(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    const { producerId, routerRtpCapabilities: caps } = await hostStartsOnCamera(host, 4242);
    const cookie = await srv.operatorCookie(sitting.id, 'Operatore rapido', 'op-fast');
    const op = await connect(srv.url, { sittingId: sitting.id, cookie });
    return { sitting, host, op, producerId, caps };
  }

  it("answers media.prepare before joining with the router's capabilities, the same the join gives", async () => {
    const { op, caps } = await hostPublishing();

    const prepared = await op.request({ type: 'media.prepare' });

    expect(prepared.routerRtpCapabilities).toEqual(caps);
    // Preparing is not joining: nothing that needs a participant is accepted yet.
    await expect(op.request({ type: 'transport.create', direction: 'recv' })).rejects.toMatchObject({
      code: 'invalid_state',
    });
  });

  it("tells a connection to a live sitting the router's capabilities with its first state; not one to a sitting not yet live", async () => {
    const { op, caps } = await hostPublishing();

    const first = await op.waitForNote('sitting.state');

    expect(first.sitting.status).toBe('live');
    expect(first.routerRtpCapabilities).toEqual(caps);

    const scheduled = await srv.createSitting({ title: 'Seduta non ancora iniziata' });
    const early = await connect(srv.url, {
      sittingId: scheduled.id,
      cookie: await srv.operatorCookie(scheduled.id, 'Operatore in anticipo', 'op-early'),
    });
    const state = await early.waitForNote('sitting.state');
    expect(state.sitting.status).toBe('scheduled');
    expect(state).not.toHaveProperty('routerRtpCapabilities');
  });

  it('gives a joiner with receive a connected recv transport and a running consumer of the camera in one reply', async () => {
    const { sitting, op, producerId, caps } = await hostPublishing();

    const joined = await op.request({
      type: 'join',
      receive: { rtpCapabilities: caps, dtlsParameters: BROWSER_DTLS },
    });

    expect(joined.receive?.connected).toBe(true);
    expect(joined.receive?.transport.transportId).toEqual(expect.any(String));
    expect(joined.receive?.consumers).toHaveLength(1);
    const consumer = joined.receive!.consumers[0]!;
    expect(consumer).toMatchObject({ producerId, kind: 'video', source: 'camera', producerPaused: false });
    // On the server: the consumer runs (it waits for the client's DTLS, not for a resume), and the
    // transport already has the client's DTLS parameters, so a second connect is refused.
    const live = await srv.sittings.live(sitting.id);
    const participant = live.participant(joined.participantId);
    expect(participant.consumer(consumer.consumerId).paused).toBe(false);
    await expect(
      op.request({
        type: 'transport.connect',
        transportId: joined.receive!.transport.transportId,
        dtlsParameters: BROWSER_DTLS,
      }),
    ).rejects.toBeDefined();
    // One consumer per track: the client does not ask again for what the join gave.
    await expect(
      op.request({ type: 'consume', transportId: joined.receive!.transport.transportId, producerId }),
    ).rejects.toMatchObject({ code: 'limit_reached' });
  });

  it('leaves the transport for the client to connect when the join gave no DTLS parameters', async () => {
    const { op, caps } = await hostPublishing();

    const joined = await op.request({ type: 'join', receive: { rtpCapabilities: caps } });

    expect(joined.receive?.connected).toBe(false);
    await op.request({
      type: 'transport.connect',
      transportId: joined.receive!.transport.transportId,
      dtlsParameters: BROWSER_DTLS,
    });
  });

  it('answers a join without receive as before: no receive side, the client asks for it', async () => {
    const { op } = await hostPublishing();

    const joined = await op.request({ type: 'join' });

    expect(joined.receive).toBeUndefined();
    expect(joined.producers).toHaveLength(1);
  });

  it('gives a resume that could not keep its media a new receive side the same way', async () => {
    const { sitting, host, op, producerId, caps } = await hostPublishing();
    const first = await op.request({ type: 'join', receive: { rtpCapabilities: caps } });
    const cookie = await srv.operatorCookie(sitting.id, 'Operatore rapido', 'op-fast');
    op.socket.io.engine.close(); // a network drop: no DISCONNECT packet
    await host.waitForNote('participant.updated', (n) => n.participant.id === first.participantId);
    const back = await connect(srv.url, { sittingId: sitting.id, cookie });

    const resumed = await back.request({
      type: 'join',
      resume: first.participantId,
      keepMedia: false,
      receive: { rtpCapabilities: caps, dtlsParameters: BROWSER_DTLS },
    });

    expect(resumed).toMatchObject({ resumed: true, mediaKept: false, participantId: first.participantId });
    expect(resumed.receive?.transport.transportId).not.toBe(first.receive?.transport.transportId);
    expect(resumed.receive?.consumers.map((c) => c.producerId)).toEqual([producerId]);
  });
});
