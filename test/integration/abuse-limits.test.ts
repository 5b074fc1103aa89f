import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Reply } from '@seduta/server/protocol';
import { DEFAULT_LIMITS } from '../../server/src/sittings/limits';
import { FAKE_DTLS, fakeRtpParameters } from '../support/fake-media';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

/** Resident memory of a process, in bytes (Linux). */
function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** Sends `count` messages made by `make`, `batch` at a time, and returns every reply. */
async function flood(c: RawClient, count: number, make: (i: number) => unknown, batch = 200) {
  const replies: Reply<unknown>[] = [];
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    replies.push(...(await Promise.all(Array.from({ length: n }, (_, j) => c.send(make(i + j), 20_000)))));
  }
  return replies;
}

const codes = (replies: Reply<unknown>[]) =>
  replies.reduce<Record<string, number>>((acc, r) => {
    const key = r.ok ? 'ok' : r.error.code;
    acc[key] = (acc[key] ?? 0) + 1;
    return acc;
  }, {});

/** The host gives its send transport DTLS parameters and publishes one track on it; returns its producer id. */
async function connectAndProduce(
  host: RawClient,
  transportId: string,
  kind: 'audio' | 'video',
  source: 'microphone' | 'camera',
  ssrc: number,
): Promise<string> {
  await host.request({ type: 'transport.connect', transportId, dtlsParameters: FAKE_DTLS });
  const { producerId } = await host.request({
    type: 'produce',
    transportId,
    kind,
    source,
    rtpParameters: fakeRtpParameters(kind, ssrc),
  });
  return producerId;
}

/** A 2,000-level nested object: `{ n: { n: { … } } }`. */
function nested(levels: number): Record<string, unknown> {
  let o: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i++) o = { n: o };
  return o;
}

describe('resource limits under abuse (raw socket.io)', () => {
  /** Rate limit out of the way: what is measured here is the per-participant limits. */
  let srv: TestServer;
  /** Default limits, as a production server runs. */
  let plain: TestServer;
  const clients: RawClient[] = [];

  async function liveSitting(server: TestServer, operators = 1) {
    const sitting = await server.createSitting({ title: 'Apertura buste — lotto 7' });
    const host = await connectRaw(server.url, {
      sittingId: sitting.id,
      cookie: (await server.host()).cookie,
    });
    clients.push(host);
    await host.request({ type: 'sitting.start' });
    const { routerRtpCapabilities: caps } = await host.request({ type: 'join' });
    await host.request({ type: 'media.capabilities', rtpCapabilities: caps });
    const ops: RawClient[] = [];
    const opIds: string[] = [];
    for (let i = 0; i < operators; i++) {
      const cookie = await server.operatorCookie(sitting.id, `Operatore ${i + 1}`);
      const op = await connectRaw(server.url, { sittingId: sitting.id, cookie });
      clients.push(op);
      opIds.push((await op.request({ type: 'join' })).participantId);
      ops.push(op);
    }
    return { sitting, host, ops, opIds, caps };
  }

  beforeAll(async () => {
    srv = await startTestServer({
      env: { SIGNALLING_RATE_PER_S: '100000', SIGNALLING_BURST: '100000', TRANSPORT_CONNECT_TIMEOUT_S: '2' },
    });
    plain = await startTestServer();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
    await plain?.close();
  });

  it("refuses 2,000 transport.create past the limit, and the worker grows by far less than 2,000 transports' worth", async () => {
    const { ops } = await liveSitting(srv);
    const op = ops[0]!;
    const [pid] = srv.pool.workerPids();
    const before = rssBytes(pid!);
    const replies = await flood(op, 2000, (i) => ({
      type: 'transport.create',
      direction: i % 2 === 0 ? 'send' : 'recv',
    }));
    const after = rssBytes(pid!);
    const perDirection = DEFAULT_LIMITS.transportsPerDirection;
    expect(codes(replies)).toEqual({ ok: 2 * perDirection, limit_reached: 2000 - 2 * perDirection });
    const refused = replies.find((r) => !r.ok);
    expect(refused).toMatchObject({
      error: { message: expect.stringMatching(/at most 2 (send|recv) transports/) },
    });
    const growth = after - before;
    console.info(`worker RSS: ${(before / 2 ** 20).toFixed(1)} MiB → ${(after / 2 ** 20).toFixed(1)} MiB`);
    // Unbounded, 2,000 transports cost the worker ≈ 48 MB (issue 16); bounded, a few transports.
    expect(growth).toBeLessThan(8 * 2 ** 20);
  });

  it('closes a transport never connected after TRANSPORT_CONNECT_TIMEOUT_S, and frees its place', async () => {
    const { ops } = await liveSitting(srv);
    const op = ops[0]!;
    const kept = await op.request({ type: 'transport.create', direction: 'recv' });
    await op.request({ type: 'transport.connect', transportId: kept.transportId, dtlsParameters: FAKE_DTLS });
    const idle = await op.request({ type: 'transport.create', direction: 'recv' });
    expect(await op.send({ type: 'transport.create', direction: 'recv' })).toMatchObject({
      ok: false,
      error: { code: 'limit_reached' },
    });
    // The idle one is reaped (2 s here); the connected one stays.
    await vi.waitFor(
      async () => {
        const r = await op.send({ type: 'transport.restartIce', transportId: idle.transportId });
        expect(r).toMatchObject({ ok: false, error: { code: 'not_found' } });
      },
      { timeout: 6000, interval: 250 },
    );
    expect(await op.send({ type: 'transport.restartIce', transportId: kept.transportId })).toMatchObject({
      ok: true,
    });
    expect(await op.send({ type: 'transport.create', direction: 'recv' })).toMatchObject({ ok: true });
  });

  it('keeps a lone transport not connected yet past the timeout: the host turns the microphone on later and publishes', async () => {
    const { host } = await liveSitting(srv);
    // The web client makes its send transport at the join and connects it at the first track.
    const send = await host.request({ type: 'transport.create', direction: 'send' });
    await delay(2 * 2_000 + 500);
    const producerId = await connectAndProduce(host, send.transportId, 'audio', 'microphone', 4343);
    expect(producerId).toEqual(expect.any(String));
  });

  it('accepts the first of 1,000 consume of one producer and refuses the other 999', async () => {
    const { sitting, host, ops, opIds, caps } = await liveSitting(srv);
    const op = ops[0]!;
    const send = await host.request({ type: 'transport.create', direction: 'send' });
    const producerId = await connectAndProduce(host, send.transportId, 'video', 'camera', 4242);
    await op.request({ type: 'media.capabilities', rtpCapabilities: caps });
    const recv = await op.request({ type: 'transport.create', direction: 'recv' });
    await op.request({ type: 'transport.connect', transportId: recv.transportId, dtlsParameters: FAKE_DTLS });
    const replies = await flood(op, 1000, () => ({
      type: 'consume',
      transportId: recv.transportId,
      producerId,
    }));
    expect(codes(replies)).toEqual({ ok: 1, limit_reached: 999 });
    // On the server: one consumer, for the one accepted.
    const live = await srv.sittings.liveIfAny(sitting.id);
    expect(live?.participant(opIds[0]!).consumerCount).toBe(1);
    expect(replies.find((r) => !r.ok)).toMatchObject({ error: { message: /one consumer per track/ } });
  });

  it('refuses a 2,000-level nested rtpCapabilities as bad_request, cheaply; a normal consume works afterwards', async () => {
    const { host, ops, caps } = await liveSitting(srv);
    const op = ops[0]!;
    const started = performance.now();
    const deep = await op.send({ type: 'media.capabilities', rtpCapabilities: nested(2000) });
    const elapsed = performance.now() - started;
    expect(deep).toMatchObject({ ok: false, error: { code: 'bad_request', message: /nested deeper than/ } });
    expect(elapsed).toBeLessThan(1000);
    // Wide and long objects are refused the same way, before any schema or mediasoup sees them.
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    expect(await op.send({ type: 'media.capabilities', rtpCapabilities: { codecs: [wide] } })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: /more than 64 keys/ },
    });
    expect(
      await op.send({
        type: 'transport.connect',
        transportId: 'x',
        dtlsParameters: { role: 'x'.repeat(5000) },
      }),
    ).toMatchObject({ ok: false, error: { code: 'payload_too_large', message: /longer than 4096/ } });
    // The connection and the participant are unharmed: the real capabilities, then a consume.
    const send = await host.request({ type: 'transport.create', direction: 'send' });
    const { producerId } = await host.request({
      type: 'produce',
      transportId: send.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: fakeRtpParameters('video', 5151),
    });
    await op.request({ type: 'media.capabilities', rtpCapabilities: caps });
    const recv = await op.request({ type: 'transport.create', direction: 'recv' });
    const consumer = await op.request({ type: 'consume', transportId: recv.transportId, producerId });
    expect(consumer).toMatchObject({ producerId, kind: 'video' });
  });

  it("answers a flood rate_limited while a real client's join burst is not limited", async () => {
    const { host, ops, caps } = await liveSitting(plain, 1);
    // Three tracks to receive: what a joiner finds in a sitting with a host on camera and screen.
    const send = await host.request({ type: 'transport.create', direction: 'send' });
    const producers: string[] = [];
    for (const [i, source] of (['camera', 'screen'] as const).entries()) {
      const r = await host.request({
        type: 'produce',
        transportId: send.transportId,
        kind: 'video',
        source,
        rtpParameters: { ...fakeRtpParameters('video', 6000 + i), mid: String(i) },
      });
      producers.push(r.producerId);
    }
    // A real join, everything at once as the web client pipelines it: join, capabilities,
    // transports, connect, then consume, resume and size report per track, and the stats report.
    const op = ops[0]!;
    const burst: Array<Promise<Reply<unknown>>> = [];
    burst.push(op.send({ type: 'media.capabilities', rtpCapabilities: caps }));
    const recv = await op.request({ type: 'transport.create', direction: 'recv' });
    burst.push(
      op.send({ type: 'transport.connect', transportId: recv.transportId, dtlsParameters: FAKE_DTLS }),
    );
    await Promise.all(burst);
    const consumed = await Promise.all(
      producers.map((producerId) =>
        op.request({ type: 'consume', transportId: recv.transportId, producerId }),
      ),
    );
    const follow = await Promise.all(
      consumed.flatMap(({ consumerId }) => [
        op.send({ type: 'consumer.resume', consumerId }),
        op.send({ type: 'consumer.viewSize', consumerId, width: 640, height: 360 }),
      ]),
    );
    expect(follow.every((r) => r.ok)).toBe(true);
    expect((await op.send({ type: 'stats.report', joinToFirstFrameMs: 800 })).ok).toBe(true);
    // A flood: past the burst, refused.
    const flooded = await flood(op, 600, () => ({
      type: 'consumer.pause',
      consumerId: consumed[0]!.consumerId,
    }));
    const counted = codes(flooded);
    expect(counted.rate_limited).toBeGreaterThan(300);
    expect(counted.ok).toBeLessThanOrEqual(DEFAULT_LIMITS.requestBurst + 40);
    expect(flooded.find((r) => !r.ok)).toMatchObject({ error: { message: /too many requests/ } });
    // The budget refills: a second later the connection is served again.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await op.send({ type: 'consumer.resume', consumerId: consumed[0]!.consumerId })).toMatchObject({
      ok: true,
    });
  });
});
