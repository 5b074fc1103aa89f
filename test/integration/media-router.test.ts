import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaClosedError, WorkerPool, producerDefaults } from '@seduta/media';
import type { MediaRouter, MediaRouterCloseReason } from '@seduta/media';

const RTC_PORT = 45000 + randomInt(0, 900);
/** PlainTransports stay out of the WebRTC ports chosen above. */
const PLAIN_PORTS = { rtcMinPort: 46000, rtcMaxPort: 46999 };

/** VP8 as a plain RTP sender (FFmpeg, the bench) would describe it. */
const VP8_SEND: types.RtpParameters = {
  codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
  encodings: [{ ssrc: 1111 }],
};

let pool: WorkerPool;

beforeAll(async () => {
  pool = await WorkerPool.create({
    numWorkers: 2,
    rtcPort: RTC_PORT,
    rtcListenIp: '127.0.0.1',
    ...PLAIN_PORTS,
  });
});

afterAll(async () => {
  await pool?.close();
});

/** A router plus every close reason it reported. */
async function sittingRouter(
  ownerId: string,
): Promise<{ router: MediaRouter; closes: MediaRouterCloseReason[] }> {
  const router = await pool.createRouter(ownerId);
  const closes: MediaRouterCloseReason[] = [];
  router.on('close', (reason) => closes.push(reason));
  return { router, closes };
}

describe('MediaRouter', () => {
  it('offers Opus, VP8, VP9 and H.264 to clients', async () => {
    const { router } = await sittingRouter('sitting-codecs');
    const mimeTypes = router.rtpCapabilities.codecs?.map((c) => c.mimeType) ?? [];
    expect(mimeTypes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/VP9', 'video/H264']));
    router.close();
  });

  it('puts WebRTC transports on the worker WebRtcServer port and tags them with their participant', async () => {
    const { router } = await sittingRouter('sitting-webrtc');
    const transport = await router.createWebRtcTransport({ participantId: 'host', direction: 'send' });
    const slotPort = pool.stats().find((s) => s.pid === router.workerPid)?.rtcPort;
    expect(new Set(transport.iceCandidates.map((c) => c.port))).toEqual(new Set([slotPort]));
    expect(new Set(transport.iceCandidates.map((c) => c.protocol))).toEqual(new Set(['udp', 'tcp']));
    expect(transport.appData).toEqual({ participantId: 'host', direction: 'send' });
    router.close();
  });

  it('closes only the transports of the participant who leaves', async () => {
    const { router } = await sittingRouter('sitting-leave');
    const hostSend = await router.createWebRtcTransport({ participantId: 'host', direction: 'send' });
    const hostRecv = await router.createWebRtcTransport({ participantId: 'host', direction: 'recv' });
    const opRecv = await router.createWebRtcTransport({ participantId: 'op-1', direction: 'recv' });
    const opSend = await router.createWebRtcTransport({ participantId: 'op-1', direction: 'send' });
    expect(router.transportCount()).toBe(4);

    router.closeParticipant('op-1');

    expect(opRecv.closed).toBe(true);
    expect(opSend.closed).toBe(true);
    expect(hostSend.closed).toBe(false);
    expect(hostRecv.closed).toBe(false);
    expect(router.transportCount('op-1')).toBe(0);
    expect(router.transportCount('host')).toBe(2);
    router.close();
  });

  it('has no transports left after every participant leaves', async () => {
    const { router } = await sittingRouter('sitting-empty');
    const participants = ['host', 'op-1', 'op-2', 'op-3'];
    for (const participantId of participants) {
      await router.createWebRtcTransport({ participantId, direction: 'recv' });
    }
    await router.createPlainTransport({ participantId: 'recorder' });
    expect(router.transportCount()).toBe(5);

    for (const participantId of [...participants, 'recorder']) router.closeParticipant(participantId);

    expect(router.transportCount()).toBe(0);
    expect((await router.router.dump()).transportIds).toEqual([]);
    router.close();
  });

  it('closes the producers and consumers of a participant who leaves', async () => {
    const { router } = await sittingRouter('sitting-cascade');
    const source = await router.createPlainTransport({ participantId: 'host', comedia: true });
    const producer = await source.produce({
      kind: 'video',
      rtpParameters: VP8_SEND,
      ...producerDefaults('video'),
    });
    const sink = await router.createPlainTransport({ participantId: 'recorder' });
    const consumer = await sink.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    expect(router.consumerCount()).toBe(1);

    router.closeParticipant('recorder');
    expect(consumer.closed).toBe(true);
    expect(producer.closed).toBe(false);
    expect(router.consumerCount()).toBe(0);

    router.closeParticipant('host');
    expect(producer.closed).toBe(true);
    router.close();
  });

  it('drops a transport whose participant left while it was being created', async () => {
    const { router } = await sittingRouter('sitting-race');
    const pending = router.createWebRtcTransport({ participantId: 'op-1', direction: 'recv' });
    router.closeParticipant('op-1');

    await expect(pending).rejects.toBeInstanceOf(MediaClosedError);
    expect(router.transportCount()).toBe(0);
    expect((await router.router.dump()).transportIds).toEqual([]);

    // The same participant may come back and get a transport again.
    await router.createWebRtcTransport({ participantId: 'op-1', direction: 'recv' });
    expect(router.transportCount('op-1')).toBe(1);
    router.close();
  });

  it('closes its transports, then itself, and tells its owner once, however often close() is called', async () => {
    const { router, closes } = await sittingRouter('sitting-close');
    const transport = await router.createWebRtcTransport({ participantId: 'host', direction: 'send' });
    let transportClosedBeforeOwnerTold = false;
    router.on('close', () => {
      transportClosedBeforeOwnerTold = transport.closed;
    });

    router.close();
    router.close();
    router.close('worker-died');

    expect(closes).toEqual(['closed']);
    expect(transportClosedBeforeOwnerTold).toBe(true);
    expect(router.closed).toBe(true);
    expect(router.router.closed).toBe(true);
    expect(router.transportCount()).toBe(0);
    await expect(
      router.createWebRtcTransport({ participantId: 'host', direction: 'send' }),
    ).rejects.toBeInstanceOf(MediaClosedError);
  });

  it('keeps telling other listeners when one of them throws', async () => {
    const { router, closes } = await sittingRouter('sitting-throwing-owner');
    router.on('close', () => {
      throw new Error('owner bug');
    });
    const later: MediaRouterCloseReason[] = [];
    router.on('close', (reason) => later.push(reason));

    expect(() => router.close()).not.toThrow();
    expect(closes).toEqual(['closed']);
    expect(later).toEqual(['closed']);
  });
});

describe('WorkerPool', () => {
  it('places each new router on the worker with the fewest routers', async () => {
    const first = await pool.createRouter('sitting-a');
    const second = await pool.createRouter('sitting-b');
    expect(first.workerPid).not.toBe(second.workerPid);
    expect(pool.stats().map((s) => s.routers)).toEqual([1, 1]);

    first.close();
    expect(pool.stats().find((s) => s.pid === first.workerPid)?.routers).toBe(0);
    const third = await pool.createRouter('sitting-c');
    expect(third.workerPid).toBe(first.workerPid);
    second.close();
    third.close();
  });

  it('rejects settings whose WebRTC ports fall inside the PlainTransport range', async () => {
    await expect(
      WorkerPool.create({ numWorkers: 2, rtcPort: 46999, rtcMinPort: 46000, rtcMaxPort: 47999 }),
    ).rejects.toThrow(/overlap/);
  });

  it('fails to start, leaving no worker behind, when a WebRTC port is taken', async () => {
    const before = pool.workerPids();
    await expect(
      WorkerPool.create({
        numWorkers: 1,
        rtcPort: pool.stats()[0]!.rtcPort,
        rtcListenIp: '127.0.0.1',
        ...PLAIN_PORTS,
      }),
    ).rejects.toThrow(/address already in use/);
    expect(pool.workerPids()).toEqual(before);
  });

  it('closes its routers with reason "closed", then its workers, and can be closed twice', async () => {
    const local = await WorkerPool.create({
      numWorkers: 1,
      rtcPort: RTC_PORT + 50,
      rtcListenIp: '127.0.0.1',
      ...PLAIN_PORTS,
    });
    const router = await local.createRouter('sitting-shutdown');
    const reasons: MediaRouterCloseReason[] = [];
    router.on('close', (reason) => reasons.push(reason));
    const [pid] = local.workerPids();

    const closing = local.close();
    expect(local.close()).toBe(closing);
    await closing;

    expect(reasons).toEqual(['closed']);
    expect(local.workerCount).toBe(0);
    expect(isAlive(pid!)).toBe(false);
    await expect(local.createRouter('too-late')).rejects.toBeInstanceOf(MediaClosedError);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
