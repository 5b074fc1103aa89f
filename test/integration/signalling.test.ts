import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeRtpParameters } from '../support/fake-media';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

describe('signalling protocol (raw socket.io, no UI)', () => {
  let srv: TestServer;
  const clients: RawClient[] = [];
  const connect = async (...args: Parameters<typeof connectRaw>) => {
    const c = await connectRaw(...args);
    clients.push(c);
    return c;
  };

  /** A created sitting, a connected host and `operators` connected operators (not joined). */
  async function scheduledSitting(operators = 0) {
    const sitting = await srv.createSitting({ title: 'Apertura buste — lotto 1' });
    const host = await connect(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    const ops: RawClient[] = [];
    for (let i = 0; i < operators; i++) {
      const cookie = await srv.operatorCookie(sitting.id, `Operatore ${i + 1}`);
      ops.push(await connect(srv.url, { sittingId: sitting.id, cookie }));
    }
    return { sitting, host, ops };
  }

  /** A live sitting where the host and the operators have joined and declared capabilities. */
  async function startLiveSitting({ operators }: { operators: number }) {
    const s = await scheduledSitting(operators);
    await s.host.request({ type: 'sitting.start' });
    const hostJoin = await s.host.request({ type: 'join' });
    const caps = hostJoin.routerRtpCapabilities;
    await s.host.request({ type: 'media.capabilities', rtpCapabilities: caps });
    for (const op of s.ops) {
      await op.request({ type: 'join' });
      await op.request({ type: 'media.capabilities', rtpCapabilities: caps });
    }
    return { ...s, caps };
  }

  beforeAll(async () => {
    srv = await startTestServer();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  it("refuses a handshake for an unknown sitting, without credentials, or from another sitting's host", async () => {
    const sitting = await srv.createSitting({ title: 'x' });
    const { cookie } = await srv.host();
    await expect(
      connect(srv.url, { sittingId: '00000000-0000-4000-8000-000000000000', cookie }),
    ).rejects.toMatchObject({ data: { code: 'not_found' } });
    await expect(connect(srv.url, { sittingId: sitting.id })).rejects.toMatchObject({
      data: { code: 'unauthorized' },
    });
    const stranger = await srv.signIn('host');
    await expect(connect(srv.url, { sittingId: sitting.id, cookie: stranger.cookie })).rejects.toMatchObject({
      data: { code: 'forbidden' },
    });
    const elsewhere = await srv.operatorCookie((await srv.createSitting({ title: 'y' })).id, 'Operatore');
    await expect(connect(srv.url, { sittingId: sitting.id, cookie: elsewhere })).rejects.toMatchObject({
      data: { code: 'unauthorized' },
    });
  });

  it('tells every connection the sitting state on connect and when the host starts it', async () => {
    const { host, ops } = await scheduledSitting(1);
    const op = ops[0]!;
    await op.waitForNote('sitting.state', (n) => n.sitting.status === 'scheduled');
    await expect(op.request({ type: 'join' })).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(op.request({ type: 'sitting.start' })).rejects.toMatchObject({ code: 'forbidden' });
    await host.request({ type: 'sitting.start' });
    await op.waitForNote('sitting.state', (n) => n.sitting.status === 'live');
    const joined = await op.request({ type: 'join' });
    expect(joined.role).toBe('operator');
    expect(joined.sitting.status).toBe('live');
    expect(joined.routerRtpCapabilities.codecs?.length).toBeGreaterThan(0);
    // No TURN configured: the browser uses its defaults.
    expect(joined).toMatchObject({ iceServers: [], iceTransportPolicy: 'all' });
  });

  it('rejects produce from an operator, over the raw protocol', async () => {
    const { ops, caps } = await startLiveSitting({ operators: 1 });
    const op = ops[0]!;
    expect(caps).toBeDefined();
    const reply = await op.send({
      type: 'produce',
      transportId: 'whatever',
      kind: 'video',
      source: 'camera',
      rtpParameters: fakeRtpParameters('video', 1234567),
    });
    expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // Even with a real send transport of its own.
    const t = await op.request({ type: 'transport.create', direction: 'send' });
    const again = await op.send({
      type: 'produce',
      transportId: t.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: fakeRtpParameters('video', 7654321),
    });
    expect(again).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('announces the host producer to operators, who consume it paused and resume it', async () => {
    const { host, ops } = await startLiveSitting({ operators: 2 });
    const send = await host.request({ type: 'transport.create', direction: 'send' });
    const { producerId } = await host.request({
      type: 'produce',
      transportId: send.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: fakeRtpParameters('video', 1111),
    });
    for (const op of ops) {
      const note = await op.waitForNote('producer.new', (n) => n.producer.producerId === producerId);
      expect(note.producer).toMatchObject({ kind: 'video', source: 'camera' });
      const recv = await op.request({ type: 'transport.create', direction: 'recv' });
      const consumer = await op.request({ type: 'consume', transportId: recv.transportId, producerId });
      expect(consumer).toMatchObject({ producerId, kind: 'video', source: 'camera' });
      await op.request({ type: 'consumer.resume', consumerId: consumer.consumerId });
      const layer = await op.request({
        type: 'consumer.viewSize',
        consumerId: consumer.consumerId,
        width: 320,
        height: 180,
      });
      expect(layer.spatialLayer).toBe(0);
    }
    // A second camera from the same host is refused.
    await expect(
      host.request({
        type: 'produce',
        transportId: send.transportId,
        kind: 'video',
        source: 'camera',
        rtpParameters: fakeRtpParameters('video', 2222),
      }),
    ).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('answers hundreds of invalid messages with error codes and never disturbs other participants', async () => {
    const { host, ops } = await startLiveSitting({ operators: 2 });
    const [attacker, bystander] = [ops[0]!, ops[1]!];
    const bad: unknown[] = [
      null,
      42,
      'join',
      [],
      {},
      { type: 'nope' },
      { type: 'produce' },
      { type: 'consume', transportId: 5, producerId: 'x' },
      { type: 'transport.create', direction: 'sideways' },
      { type: 'consumer.viewSize', consumerId: 'x', width: -1, height: 10 },
      { type: 'join', extra: true },
      { type: 'transport.connect', transportId: 'missing', dtlsParameters: {} },
      { type: 'consume', transportId: 'missing', producerId: 'missing' },
      { type: 'producer.pause', producerId: 'x'.repeat(65) },
      { type: '__proto__' },
      { type: 'constructor' },
      { type: 'sitting.end' },
    ];
    const replies = [];
    for (let i = 0; i < 300; i++) replies.push(attacker.send(bad[i % bad.length]));
    const results = await Promise.all(replies);
    for (const r of results) {
      expect(r.ok).toBe(false);
      // Past the connection's burst (SIGNALLING_BURST), a flood is answered rate_limited.
      if (!r.ok)
        expect(['bad_request', 'forbidden', 'not_found', 'invalid_state', 'rate_limited']).toContain(
          r.error.code,
        );
    }
    expect(results.filter((r) => !r.ok && r.error.code !== 'rate_limited').length).toBeGreaterThanOrEqual(
      100,
    );
    // The budget refills (SIGNALLING_RATE_PER_S): a moment later the attacker is served again.
    await new Promise((r) => setTimeout(r, 200));
    // Oversized: > 64 KiB gets an error reply, and the connection stays up.
    const big = await attacker.send({ type: 'join', padding: 'x'.repeat(70 * 1024) });
    expect(big).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
    expect(attacker.socket.connected).toBe(true);
    expect(bystander.socket.connected).toBe(true);
    expect(host.socket.connected).toBe(true);
    // Everyone still works.
    await expect(bystander.request({ type: 'transport.create', direction: 'recv' })).resolves.toHaveProperty(
      'transportId',
    );
    await expect(attacker.request({ type: 'transport.create', direction: 'recv' })).resolves.toHaveProperty(
      'transportId',
    );
  });

  it('ends the sitting: everyone is told, and no transport or consumer is left in the router', async () => {
    const { sitting, host, ops } = await startLiveSitting({ operators: 2 });
    const live = await srv.sittings.live(sitting.id);
    const send = await host.request({ type: 'transport.create', direction: 'send' });
    const { producerId } = await host.request({
      type: 'produce',
      transportId: send.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: fakeRtpParameters('video', 3333),
    });
    for (const op of ops) {
      const recv = await op.request({ type: 'transport.create', direction: 'recv' });
      await op.request({ type: 'consume', transportId: recv.transportId, producerId });
    }
    expect(live.router.transportCount()).toBe(3);

    const t0 = Date.now();
    await host.request({ type: 'sitting.end' });
    for (const op of ops) await op.waitForNote('sitting.ended');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(live.router.transportCount()).toBe(0);
    expect(live.router.router.closed).toBe(true);
    await expect(ops[0]!.request({ type: 'join' })).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(srv.sittings.get(sitting.id)).resolves.toMatchObject({ status: 'ended' });
  });

  it('closes everything a participant owned when their socket drops', async () => {
    const { sitting, host, ops } = await startLiveSitting({ operators: 1 });
    const live = await srv.sittings.live(sitting.id);
    await ops[0]!.request({ type: 'transport.create', direction: 'recv' });
    await host.request({ type: 'transport.create', direction: 'send' });
    expect(live.router.transportCount()).toBe(2);
    ops[0]!.close();
    await host.waitForNote('participant.left');
    host.close();
    await vi.waitFor(() => expect(live.router.transportCount()).toBe(0));
    expect(live.participantCount).toBe(0);
  });
});

describe('TURN in the join reply (TURN_URLS, TURN_SECRET, ICE_TRANSPORT_POLICY)', () => {
  const secret = 'turn-shared-secret-0123456789-0123456789';
  const urls = ['turn:turn.ente.it:3478?transport=udp', 'turns:turn.ente.it:443?transport=tcp'];
  let srv: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    srv = await startTestServer({
      env: {
        TURN_URLS: urls.join(','),
        TURN_SECRET: secret,
        TURN_CREDENTIAL_TTL_SECONDS: '600',
        ICE_TRANSPORT_POLICY: 'relay',
      },
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  it('gives each joiner credentials coturn accepts with the shared secret, valid for the configured time', async () => {
    const sitting = await srv.createSitting({ title: 'Apertura buste — TURN' });
    const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    clients.push(host);
    await host.request({ type: 'sitting.start' });
    const cookie = await srv.operatorCookie(sitting.id, 'Ditta A', 'ditta-a');
    const op = await connectRaw(srv.url, { sittingId: sitting.id, cookie });
    clients.push(op);

    const before = Math.floor(Date.now() / 1000);
    const joined = await op.request({ type: 'join' });
    const after = Math.floor(Date.now() / 1000);

    expect(joined.iceTransportPolicy).toBe('relay');
    expect(joined.iceServers).toHaveLength(1);
    const [server] = joined.iceServers;
    expect(server?.urls).toEqual(urls);
    const [expiry, ...subject] = (server?.username ?? '').split(':');
    expect(subject.join(':')).toBe('operator:ditta-a');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(after + 600);
    expect(server?.credential).toBe(
      createHmac('sha1', secret)
        .update(server?.username ?? '')
        .digest('base64'),
    );
    const hostJoined = await host.request({ type: 'join' });
    expect(hostJoined.iceServers[0]?.username).not.toBe(server?.username);
  });
});
