import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { Writable } from 'node:stream';
import { setLogEventListeners } from 'mediasoup';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkerPool, routeMediasoupLogs } from '@seduta/media';
import type { MediaRouterCloseReason, WorkerReplacedEvent } from '@seduta/media';

const RTC_PORT = 45000 + randomInt(0, 900);
/** PlainTransports stay out of the WebRTC ports chosen above. */
const PLAIN_PORTS = { rtcMinPort: 46000, rtcMaxPort: 46999 };
const WAIT = { timeout: 15_000, interval: 20 };

/** Structured pino lines the pool wrote. */
const logs: { level: number; msg: string }[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  }),
);

let pool: WorkerPool;
const replaced: WorkerReplacedEvent[] = [];
const sockets: dgram.Socket[] = [];

beforeAll(async () => {
  routeMediasoupLogs(logger);
  pool = await WorkerPool.create({
    numWorkers: 2,
    rtcPort: RTC_PORT,
    rtcListenIp: '127.0.0.1',
    ...PLAIN_PORTS,
    logger,
  });
  pool.on('workerreplaced', (event) => replaced.push(event));
});

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

afterAll(async () => {
  await pool?.close();
  setLogEventListeners(); // back to mediasoup's default `debug` output
});

describe('WorkerPool when a mediasoup worker dies', () => {
  it('closes the dead worker routers with "worker-died" and brings a new worker up on the same port', async () => {
    const doomed = await pool.createRouter('sitting-doomed');
    const survivor = await pool.createRouter('sitting-survivor');
    expect(doomed.workerPid).not.toBe(survivor.workerPid);
    const reasons: MediaRouterCloseReason[] = [];
    doomed.on('close', (reason) => reasons.push(reason));
    const transport = await doomed.createWebRtcTransport({ participantId: 'host', direction: 'send' });
    const slot = pool.stats().find((s) => s.pid === doomed.workerPid)!;
    const replacedBefore = replaced.length;

    process.kill(doomed.workerPid, 'SIGKILL');

    await vi.waitFor(() => expect(reasons).toEqual(['worker-died']), WAIT);
    expect(transport.closed).toBe(true);
    expect(doomed.transportCount()).toBe(0);
    await vi.waitFor(() => expect(pool.workerCount).toBe(2), WAIT);
    const newPid = pool.stats().find((s) => s.slot === slot.slot)!.pid;
    expect(newPid).not.toBe(slot.pid);
    expect(pool.workerPids()).not.toContain(slot.pid);
    expect(replaced.slice(replacedBefore)).toEqual([
      { slot: slot.slot, rtcPort: slot.rtcPort, oldPid: slot.pid, newPid },
    ]);
    expect(logs.some((l) => l.level === 50 && l.msg === 'mediasoup worker died; replacing it')).toBe(true);
    // mediasoup's own report of the crash reaches pino too.
    expect(logs.some((l) => l.level === 50 && l.msg.includes('worker process died unexpectedly'))).toBe(true);

    // The other sitting never noticed.
    expect(survivor.closed).toBe(false);
    expect(survivor.workerPid).not.toBe(slot.pid);

    // The empty new worker is now the least loaded one, and it listens on the slot's port again.
    const reborn = await pool.createRouter('sitting-reborn');
    expect(reborn.workerPid).toBe(newPid);
    const fresh = await reborn.createWebRtcTransport({ participantId: 'host', direction: 'send' });
    expect(fresh.iceCandidates.map((c) => c.port)).toEqual([slot.rtcPort, slot.rtcPort]);

    survivor.close();
    reborn.close();
  });

  it('keeps retrying, with backoff, while another process holds the dead worker port', async () => {
    const router = await pool.createRouter('sitting-port-thief');
    const slot = pool.stats().find((s) => s.pid === router.workerPid)!;
    const replacedBefore = replaced.length;

    process.kill(slot.pid, 'SIGKILL');
    // Grab the UDP port in the short window between the kernel freeing it and the new worker binding it.
    const thief = await grabUdpPort(slot.rtcPort, 3_000);
    sockets.push(thief);

    await vi.waitFor(
      () =>
        expect(
          logs.filter((l) => l.msg === 'could not restart mediasoup worker; retrying').length,
        ).toBeGreaterThan(1),
      WAIT,
    );
    expect(pool.workerCount).toBe(1);
    expect(replaced.length).toBe(replacedBefore);

    await new Promise<void>((resolve) => thief.close(() => resolve()));
    sockets.length = 0;
    await vi.waitFor(() => expect(pool.workerCount).toBe(2), WAIT);
    expect(replaced.at(-1)).toMatchObject({ slot: slot.slot, rtcPort: slot.rtcPort, oldPid: slot.pid });
    expect(router.closed).toBe(true);
  });
});

/** Binds 127.0.0.1:port as soon as it is free, trying for at most `timeoutMs`. */
async function grabUdpPort(port: number, timeoutMs: number): Promise<dgram.Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const socket = dgram.createSocket('udp4');
    const bound = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) return socket;
    socket.close();
    if (Date.now() > deadline) throw new Error(`port ${port} never became free`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
