import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkerPool, producerDefaults } from '@seduta/media';
import type { MediaRouter, MediaRouterCloseReason } from '@seduta/media';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const RTC_PORT = 45000 + randomInt(0, 900);
const PLAIN_PORTS = { rtcMinPort: 46000, rtcMaxPort: 46999 };
const VP8_PT = 101;
const VP8_SSRC = 27_182_818;

/** Consumers per router before viewers spread: two viewers of one video track fill a router. */
const SPREAD_CONSUMERS = 2;

const children: { child: ChildProcess; exited: Promise<void> }[] = [];
const sockets: dgram.Socket[] = [];
let pool: WorkerPool;

beforeAll(async () => {
  pool = await WorkerPool.create({
    numWorkers: 2,
    rtcPort: RTC_PORT,
    rtcListenIp: '127.0.0.1',
    spreadConsumers: SPREAD_CONSUMERS,
    ...PLAIN_PORTS,
  });
});

afterAll(async () => {
  for (const { child } of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  for (const socket of sockets) socket.close();
  await pool?.close();
});

/** A live sitting: a router, a VP8 producer fed by FFmpeg over plain RTP, and its close reasons. */
async function liveSitting(ownerId: string): Promise<{
  router: MediaRouter;
  producer: types.Producer;
  closes: MediaRouterCloseReason[];
}> {
  const router = await pool.createRouter(ownerId);
  const closes: MediaRouterCloseReason[] = [];
  router.on('close', (reason) => closes.push(reason));
  const source = await router.createPlainTransport({ participantId: 'host', comedia: true, rtcpMux: false });
  const producer = await source.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: VP8_PT, clockRate: 90000 }],
      encodings: [{ ssrc: VP8_SSRC }],
    },
    ...producerDefaults('video'),
  });
  const args = [
    ...'-hide_banner -loglevel error -re -f lavfi -i testsrc=size=160x120:rate=15 -t 30'.split(' '),
    ...'-c:v libvpx -deadline realtime -cpu-used 8 -b:v 200k -g 15'.split(' '),
    ...`-payload_type ${VP8_PT} -ssrc ${VP8_SSRC} -f rtp`.split(' '),
    `rtp://127.0.0.1:${source.tuple.localPort}?rtcpport=${source.rtcpTuple!.localPort}&pkt_size=1200`,
  ];
  const child = spawn(FFMPEG, args, { stdio: 'ignore' });
  children.push({ child, exited: new Promise((resolve) => child.once('exit', () => resolve())) });
  return { router, producer, closes };
}

/** A viewer: a receive PlainTransport sending to a local socket that counts what arrives. */
async function viewer(
  router: MediaRouter,
  participantId: string,
  producer: types.Producer,
): Promise<{ transport: types.PlainTransport; consumer: types.Consumer; received: () => number }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  let received = 0;
  socket.on('message', () => {
    received += 1;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const transport = await router.createPlainTransport({ participantId, direction: 'recv' });
  await transport.connect({ ip: '127.0.0.1', port: socket.address().port });
  const consumer = await router.consume(transport, {
    producerId: producer.id,
    rtpCapabilities: router.rtpCapabilities,
  });
  return { transport, consumer, received: () => received };
}

async function packetsSent(consumer: types.Consumer): Promise<number> {
  const stats = await consumer.getStats();
  return stats.find((s) => s.type === 'outbound-rtp')?.packetCount ?? 0;
}

describe('spreading a sitting over workers', () => {
  it('puts viewers on a router on the second worker once the first carries the threshold, and media reaches them all', async () => {
    const { router, producer } = await liveSitting('sitting-spread');
    const viewers = [];
    for (const id of ['op-1', 'op-2', 'op-3']) viewers.push(await viewer(router, id, producer));

    const [originPid, otherPid] = router.workerPids;
    expect(router.workerPids).toHaveLength(2);
    expect(new Set(router.workerPids)).toEqual(new Set(pool.workerPids()));
    expect(router.consumerCount(originPid)).toBe(2);
    expect(router.consumerCount(otherPid)).toBe(1);
    expect(
      pool
        .stats()
        .map((s) => s.consumers)
        .sort(),
    ).toEqual([1, 2]);
    // The third viewer's transport lives on the other worker's router, not on the sitting's own.
    expect((await router.router.dump()).transportIds).not.toContain(viewers[2]!.transport.id);

    for (const v of viewers) {
      await vi.waitFor(
        async () => {
          expect(await packetsSent(v.consumer)).toBeGreaterThan(10);
          expect(v.received()).toBeGreaterThan(10);
        },
        { timeout: 10_000, interval: 100 },
      );
    }
    router.close();
    expect(pool.stats().map((s) => s.routers)).toEqual([0, 0]);
  });

  it('gives a WebRTC viewer on the other worker that worker’s WebRTC port', async () => {
    const { router, producer } = await liveSitting('sitting-spread-webrtc');
    await viewer(router, 'op-1', producer);
    await viewer(router, 'op-2', producer);
    const transport = await router.createWebRtcTransport({ participantId: 'op-3', direction: 'recv' });
    const sender = await router.createWebRtcTransport({ participantId: 'speaker', direction: 'send' });

    const portOf = (pid: number | undefined) => pool.stats().find((s) => s.pid === pid)?.rtcPort;
    expect(new Set(transport.iceCandidates.map((c) => c.port))).toEqual(
      new Set([portOf(router.workerPids[1])]),
    );
    // Send transports (producers) always stay on the sitting's own worker.
    expect(sender.iceCandidates[0]?.port).toBe(portOf(router.workerPid));
    router.close();
  });

  it('closes the spread viewers’ consumers when the producer closes', async () => {
    const { router, producer } = await liveSitting('sitting-spread-producer-close');
    const viewers = [];
    for (const id of ['op-1', 'op-2', 'op-3']) viewers.push(await viewer(router, id, producer));
    const spread = viewers[2]!.consumer;
    const closedByProducer = new Promise<void>((resolve) => spread.once('producerclose', () => resolve()));

    router.closeParticipant('host');

    await closedByProducer;
    expect(viewers.every((v) => v.consumer.closed)).toBe(true);
    expect(router.consumerCount()).toBe(0);
    router.close();
  });

  it('leaves no transports on either worker after every participant leaves', async () => {
    const { router, producer } = await liveSitting('sitting-spread-leave');
    const ids = ['op-1', 'op-2', 'op-3', 'op-4'];
    const viewers = [];
    for (const id of ids) viewers.push(await viewer(router, id, producer));
    expect(router.workerPids).toHaveLength(2);

    for (const id of [...ids, 'host']) router.closeParticipant(id);

    expect(router.transportCount()).toBe(0);
    expect(router.consumerCount()).toBe(0);
    expect(viewers.every((v) => v.transport.closed)).toBe(true);
    router.close();
  });

  it('closes the whole sitting with "worker-died" when the worker its viewers spread to dies', async () => {
    const { router, producer, closes } = await liveSitting('sitting-spread-death');
    for (const id of ['op-1', 'op-2', 'op-3']) await viewer(router, id, producer);
    const spreadPid = router.workerPids[1]!;
    const replaced = new Promise<void>((resolve) => pool.once('workerreplaced', () => resolve()));

    process.kill(spreadPid, 'SIGKILL');

    await vi.waitFor(() => expect(closes).toEqual(['worker-died']), { timeout: 5000 });
    await replaced;
    expect(pool.workerCount).toBe(2);
  });
});
