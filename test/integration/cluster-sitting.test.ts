/**
 * One sitting across two nodes (issue 14): two servers in this process, one private Redis, one
 * PostgreSQL database. The host joins node A (which takes the sitting's lease: its origin); a
 * viewer joins node B (an edge): its sitting requests go to A, its media is served by B's own
 * router, the host's producer piped from A over an SRTP PipeTransport pair.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hostStartsOnCamera } from '../support/fake-media';
import type { TestServer } from '../support/server';
import { startTwoNodes, type TwoNodes } from '../support/two-nodes';

describe('a sitting across two nodes (Redis, PostgreSQL)', () => {
  let nodes: TwoNodes;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    nodes = await startTwoNodes();
    ({ a, b } = nodes);
  });

  afterAll(async () => nodes?.close());

  const connect = (srv: TestServer, sittingId: string, cookie: string) =>
    nodes.connect(srv, sittingId, cookie);

  /** A live sitting hosted on A: the host joined there and publishes a camera (no RTP yet). */
  async function hostOnA() {
    const sitting = await a.createSitting({ title: 'Seduta su due nodi' });
    const host = await connect(a, sitting.id, (await a.host()).cookie);
    const { participantId: hostId, producerId } = await hostStartsOnCamera(host);
    return { sitting, host, hostId, producerId };
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
  let nodes: TwoNodes;

  // Node deaths noticed within 1 s here (the default 4 s is the deployment's).
  beforeAll(async () => void (nodes = await startTwoNodes({ CLUSTER_NODE_TTL_MS: '1000' })));

  afterAll(async () => nodes?.close());

  it("drops the origin's clients on the edge, and the next node a client reaches hosts the sitting", async () => {
    const { a: origin, b } = nodes;
    const sitting = await origin.createSitting({ title: 'Seduta che cambia nodo' });
    const hostCookie = (await origin.host()).cookie;
    const host = await nodes.connect(origin, sitting.id, hostCookie);
    await host.request({ type: 'sitting.start' });
    await host.request({ type: 'join' });
    const viewer = await nodes.connect(
      b,
      sitting.id,
      await b.operatorCookie(sitting.id, 'Ditta Neri S.r.l.'),
    );
    await viewer.request({ type: 'join' });
    expect((await b.app.crossNode!.edgeView(sitting.id))?.origin).toBe(origin.app.crossNode!.nodeId);

    // The origin stops (its lease and node key go with it): B drops the viewer so that it reconnects.
    const dropped = new Promise<string>((resolve) => viewer.socket.once('disconnect', resolve));
    await nodes.stopA();
    expect(await dropped).toBe('transport close');
    expect(await b.app.crossNode!.edgeView(sitting.id)).toBeUndefined();

    // The host comes back through B: B takes the sitting, restored as after a restart.
    const back = await nodes.connect(b, sitting.id, hostCookie);
    const joined = await back.request({ type: 'join' });
    expect(joined.sitting.status).toBe('live');
    expect((await b.sittings.liveIfAny(sitting.id))?.closed).toBe(false);
    const again = await nodes.connect(b, sitting.id, await b.operatorCookie(sitting.id, 'Ditta Neri S.r.l.'));
    const rejoined = await again.request({ type: 'join' });
    expect(rejoined.participants.map((p) => p.id)).toContain(joined.participantId);
  });
});
