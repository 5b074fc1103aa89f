/**
 * Control plane. (a) Signalling joins through the real server (buildApp, socket.io, the sitting
 * domain) running in a child process, so its CPU is its own: N operators join within a few seconds,
 * each doing join → media.capabilities → transport.create → consume → consumer.resume.
 * (b) Keyframe requests reaching the publisher during a join storm, measured on the media layer
 * with real media (raw signalling clients cannot complete DTLS, so their consumers never become
 * active and never ask for keyframes): the producer's own count of PLI/FIR sent to the publisher.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { types } from 'mediasoup';
import type { WorkerPool } from '@seduta/media';
import { EVENTS, type Notification } from '@seduta/server/protocol';
import type { RawClient } from '../support/raw-client';
import { FAKE_DTLS, hostStartsOnCamera } from '../support/fake-media';
import { cpuMicros, cpuMsPerSecondOver } from './cpu';
import { addViewers, publishInto } from './fanout';
import { median, round } from './measure';
import type { Sink } from './sink';

/**
 * How the storm's clients join: `fast` as the web client does since issue 15 (the capabilities from
 * the connection's first state, then join with `receive`: transport and consumers in the answer),
 * `classic` one request at a time (join → media.capabilities → transport.create → consume →
 * consumer.resume).
 */
export type JoinPath = 'fast' | 'classic';

/**
 * What a page has before the click: the router's capabilities from the state its connection is
 * told first (ADR 0040), or, where that state has none, from `media.prepare`.
 */
async function capabilitiesBeforeTheClick(op: RawClient): Promise<types.RtpCapabilities> {
  type State = Extract<Notification, { type: 'sitting.state' }>;
  const isState = (n: { type: string }): n is State => n.type === 'sitting.state';
  // The state follows the connection at once; after 10 s without it, media.prepare answers. Not
  // RawClient.waitForNote: it polls (vi.waitFor), which would add its interval to the join latency.
  const state =
    op.notes.find(isState) ??
    (await new Promise<State | undefined>((resolve) => {
      const done = (n: State | undefined) => {
        clearTimeout(timer);
        op.socket.off(EVENTS.notification, seen);
        resolve(n);
      };
      const seen = (n: Notification) => {
        if (isState(n)) done(n);
      };
      const timer = setTimeout(() => done(undefined), 10_000);
      op.socket.on(EVENTS.notification, seen);
    }));
  return state?.routerRtpCapabilities ?? (await op.request({ type: 'media.prepare' })).routerRtpCapabilities;
}

/** Result of the signalling join storm. */
export interface JoinStorm {
  path: JoinPath;
  joins: number;
  failed: number;
  periodS: number;
  /** Server process CPU per successful join, in ms (everything the storm cost, keep-alives included). */
  serverCpuMsPerJoin: number;
  /**
   * Server CPU, in ms per second, that one connected client costs while nothing happens (socket.io's
   * pings every 2 s): right after the storm, every client still connected and idle, less the idle
   * server's own rate, per client.
   */
  keepAliveCpuMsPerClientS: number;
  /** Client-seconds connected during the storm (each client from its join's start to the storm's end). */
  connectedClientS: number;
  /** Server CPU in ms per second before the storm (one live sitting, its host connected). */
  idleServerCpuMsPerS: number;
  /**
   * `serverCpuMsPerJoin` less the idle server's upkeep over the storm and the keep-alives of the
   * clients connected during it (`keepAliveCpuMsPerClientS` × `connectedClientS`): what a join
   * itself costs.
   */
  serverCpuMsPerJoinLessKeepAlive: number;
  joinLatencyP50Ms: number;
  joinLatencyP95Ms: number;
}

/**
 * The worker timestamps trace events in whole milliseconds and its timers fire up to a millisecond
 * early, so two requests one keyFrameRequestDelay apart can read 999 ms apart; a 1-second window
 * shortened by this much counts them as one per second, as they are.
 */
export const CLOCK_TOLERANCE_MS = 2;

/** Result of the keyframe-request storm for one producer setting. */
export interface KeyframeStorm {
  keyFrameRequestDelayMs: number;
  viewers: number;
  periodS: number;
  /** PLI + FIR the producer sent to the publisher, per second of the storm. */
  perSecond: number[];
  /** Most requests sent within any 1-second window (worker clock, less {@link CLOCK_TOLERANCE_MS}). */
  max: number;
  /** Requests sent over the whole storm, per second. */
  meanPerSecond: number;
  /** Shortest time between two requests, in ms (worker clock). */
  minIntervalMs: number | null;
}

type ChildMessage =
  { type: 'ready'; url: string; sittingId: string; producerId: string } | { type: 'error'; message: string };

/** The real server in a child process, with one live sitting whose host publishes a VP8 track. */
export interface ServerChild {
  url: string;
  sittingId: string;
  producerId: string;
  /** The server process (its CPU is the server's own). */
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts the real server in a child process (see {@link runServerChild}) and waits until it is
 * ready. With SEDUTA_BENCH_CPU_PROF=<dir>, the child runs under `--cpu-prof` and writes its
 * profile into that directory when it exits (read it with `npx tsx test/bench/profile-cpu.ts`).
 */
export async function startServerChild(): Promise<ServerChild> {
  const profDir = process.env.SEDUTA_BENCH_CPU_PROF;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--server-child',
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server child did not start within 60 s')), 60_000);
      child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
      child.on('message', (msg: ChildMessage) => {
        clearTimeout(timer);
        if (msg.type === 'ready') resolve(msg);
        else reject(new Error(msg.message));
      });
    });
    return {
      url: ready.url,
      sittingId: ready.sittingId,
      producerId: ready.producerId,
      pid: child.pid!,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Runs `joins` signalling joins spread evenly over `periodMs` against a server in a child process
 * (`server`, left running, or one started and stopped here), then leaves the clients connected and
 * idle for `keepAliveSampleMs` (three ping periods by default) to measure what keeping them costs
 * (and, before the storm, the idle server alone for as long).
 */
export async function joinStorm(
  joins: number,
  periodMs: number,
  server?: ServerChild,
  path: JoinPath = 'fast',
  keepAliveSampleMs = 6000,
): Promise<JoinStorm> {
  const { connectRaw } = await import('../support/raw-client');
  const { operatorPassCookie } = await import('../support/server');
  const ready = server ?? (await startServerChild());
  const clients: { close(): void }[] = [];
  try {
    const latencies: number[] = [];
    const startedAt: number[] = [];
    let failed = 0;
    const one = async (i: number) => {
      const started = performance.now();
      try {
        const cookie = await operatorPassCookie(ready.sittingId, `Operatore ${i + 1}`);
        const op = await connectRaw(ready.url, { sittingId: ready.sittingId, cookie });
        clients.push(op);
        if (path === 'fast') {
          const routerRtpCapabilities = await capabilitiesBeforeTheClick(op);
          const joined = await op.request({
            type: 'join',
            receive: { rtpCapabilities: routerRtpCapabilities, dtlsParameters: FAKE_DTLS },
          });
          if (!joined.receive?.consumers.some((c) => c.producerId === ready.producerId))
            throw new Error('the join answer has no consumer of the host camera');
        } else {
          const joined = await op.request({ type: 'join' });
          await op.request({ type: 'media.capabilities', rtpCapabilities: joined.routerRtpCapabilities });
          const recv = await op.request({ type: 'transport.create', direction: 'recv' });
          const consumer = await op.request({
            type: 'consume',
            transportId: recv.transportId,
            producerId: ready.producerId,
          });
          await op.request({ type: 'consumer.resume', consumerId: consumer.consumerId });
        }
        latencies.push(performance.now() - started);
        startedAt.push(started);
      } catch {
        failed += 1;
      }
    };
    // The server idle before anyone joins (one live sitting, its host connected): its own upkeep.
    const baseline = await cpuMsPerSecondOver(ready.pid, keepAliveSampleMs);
    const cpuBefore = cpuMicros(ready.pid);
    const t0 = performance.now();
    const running: Promise<void>[] = [];
    for (let i = 0; i < joins; i++) {
      const due = t0 + (i * periodMs) / joins;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      running.push(one(i));
    }
    await Promise.all(running);
    const tEnd = performance.now();
    const periodS = (tEnd - t0) / 1000;
    const cpuMs = (cpuMicros(ready.pid) - cpuBefore) / 1000;
    const ok = latencies.length;
    // The same clients, connected and idle: what keeping them costs the server per second.
    const idleRate = await cpuMsPerSecondOver(ready.pid, keepAliveSampleMs);
    const keepAlive = ok > 0 ? Math.max(0, idleRate - baseline) / ok : NaN;
    const connectedClientS = startedAt.reduce((sum, t) => sum + (tEnd - t) / 1000, 0);
    latencies.sort((a, b) => a - b);
    return {
      path,
      joins: ok,
      failed,
      periodS: round(periodS, 2),
      serverCpuMsPerJoin: ok > 0 ? round(cpuMs / ok, 2) : NaN,
      keepAliveCpuMsPerClientS: round(keepAlive, 3),
      connectedClientS: round(connectedClientS, 0),
      idleServerCpuMsPerS: round(baseline, 1),
      serverCpuMsPerJoinLessKeepAlive:
        ok > 0 ? round((cpuMs - baseline * periodS - keepAlive * connectedClientS) / ok, 2) : NaN,
      joinLatencyP50Ms: round(median(latencies), 1),
      joinLatencyP95Ms: round(latencies[Math.min(ok - 1, Math.floor(ok * 0.95))] ?? NaN, 1),
    };
  } finally {
    for (const c of clients) c.close();
    if (!server) await ready.close();
  }
}

/**
 * `viewers` viewers join a sitting with live media over `periodMs` (in batches every 500 ms), each
 * consumer created paused and resumed, as the signalling flow does. Every PLI/FIR the video producer
 * sends to the publisher is timestamped through the producer's trace events.
 */
export async function keyframeStorm(opts: {
  pool: WorkerPool;
  sink: Sink;
  clip: string;
  viewers: number;
  periodMs: number;
  keyFrameRequestDelayMs: number;
  loadCpu?: number;
}): Promise<KeyframeStorm> {
  const sitting = await publishInto(
    opts.pool,
    `keyframes-${opts.keyFrameRequestDelayMs}`,
    opts.clip,
    opts.sink,
    opts.loadCpu,
    { keyFrameRequestDelay: opts.keyFrameRequestDelayMs },
  );
  try {
    await sleep(2500); // media flowing and the publisher's RTCP address learnt
    // Worker timestamps (ms) of each request sent, and the Node time of the first, to align the two clocks.
    const sent: number[] = [];
    let offset: number | undefined;
    await sitting.video.enableTraceEvent(['pli', 'fir']);
    sitting.video.on('trace', (trace: types.ProducerTraceEventData) => {
      if (trace.direction !== 'out') return;
      offset ??= performance.now() - trace.timestamp;
      sent.push(trace.timestamp);
    });
    const batches = Math.max(1, Math.round(opts.periodMs / 500));
    const perBatch = Math.ceil(opts.viewers / batches);
    const t0 = performance.now();
    let joined = 0;
    for (let b = 0; b < batches; b++) {
      const count = Math.min(perBatch, opts.viewers - joined);
      if (count <= 0) break;
      const consumers = await addViewers(sitting, opts.sink, 'AEAD_AES_256_GCM', count, joined, {
        paused: true,
      });
      await Promise.all(consumers.map((c) => c.resume()));
      joined += count;
      await sleep(Math.max(0, t0 + (b + 1) * 500 - performance.now()));
    }
    await sleep(2000); // requests the delay postponed
    const periodS = (performance.now() - t0) / 1000;
    const perSecond = Array.from({ length: Math.ceil(periodS) }, () => 0);
    for (const t of sent) {
      const i = Math.floor((t + (offset ?? 0) - t0) / 1000);
      if (i >= 0 && i < perSecond.length) perSecond[i]! += 1;
    }
    return {
      keyFrameRequestDelayMs: opts.keyFrameRequestDelayMs,
      viewers: joined,
      periodS: round(periodS, 2),
      perSecond,
      max: maxInWindow(sent, 1000 - CLOCK_TOLERANCE_MS),
      meanPerSecond: round(sent.length / periodS, 2),
      minIntervalMs: sent.length > 1 ? Math.min(...sent.slice(1).map((t, i) => t - sent[i]!)) : null,
    };
  } finally {
    await sitting.close();
  }
}

/** Largest number of timestamps (ms) inside any half-open window [t, t + windowMs). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Child side: a real server with one live sitting whose host publishes a (silent) VP8 track. */
async function runServerChild(): Promise<void> {
  const { startTestServer } = await import('../support/server');
  const { connectRaw } = await import('../support/raw-client');
  const rtcPort = 45000 + randomInt(0, 900);
  const srv = await startTestServer({
    env: {
      API_KEY: 'bench-api-key-0123456789abcdef',
      MEDIA_RTC_PORT: String(rtcPort),
      MEDIA_RTC_MIN_PORT: '46000',
      MEDIA_RTC_MAX_PORT: '46999',
      LOG_LEVEL: 'silent',
    },
  });
  const shutdown = () => void srv.close().finally(() => process.exit(0));
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);
  const sitting = await srv.createSitting({ title: 'Benchmark' });
  const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
  const { producerId } = await hostStartsOnCamera(host);
  process.send!({ type: 'ready', url: srv.url, sittingId: sitting.id, producerId } satisfies ChildMessage);
}

if (process.argv[2] === '--server-child') {
  runServerChild().catch((error: unknown) => {
    process.send?.({
      type: 'error',
      message: String((error as Error)?.stack ?? error),
    } satisfies ChildMessage);
    process.exit(1);
  });
}
