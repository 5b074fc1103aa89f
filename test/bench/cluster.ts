/**
 * Two nodes (issue 14): one sitting's audience split over an origin node, which receives the
 * publisher, and an edge node, which receives the publisher's producers over a PipeTransport pair
 * with SRTP, as a Seduta edge does. Each node is a mediasoup worker (its own process, pinned to its
 * own core); the pair is connected by address, port and SRTP key as across two machines, never with
 * the same-process `pipeToRouter`. Viewers on both nodes are SRTP PlainTransports to the sink.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { types } from 'mediasoup';
import { WorkerPool } from '@seduta/media';
import type { MediaRouter } from '@seduta/media';
import { cpuMicros, udpDrops } from './cpu';
import { addViewers, publishInto } from './fanout';
import type { PublishedRouter, RepTiming } from './fanout';
import { coreTimes, round } from './measure';
import { AUDIO, VIDEO } from './publisher';
import type { Sink, SinkSnapshot } from './sink';

/** The two nodes: a one-worker pool each, with their own ports. */
export interface ClusterNodes {
  origin: WorkerPool;
  edge: WorkerPool;
  /** Worker PIDs: origin, edge. */
  pids: [number, number];
  close(): Promise<void>;
}

/** One window of a split audience, origin and edge side by side ([origin, edge] in every pair). */
export interface SplitMeasurement {
  viewersPerNode: [number, number];
  windowS: number;
  /** Packets the publisher sent during the window (video + audio). */
  inputPackets: number;
  /** Media packets the sink received from each node's viewers (primary SSRCs). */
  receivedPerNode: [number, number];
  lossPctPerNode: [number, number];
  /** Worker CPU of each node, % of one core. */
  cpuPctPerNode: [number, number];
  /** Worker CPU per packet sent to that node's viewers, in µs (the origin's includes its pipe). */
  usPerPacketPerNode: [number, number];
  /** Packets the origin's pipe consumers sent, and the edge's pipe producers received. */
  pipeSent: number;
  pipeReceived: number;
  sinkSocketDrops: number;
  coreBusyPct: number[];
}

/** The pipe's own cost, from the origin and edge workers with and without `pipes` pipe pairs. */
export interface PipeCostMeasurement {
  pipes: number;
  windowS: number;
  /** Piped packets per second, all pipes together (sent by the origin). */
  pipedPps: number;
  pipeLossPct: number;
  originCpuPctWithout: number;
  originCpuPctWith: number;
  edgeCpuPctWithout: number;
  edgeCpuPctWith: number;
  /** Origin CPU added by the pipes per packet they sent, in µs. */
  originUsPerPacket: number;
  /** Edge CPU added by the pipes per packet they delivered, in µs. */
  edgeUsPerPacket: number;
  /** Both sides: what one piped packet costs the deployment. */
  totalUsPerPacket: number;
}

/** Starts the two nodes' workers, pinned by `pinWorker` (origin first). */
export async function startNodes(pinWorker: (pid: number, node: 0 | 1) => void): Promise<ClusterNodes> {
  const base = 44000 + randomInt(0, 900) * 2;
  const pool = (i: 0 | 1) =>
    WorkerPool.create({
      numWorkers: 1,
      rtcListenIp: '127.0.0.1',
      spreadConsumers: Infinity,
      rtcPort: base + i,
      // Disjoint ranges: thousands of viewer ports on each node.
      rtcMinPort: i === 0 ? 46000 : 53500,
      rtcMaxPort: i === 0 ? 53499 : 60999,
    });
  const origin = await pool(0);
  const edge = await pool(1).catch(async (error: unknown) => {
    await origin.close();
    throw error;
  });
  const pids: [number, number] = [origin.workerPids()[0]!, edge.workerPids()[0]!];
  pinWorker(pids[0], 0);
  pinWorker(pids[1], 1);
  return {
    origin,
    edge,
    pids,
    async close() {
      await Promise.all([origin.close(), edge.close()]);
    },
  };
}

/** A pipe pair from the origin's router to the edge's, with the publisher's producers piped over it. */
export interface Pipe {
  video: types.Producer;
  audio: types.Producer;
  /** The origin side's consumers and the edge side's producers, for their packet counts. */
  consumers: types.Consumer[];
  producers: types.Producer[];
  close(): void;
}

/**
 * Connects a PipeTransport on `origin` to one on `edge` (SRTP on, each told the other's address,
 * port and key) and pipes `sitting`'s two producers; with `sameIds` the edge's producers keep the
 * origin's ids, as Seduta's edge does (only one pipe per edge router can).
 */
export async function pipeSitting(
  sitting: PublishedRouter,
  edge: types.Router,
  sameIds: boolean,
): Promise<Pipe> {
  const listenInfo: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };
  const out = await sitting.router.router.createPipeTransport({ listenInfo, enableSrtp: true });
  const into = await edge.createPipeTransport({ listenInfo, enableSrtp: true });
  const close = () => {
    out.close();
    into.close();
  };
  try {
    await out.connect({ ip: '127.0.0.1', port: into.tuple.localPort, srtpParameters: into.srtpParameters });
    await into.connect({ ip: '127.0.0.1', port: out.tuple.localPort, srtpParameters: out.srtpParameters });
    const consumers: types.Consumer[] = [];
    const producers: types.Producer[] = [];
    for (const source of [sitting.video, sitting.audio]) {
      const consumer = await out.consume({ producerId: source.id });
      consumers.push(consumer);
      producers.push(
        await into.produce({
          ...(sameIds ? { id: source.id } : {}),
          kind: consumer.kind,
          rtpParameters: consumer.rtpParameters,
          paused: consumer.producerPaused,
        }),
      );
    }
    return { video: producers[0]!, audio: producers[1]!, consumers, producers, close };
  } catch (error) {
    close();
    throw error;
  }
}

/** The SRTP suite mediasoup's PipeTransports use (read from a transport, not assumed). */
export async function pipeSuite(router: types.Router): Promise<string> {
  const t = await router.createPipeTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    enableSrtp: true,
  });
  const suite = t.srtpParameters?.cryptoSuite ?? 'none';
  t.close();
  return suite;
}

/** Packets counted in the stats of `items` (outbound for consumers, inbound for producers). */
async function packetCount(items: (types.Consumer | types.Producer)[]): Promise<number> {
  const stats = await Promise.all(items.map((i) => i.getStats()));
  return stats.flat().reduce((sum, s) => sum + ('packetCount' in s ? Number(s.packetCount) : 0), 0);
}

/** Primary SSRC of each consumer (the sink counts by SSRC; retransmissions are not media). */
const ssrcsOf = (consumers: types.Consumer[]) =>
  new Set(consumers.map((c) => c.rtpParameters.encodings?.[0]?.ssrc).filter((s) => s !== undefined));

const REFERENCE_SSRCS = new Set<number>([VIDEO.referenceSsrc, AUDIO.referenceSsrc]);

function count(a: SinkSnapshot, b: SinkSnapshot, keep: (ssrc: number) => boolean): number {
  let total = 0;
  for (const [key, n] of Object.entries(b.rtp)) if (keep(Number(key))) total += n - (a.rtp[Number(key)] ?? 0);
  return total;
}

/**
 * One repetition of the split audience: a fresh sitting on the origin with `originViewers` viewers,
 * piped once to the edge, which serves `edgeViewers`; measured after warm-up, then torn down.
 */
export async function splitRep(opts: {
  nodes: ClusterNodes;
  sink: Sink;
  clip: string;
  originViewers: number;
  edgeViewers: number;
  timing: RepTiming;
  loadCpu?: number;
}): Promise<SplitMeasurement> {
  const { nodes, sink } = opts;
  const sitting = await publishInto(nodes.origin, 'cluster-origin', opts.clip, sink, opts.loadCpu);
  let edgeRouter: MediaRouter | undefined;
  try {
    edgeRouter = await nodes.edge.createRouter('cluster-origin');
    const pipe = await pipeSitting(sitting, edgeRouter.router, true);
    const onEdge: PublishedRouter = { ...sitting, router: edgeRouter, video: pipe.video, audio: pipe.audio };
    const originSsrcs = ssrcsOf(await addViewers(sitting, sink, 'AEAD_AES_256_GCM', opts.originViewers));
    const edgeSsrcs = ssrcsOf(
      await addViewers(onEdge, sink, 'AEAD_AES_256_GCM', opts.edgeViewers, opts.originViewers),
    );
    await sleep(opts.timing.warmupMs);
    const mark = async () => ({
      at: process.hrtime.bigint(),
      sink: await sink.snapshot(),
      cpu: nodes.pids.map(cpuMicros),
      sent: await packetCount(pipe.consumers),
      received: await packetCount(pipe.producers),
      drops: udpDrops(sink.ports),
      cores: coreTimes(),
    });
    const start = await mark();
    await sleep(opts.timing.windowMs);
    const end = await mark();
    const windowS = Number(end.at - start.at) / 1e9;
    const inputPackets = count(start.sink, end.sink, (s) => REFERENCE_SSRCS.has(s));
    const received: [number, number] = [
      count(start.sink, end.sink, (s) => originSsrcs.has(s)),
      count(start.sink, end.sink, (s) => edgeSsrcs.has(s)),
    ];
    const viewers: [number, number] = [opts.originViewers, opts.edgeViewers];
    const cpuUs = [0, 1].map((i) => end.cpu[i]! - start.cpu[i]!);
    const pair = (f: (i: 0 | 1) => number): [number, number] => [f(0), f(1)];
    return {
      viewersPerNode: viewers,
      windowS: round(windowS, 2),
      inputPackets,
      receivedPerNode: received,
      lossPctPerNode: pair((i) => {
        const expected = inputPackets * viewers[i];
        return expected > 0 ? round((100 * (expected - received[i])) / expected, 3) : 100;
      }),
      cpuPctPerNode: pair((i) => round((100 * cpuUs[i]!) / (windowS * 1e6), 1)),
      usPerPacketPerNode: pair((i) => (received[i] > 0 ? round(cpuUs[i]! / received[i], 2) : NaN)),
      pipeSent: end.sent - start.sent,
      pipeReceived: end.received - start.received,
      sinkSocketDrops: end.drops - start.drops,
      coreBusyPct: busyPct(start.cores, end.cores),
    };
  } finally {
    edgeRouter?.close();
    await sitting.close();
  }
}

/**
 * One repetition of the pipe's cost: the origin with the publisher alone and the edge with an empty
 * router (window "without"), then `pipes` pipe pairs from the one to the other (window "with"). The
 * CPU each worker gains, divided by the packets the pipes carried, is what a piped packet costs it.
 * Many pipes stand in for one: a single pipe's ~170 packets/s cost too little CPU to stand out of a
 * window's noise, and the cost per packet does not depend on how many pipes carry them.
 */
export async function pipeCostRep(opts: {
  nodes: ClusterNodes;
  sink: Sink;
  clip: string;
  pipes: number;
  timing: RepTiming;
  loadCpu?: number;
}): Promise<PipeCostMeasurement> {
  const { nodes } = opts;
  const sitting = await publishInto(nodes.origin, 'cluster-pipes', opts.clip, opts.sink, opts.loadCpu);
  let edgeRouter: MediaRouter | undefined;
  const pipes: Pipe[] = [];
  try {
    edgeRouter = await nodes.edge.createRouter('cluster-pipes');
    const window = async (counted: Pipe[]) => {
      await sleep(opts.timing.warmupMs);
      const consumers = counted.flatMap((p) => p.consumers);
      const producers = counted.flatMap((p) => p.producers);
      const mark = async () => ({
        at: process.hrtime.bigint(),
        cpu: nodes.pids.map(cpuMicros),
        sent: await packetCount(consumers),
        received: await packetCount(producers),
      });
      const a = await mark();
      await sleep(opts.timing.windowMs);
      const b = await mark();
      const s = Number(b.at - a.at) / 1e9;
      return {
        s,
        cpuUsPerS: [0, 1].map((i) => (b.cpu[i]! - a.cpu[i]!) / s),
        sentPps: (b.sent - a.sent) / s,
        receivedPps: (b.received - a.received) / s,
      };
    };
    const without = await window([]);
    for (let i = 0; i < opts.pipes; i++) pipes.push(await pipeSitting(sitting, edgeRouter.router, false));
    const withPipes = await window(pipes);
    const extra = [0, 1].map((i) => withPipes.cpuUsPerS[i]! - without.cpuUsPerS[i]!);
    const originUs = withPipes.sentPps > 0 ? extra[0]! / withPipes.sentPps : NaN;
    const edgeUs = withPipes.receivedPps > 0 ? extra[1]! / withPipes.receivedPps : NaN;
    return {
      pipes: opts.pipes,
      windowS: round(withPipes.s, 2),
      pipedPps: Math.round(withPipes.sentPps),
      pipeLossPct:
        withPipes.sentPps > 0
          ? round((100 * (withPipes.sentPps - withPipes.receivedPps)) / withPipes.sentPps, 3)
          : 100,
      originCpuPctWithout: round(without.cpuUsPerS[0]! / 1e4, 1),
      originCpuPctWith: round(withPipes.cpuUsPerS[0]! / 1e4, 1),
      edgeCpuPctWithout: round(without.cpuUsPerS[1]! / 1e4, 1),
      edgeCpuPctWith: round(withPipes.cpuUsPerS[1]! / 1e4, 1),
      originUsPerPacket: round(originUs, 2),
      edgeUsPerPacket: round(edgeUs, 2),
      totalUsPerPacket: round(originUs + edgeUs, 2),
    };
  } finally {
    for (const p of pipes) p.close();
    edgeRouter?.close();
    await sitting.close();
  }
}

function busyPct(start: { busy: number; total: number }[], end: { busy: number; total: number }[]): number[] {
  return end.map((c, i) => {
    const s = start[i] ?? { busy: 0, total: 0 };
    return c.total > s.total ? round((100 * (c.busy - s.busy)) / (c.total - s.total), 1) : 0;
  });
}
