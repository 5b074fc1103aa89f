/**
 * One sitting across two nodes (issue 14): two servers in this process, one private Redis, one
 * PostgreSQL database. The host joins node A (which takes the sitting's lease: its origin); a
 * viewer joins node B (an edge): its sitting requests go to A, its media is served by B's own
 * router, the host's producer piped from A over an SRTP PipeTransport pair.
 */
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postgresAdminUrl, testDatabases, type TestDatabase } from '../support/databases';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startRedis, type TestRedis } from '../support/redis';
import { startTestServer, type TestServer } from '../support/server';

const video = (ssrc: number): types.RtpParameters => ({
  mid: '0',
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [] }],
  headerExtensions: [],
  encodings: [{ ssrc }],
  rtcp: { cname: `c${ssrc}` },
});

describe('a sitting across two nodes (Redis, PostgreSQL)', () => {
  let redis: TestRedis;
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    // Two nodes need one shared database: PGlite lives inside one process.
    if (postgresAdminUrl() === undefined) throw new Error('this test needs PostgreSQL on 127.0.0.1:5432');
    const postgres = testDatabases().find(([kind]) => kind === 'postgres')![1];
    redis = await startRedis();
    database = await postgres.open();
    const env = { REDIS_URL: redis.url };
    a = await startTestServer({ db: database.handle, env });
    b = await startTestServer({ db: database.handle, env });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await b?.close();
    await a?.close();
    await database?.close();
    await redis?.stop();
  });

  const connect = async (srv: TestServer, sittingId: string, cookie: string) => {
    const client = await connectRaw(srv.url, { sittingId, cookie });
    clients.push(client);
    return client;
  };

  /** A live sitting hosted on A: the host joined there and publishes a camera (no RTP yet). */
  async function hostOnA() {
    const sitting = await a.createSitting({ title: 'Seduta su due nodi' });
    const host = await connect(a, sitting.id, (await a.host()).cookie);
    await host.request({ type: 'sitting.start' });
    const joined = await host.request({ type: 'join' });
    await host.request({ type: 'media.capabilities', rtpCapabilities: joined.routerRtpCapabilities });
    const send = await host.request({ type: 'transport.create', direction: 'send' });
    const { producerId } = await host.request({
      type: 'produce',
      transportId: send.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: video(1111),
    });
    return { sitting, host, hostId: joined.participantId, producerId };
  }

  it('serves a viewer on node B the host camera of node A through a pipe, and chat and hands cross both ways', async () => {
    const { sitting, host, hostId, producerId } = await hostOnA();
    expect(a.app.crossNode?.nodeId).toBeDefined();
    const viewer = await connect(b, sitting.id, await b.operatorCookie(sitting.id, 'Ditta Rossi S.r.l.'));
    const joined = await viewer.request({ type: 'join' });
    // The roster and the producers are the origin's.
    expect(joined.participants.map((p) => p.id)).toContain(hostId);
    expect(joined.producers.map((p) => p.producerId)).toEqual([producerId]);
    await host.waitForNote('participant.joined', (n) => n.participant.id === joined.participantId);

    await viewer.request({ type: 'media.capabilities', rtpCapabilities: joined.routerRtpCapabilities });
    const recv = await viewer.request({ type: 'transport.create', direction: 'recv' });
    const consumer = await viewer.request({ type: 'consume', transportId: recv.transportId, producerId });
    expect(consumer).toMatchObject({ producerId, participantId: hostId, kind: 'video', source: 'camera' });

    // The viewer's media is on B's own router; the producer came through one pipe from A.
    const edge = await b.app.crossNode!.edgeView(sitting.id);
    expect(edge?.origin).toBe(a.app.crossNode!.nodeId);
    expect(edge?.router.transportCount(joined.participantId)).toBe(1);
    expect([...(edge?.piped.keys() ?? [])]).toEqual([producerId]);
    const pipes = await a.app.crossNode!.originPipes(sitting.id);
    expect(pipes.get(b.app.crossNode!.nodeId)?.map((c) => c.producerId)).toEqual([producerId]);
    expect((await a.sittings.live(sitting.id)).router.transportCount(joined.participantId)).toBe(0);

    // Chat, both ways.
    await viewer.request({ type: 'chat.send', text: 'Buongiorno dal nodo B' });
    await host.waitForNote('chat.message', (n) => n.message.text === 'Buongiorno dal nodo B');
    await host.request({ type: 'chat.send', text: 'Buongiorno dal nodo A' });
    await viewer.waitForNote('chat.message', (n) => n.message.text === 'Buongiorno dal nodo A');

    // A hand raised on B reaches the host on A; the host's answer reaches B.
    await viewer.request({ type: 'hand.raise' });
    const queue = await host.waitForNote('hands.queue', (n) => n.queue.length === 1);
    expect(queue.queue[0]?.participantId).toBe(joined.participantId);
    await host.request({ type: 'hand.deny', participantId: joined.participantId });
    await viewer.waitForNote('hand.state', (n) => n.hand === 'none');

    // The host pauses, then closes the camera: the piped producer on B follows, the viewer is told.
    await host.request({ type: 'producer.pause', producerId });
    await viewer.waitForNote('producer.paused', (n) => n.producerId === producerId);
    await host.request({ type: 'producer.close', producerId });
    await viewer.waitForNote('consumer.closed', (n) => n.consumerId === consumer.consumerId);
    await viewer.waitForNote('producer.closed', (n) => n.producerId === producerId);
    await vi.waitFor(async () => expect((await b.app.crossNode!.edgeView(sitting.id))?.piped.size).toBe(0));

    // The viewer leaves: B's router for the sitting and the pipe on A close.
    await viewer.request({ type: 'leave' });
    await host.waitForNote('participant.left', (n) => n.participantId === joined.participantId);
    await vi.waitFor(async () => expect(await b.app.crossNode!.edgeView(sitting.id)).toBeUndefined());
    await vi.waitFor(async () => expect((await a.app.crossNode!.originPipes(sitting.id)).size).toBe(0));
  });

  it('holds a viewer whose connection to B dropped, and gives it back when it resumes on A', async () => {
    const { sitting, host } = await hostOnA();
    const viewer = await connect(b, sitting.id, await b.operatorCookie(sitting.id, 'Ditta Bianchi S.r.l.'));
    const joined = await viewer.request({ type: 'join' });
    await viewer.request({ type: 'hand.raise' });
    await host.waitForNote('hands.queue', (n) => n.queue.length === 1);
    // A network drop (not a leave): the transport closes under the socket.
    viewer.socket.io.engine.close();
    await host.waitForNote(
      'participant.updated',
      (n) => n.participant.id === joined.participantId && n.participant.reconnecting === true,
    );
    const back = await connect(a, sitting.id, await a.operatorCookie(sitting.id, 'Ditta Bianchi S.r.l.'));
    const resumed = await back.request({ type: 'join', resume: joined.participantId, keepMedia: true });
    expect(resumed).toMatchObject({
      participantId: joined.participantId,
      resumed: true,
      mediaKept: false,
      hand: 'raised',
    });
  });
});

describe('a sitting whose origin node stops', () => {
  let redis: TestRedis;
  let database: TestDatabase;
  let a: TestServer | undefined;
  let b: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    if (postgresAdminUrl() === undefined) throw new Error('this test needs PostgreSQL on 127.0.0.1:5432');
    const postgres = testDatabases().find(([kind]) => kind === 'postgres')![1];
    redis = await startRedis();
    database = await postgres.open();
    // Node deaths noticed within 1 s here (the default 4 s is the deployment's).
    const env = { REDIS_URL: redis.url, CLUSTER_NODE_TTL_MS: '1000' };
    a = await startTestServer({ db: database.handle, env });
    b = await startTestServer({ db: database.handle, env });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await b?.close();
    await a?.close();
    await database?.close();
    await redis?.stop();
  });

  it("drops the origin's clients on the edge, and the next node a client reaches hosts the sitting", async () => {
    const origin = a!;
    const sitting = await origin.createSitting({ title: 'Seduta che cambia nodo' });
    const hostCookie = (await origin.host()).cookie;
    const host = await connectRaw(origin.url, { sittingId: sitting.id, cookie: hostCookie });
    clients.push(host);
    await host.request({ type: 'sitting.start' });
    await host.request({ type: 'join' });
    const viewer = await connectRaw(b.url, {
      sittingId: sitting.id,
      cookie: await b.operatorCookie(sitting.id, 'Ditta Neri S.r.l.'),
    });
    clients.push(viewer);
    await viewer.request({ type: 'join' });
    expect((await b.app.crossNode!.edgeView(sitting.id))?.origin).toBe(origin.app.crossNode!.nodeId);

    // The origin stops (its lease and node key go with it): B drops the viewer so that it reconnects.
    const dropped = new Promise<string>((resolve) => viewer.socket.once('disconnect', resolve));
    a = undefined;
    await origin.close();
    expect(await dropped).toBe('transport close');
    expect(await b.app.crossNode!.edgeView(sitting.id)).toBeUndefined();

    // The host comes back through B: B takes the sitting, restored as after a restart.
    const back = await connectRaw(b.url, { sittingId: sitting.id, cookie: hostCookie });
    clients.push(back);
    const joined = await back.request({ type: 'join' });
    expect(joined.sitting.status).toBe('live');
    expect((await b.sittings.liveIfAny(sitting.id))?.closed).toBe(false);
    const again = await connectRaw(b.url, {
      sittingId: sitting.id,
      cookie: await b.operatorCookie(sitting.id, 'Ditta Neri S.r.l.'),
    });
    clients.push(again);
    const rejoined = await again.request({ type: 'join' });
    expect(rejoined.participants.map((p) => p.id)).toContain(joined.participantId);
  });
});
