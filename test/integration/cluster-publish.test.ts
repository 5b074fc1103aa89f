/**
 * Publishing through an edge (issue 14): an operator connected to node B, in a sitting node A
 * hosts, is given the floor and speaks. The producer is made on B (the operator's send transport),
 * piped to A with the same id, and A runs the sitting's usual path: floor checked, announced,
 * recorded, host mute. Two servers in this process, one private Redis, one PostgreSQL database.
 * Raw clients carry no RTP: real media through the pipe is test/e2e/cluster-speaker.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeRtpParameters, hostStartsOnCamera } from '../support/fake-media';
import type { TestServer } from '../support/server';
import { startTwoNodes, type TwoNodes } from '../support/two-nodes';

describe('an operator publishing through an edge node (Redis, PostgreSQL)', () => {
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

  /** A live sitting hosted on A (its host publishing a camera) and an operator joined through B. */
  async function operatorOnB(name: string) {
    const sitting = await a.createSitting({ title: `Seduta con ${name}` });
    const host = await connect(a, sitting.id, (await a.host()).cookie);
    await hostStartsOnCamera(host);
    const operator = await connect(b, sitting.id, await b.operatorCookie(sitting.id, name));
    const joined = await operator.request({ type: 'join' });
    await operator.request({ type: 'media.capabilities', rtpCapabilities: joined.routerRtpCapabilities });
    const send = await operator.request({ type: 'transport.create', direction: 'send' });
    const live = await a.sittings.live(sitting.id);
    return {
      sitting,
      host,
      operator,
      operatorId: joined.participantId,
      sendTransportId: send.transportId,
      live,
    };
  }

  /** {@link operatorOnB}, the operator's raised hand approved; `produce` publishes a fake track through B. */
  async function speakerOnB(name: string) {
    const onB = await operatorOnB(name);
    const { host, operator, operatorId, sendTransportId } = onB;
    await operator.request({ type: 'hand.raise' });
    await host.waitForNote('hands.queue', (n) => n.queue.some((h) => h.participantId === operatorId));
    await host.request({ type: 'hand.approve', participantId: operatorId, audio: true, video: true });
    await operator.waitForNote('hand.state', (n) => n.hand === 'speaking');
    const produce = async (kind: 'audio' | 'video', ssrc: number) =>
      (
        await operator.request({
          type: 'produce',
          transportId: sendTransportId,
          kind,
          source: kind === 'audio' ? 'microphone' : 'camera',
          rtpParameters: fakeRtpParameters(kind, ssrc),
        })
      ).producerId;
    return { ...onB, produce };
  }

  /** A viewer of the sitting on `srv` with a receive transport. */
  async function viewerOn(srv: TestServer, sittingId: string, name: string) {
    const viewer = await connect(srv, sittingId, await srv.operatorCookie(sittingId, name));
    const joined = await viewer.request({ type: 'join' });
    await viewer.request({ type: 'media.capabilities', rtpCapabilities: joined.routerRtpCapabilities });
    const recv = await viewer.request({ type: 'transport.create', direction: 'recv' });
    return { viewer, participantId: joined.participantId, recvTransportId: recv.transportId };
  }

  it('lets an approved operator on B speak: recorded on A, consumed on A and on B, muted and revoked on both', async () => {
    const { sitting, host, operator, operatorId, sendTransportId, live } =
      await operatorOnB('Ditta Gialli S.r.l.');
    const onA = await viewerOn(a, sitting.id, 'Ditta Uno S.r.l.');
    const onB = await viewerOn(b, sitting.id, 'Ditta Due S.r.l.');

    await operator.request({ type: 'hand.raise' });
    await host.waitForNote('hands.queue', (n) => n.queue.some((h) => h.participantId === operatorId));
    await host.request({ type: 'hand.approve', participantId: operatorId, audio: true, video: true });
    await operator.waitForNote('hand.state', (n) => n.hand === 'speaking');

    const { producerId: micId } = await operator.request({
      type: 'produce',
      transportId: sendTransportId,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: fakeRtpParameters('audio', 7001),
    });
    const { producerId: camId } = await operator.request({
      type: 'produce',
      transportId: sendTransportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: fakeRtpParameters('video', 7002),
    });

    // The origin has both (same ids, owned by the operator), announced and recordable.
    expect(live.findProducer(micId).owner.id).toBe(operatorId);
    expect(live.findProducer(camId).producer.kind).toBe('video');
    const recorded = live.recordable.producers().filter((r) => r.participantId === operatorId);
    expect(recorded.map((r) => [r.producer.id, r.source]).sort()).toEqual(
      [
        [micId, 'microphone'],
        [camId, 'camera'],
      ].sort(),
    );
    for (const c of [host, onA.viewer, onB.viewer])
      await c.waitForNote('producer.new', (n) => n.producer.producerId === camId);

    // A viewer on A consumes the origin's producer; a viewer on B the edge's own, not piped back in.
    const consumedOnA = await onA.viewer.request({
      type: 'consume',
      transportId: onA.recvTransportId,
      producerId: camId,
    });
    expect(consumedOnA).toMatchObject({ producerId: camId, participantId: operatorId, source: 'camera' });
    const consumedOnB = await onB.viewer.request({
      type: 'consume',
      transportId: onB.recvTransportId,
      producerId: camId,
    });
    expect(consumedOnB).toMatchObject({ producerId: camId, participantId: operatorId, source: 'camera' });
    const edge = (await b.app.crossNode!.edgeView(sitting.id))!;
    expect(edge.piped.has(camId)).toBe(false);
    expect([...edge.published.keys()].sort()).toEqual([micId, camId].sort());
    const onEdge = (id: string) => edge.published.get(id)!;

    // Host mute: the microphone is paused on A, then on B; the operator cannot unmute.
    await host.request({ type: 'participant.mute', participantId: operatorId, muted: true });
    expect(live.findProducer(micId).producer.paused).toBe(true);
    await vi.waitFor(() => expect(onEdge(micId).paused).toBe(true));
    await expect(operator.request({ type: 'producer.resume', producerId: micId })).rejects.toMatchObject({
      code: 'forbidden',
    });

    // The operator pauses and resumes the camera on B: the origin follows, the viewer on A is told.
    await operator.request({ type: 'producer.pause', producerId: camId });
    expect(live.findProducer(camId).producer.paused).toBe(true);
    expect(onEdge(camId).paused).toBe(true);
    await onA.viewer.waitForNote('producer.paused', (n) => n.producerId === camId);
    await onB.viewer.waitForNote('producer.paused', (n) => n.producerId === camId);
    await operator.request({ type: 'producer.resume', producerId: camId });
    expect(live.findProducer(camId).producer.paused).toBe(false);
    await onA.viewer.waitForNote('producer.resumed', (n) => n.producerId === camId);

    // Revoke: both producers are gone on A and on B within 1 s; the viewers are told.
    const t0 = Date.now();
    await host.request({ type: 'floor.revoke', participantId: operatorId });
    await vi.waitFor(
      async () => {
        expect(() => live.findProducer(camId)).toThrow();
        expect(() => live.findProducer(micId)).toThrow();
        expect(onEdge(camId).closed && onEdge(micId).closed).toBe(true);
        expect(edge.router.producerCount()).toBe(0);
      },
      { timeout: 1000, interval: 10 },
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    await onA.viewer.waitForNote('consumer.closed', (n) => n.consumerId === consumedOnA.consumerId);
    await onB.viewer.waitForNote('consumer.closed', (n) => n.consumerId === consumedOnB.consumerId);
    expect(live.recordable.producers().filter((r) => r.participantId === operatorId)).toEqual([]);
  });

  it('refuses an operator on B without the floor as on a single node (forbidden), and keeps nothing', async () => {
    const { sitting, operator, operatorId, sendTransportId, live } = await operatorOnB('Ditta Verdi S.p.A.');
    const reply = await operator.send({
      type: 'produce',
      transportId: sendTransportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: fakeRtpParameters('video', 7101),
    });
    expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(live.participant(operatorId).producers).toEqual([]);
    const edge = (await b.app.crossNode!.edgeView(sitting.id))!;
    await vi.waitFor(() => expect(edge.router.producerCount()).toBe(0));
  });

  it('closes the origin producer when the operator closes it on B, or leaves', async () => {
    const { sitting, host, operator, operatorId, live, produce } = await speakerOnB('Ditta Blu S.r.l.');
    const cam = await produce('video', 7201);
    await operator.request({ type: 'producer.close', producerId: cam });
    await host.waitForNote('producer.closed', (n) => n.producerId === cam);
    expect(() => live.findProducer(cam)).toThrow();
    // Closing again is the single node's answer: no such producer.
    await expect(operator.request({ type: 'producer.close', producerId: cam })).rejects.toMatchObject({
      code: 'not_found',
    });

    const mic = await produce('audio', 7202);
    expect(live.findProducer(mic).owner.id).toBe(operatorId);
    await operator.request({ type: 'leave' });
    await host.waitForNote('participant.left', (n) => n.participantId === operatorId);
    expect(() => live.findProducer(mic)).toThrow();
    await vi.waitFor(async () => expect(await b.app.crossNode!.edgeView(sitting.id)).toBeUndefined());
    await vi.waitFor(async () => expect((await a.app.crossNode!.originPipes(sitting.id)).size).toBe(0));
  });

  it("publishes over a new pipe pair when the origin's end of the old one is gone", async () => {
    const { sitting, host, operatorId, live, produce } = await speakerOnB('Ditta Viola S.r.l.');
    const mic = await produce('audio', 7301);
    const edge = (await b.app.crossNode!.edgeView(sitting.id))!;
    // The origin's end goes (as when its router is made again): what came through it goes too.
    live.router.closeParticipant(`pipe:${b.app.crossNode!.nodeId}`);
    await host.waitForNote('producer.closed', (n) => n.producerId === mic);
    await vi.waitFor(() => expect(edge.published.get(mic)?.closed ?? true).toBe(true));

    const cam = await produce('video', 7302);
    expect(live.findProducer(cam).owner.id).toBe(operatorId);
    expect((await a.app.crossNode!.originPipes(sitting.id)).has(b.app.crossNode!.nodeId)).toBe(true);
  });
});
