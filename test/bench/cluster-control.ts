/**
 * Two real server nodes (issue 14): one private Redis, one PostgreSQL database, each node a server
 * process of its own (startTestServer with REDIS_URL and DATABASE_URL, as main.ts runs it). The
 * host publishes on the origin; raw signalling clients join the sitting through the two nodes in
 * turn (a round-robin balancer), each doing join → media.capabilities → transport.create →
 * consume → consumer.resume. Reports the viewers each node serves and the server CPU per join on
 * each node (an edge's join also costs the origin, which answers its forwarded requests).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMicros } from './cpu';
import { median, round } from './measure';

/** One node's share of the join storm. */
export interface NodeJoins {
  role: 'origin' | 'edge';
  /** Clients that joined through this node and consumed the host's camera. */
  viewers: number;
  failed: number;
  /** The node process's CPU during the storm, in ms (its mediasoup worker not included). */
  cpuMs: number;
  /** That CPU per join made through this node, in ms. */
  cpuMsPerJoin: number;
  joinLatencyP50Ms: number;
  joinLatencyP95Ms: number;
}

/** The join storm over two nodes. */
export interface ClusterJoinStorm {
  joins: number;
  periodS: number;
  nodes: [NodeJoins, NodeJoins];
  /** Both nodes' CPU per join, in ms: what a join costs the deployment. */
  deploymentCpuMsPerJoin: number;
}

type ChildMessage =
  | { type: 'ready'; url: string; sittingId?: string; producerId?: string }
  | { type: 'error'; message: string };

interface NodeChild {
  url: string;
  pid: number;
  sittingId?: string;
  producerId?: string;
  close(): Promise<void>;
}

/** Starts one node in a child process; the origin also opens a live sitting with a publishing host. */
async function startNode(role: 'origin' | 'edge', env: Record<string, string>): Promise<NodeChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--cluster-node-child', role],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } },
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
      const timer = setTimeout(() => reject(new Error(`${role} node did not start within 60 s`)), 60_000);
      child.once('exit', (code) => reject(new Error(`${role} node exited with ${code}`)));
      child.on('message', (msg: ChildMessage) => {
        clearTimeout(timer);
        if (msg.type === 'ready') resolve(msg);
        else reject(new Error(msg.message));
      });
    });
    return { ...ready, pid: child.pid!, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Runs `joins` joins spread evenly over `periodMs`, alternating between the two nodes. Needs
 * PostgreSQL (the nodes share one database) and Debian's redis-server.
 */
export async function clusterJoinStorm(joins: number, periodMs: number): Promise<ClusterJoinStorm> {
  const { postgresAdminUrl, createPostgresDatabase } = await import('../support/databases');
  const { startRedis } = await import('../support/redis');
  const { connectRaw } = await import('../support/raw-client');
  const { operatorPassCookie } = await import('../support/server');
  const admin = postgresAdminUrl();
  if (admin === undefined) throw new Error('two server nodes need PostgreSQL on 127.0.0.1:5432');
  const redis = await startRedis();
  const stops: (() => Promise<unknown>)[] = [() => redis.stop()];
  const clients: { close(): void }[] = [];
  try {
    const database = await createPostgresDatabase(admin);
    stops.push(() => database.drop());
    const env = { REDIS_URL: redis.url, DATABASE_URL: database.url };
    // The origin first: it migrates the database the edge then finds ready.
    const origin = await startNode('origin', env);
    stops.push(() => origin.close());
    const edge = await startNode('edge', env);
    stops.push(() => edge.close());
    const nodes = [origin, edge] as const;
    const latencies: [number[], number[]] = [[], []];
    const failed = [0, 0];
    const one = async (i: number) => {
      const n = i % 2;
      const started = performance.now();
      try {
        const cookie = await operatorPassCookie(origin.sittingId!, `Operatore ${i + 1}`);
        const op = await connectRaw(nodes[n]!.url, { sittingId: origin.sittingId!, cookie });
        clients.push(op);
        const joined = await op.request({ type: 'join' });
        await op.request({ type: 'media.capabilities', rtpCapabilities: joined.routerRtpCapabilities });
        const recv = await op.request({ type: 'transport.create', direction: 'recv' });
        const consumer = await op.request({
          type: 'consume',
          transportId: recv.transportId,
          producerId: origin.producerId!,
        });
        await op.request({ type: 'consumer.resume', consumerId: consumer.consumerId });
        latencies[n]!.push(performance.now() - started);
      } catch {
        failed[n]! += 1;
      }
    };
    const cpuBefore = nodes.map((node) => cpuMicros(node.pid));
    const t0 = performance.now();
    const running: Promise<void>[] = [];
    for (let i = 0; i < joins; i++) {
      const wait = t0 + (i * periodMs) / joins - performance.now();
      if (wait > 0) await sleep(wait);
      running.push(one(i));
    }
    await Promise.all(running);
    const periodS = (performance.now() - t0) / 1000;
    const cpuMs = nodes.map((node, i) => (cpuMicros(node.pid) - cpuBefore[i]!) / 1000);
    const share = (n: 0 | 1): NodeJoins => {
      const ok = latencies[n].sort((a, b) => a - b);
      return {
        role: n === 0 ? 'origin' : 'edge',
        viewers: ok.length,
        failed: failed[n]!,
        cpuMs: round(cpuMs[n]!, 1),
        cpuMsPerJoin: ok.length > 0 ? round(cpuMs[n]! / ok.length, 2) : NaN,
        joinLatencyP50Ms: round(median(ok), 1),
        joinLatencyP95Ms: round(ok[Math.min(ok.length - 1, Math.floor(ok.length * 0.95))] ?? NaN, 1),
      };
    };
    const total = latencies[0].length + latencies[1].length;
    return {
      joins: total,
      periodS: round(periodS, 2),
      nodes: [share(0), share(1)],
      deploymentCpuMsPerJoin: total > 0 ? round((cpuMs[0]! + cpuMs[1]!) / total, 2) : NaN,
    };
  } finally {
    for (const c of clients) c.close();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/** Child side: a node of the deployment; the origin opens the sitting and its host publishes a camera. */
async function runNodeChild(role: 'origin' | 'edge'): Promise<void> {
  const { startTestServer } = await import('../support/server');
  const { connectRaw } = await import('../support/raw-client');
  const { hostStartsOnCamera } = await import('../support/fake-media');
  const rtcPort = 45000 + randomInt(0, 900);
  const srv = await startTestServer({
    env: {
      REDIS_URL: process.env.REDIS_URL!,
      DATABASE_URL: process.env.DATABASE_URL!,
      MEDIA_RTC_PORT: String(rtcPort),
      MEDIA_RTC_MIN_PORT: role === 'origin' ? '46000' : '47000',
      MEDIA_RTC_MAX_PORT: role === 'origin' ? '46999' : '47999',
      LOG_LEVEL: 'silent',
    },
  });
  const shutdown = () => void srv.close().finally(() => process.exit(0));
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);
  if (role === 'edge') {
    process.send!({ type: 'ready', url: srv.url } satisfies ChildMessage);
    return;
  }
  const sitting = await srv.createSitting({ title: 'Benchmark, due nodi' });
  const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
  const { producerId } = await hostStartsOnCamera(host);
  process.send!({ type: 'ready', url: srv.url, sittingId: sitting.id, producerId } satisfies ChildMessage);
}

if (process.argv[2] === '--cluster-node-child') {
  const role = process.argv[3] === 'edge' ? 'edge' : 'origin';
  runNodeChild(role).catch((error: unknown) => {
    process.send?.({
      type: 'error',
      message: String((error as Error)?.stack ?? error),
    } satisfies ChildMessage);
    process.exit(1);
  });
}
