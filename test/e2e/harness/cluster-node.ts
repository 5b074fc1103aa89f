/**
 * Multi-node end-to-end pieces: a Seduta node as a process of its own (`tsx server/src/main.ts`,
 * so that `kill -9` kills it as a machine's death would: its process group, mediasoup workers
 * included), a TCP balancer in front of nodes that sends each new connection to the first
 * node that accepts it (a dead node refuses, so its clients land on the next one), and the
 * two-node deployment the browser tests start from (node A in this process, node B a process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RTC_MAX_PORT, DEFAULT_RTC_MIN_PORT } from '@seduta/media';
import { startRedis, type TestRedis } from '../../support/redis';
import { startE2eApp, type E2eApp } from './app';
import { findFreeRtcPort, freeTcpPort } from './ports';
import { startTestPostgres, type TestPostgres } from './postgres';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const TSX_CLI = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const START_TIMEOUT_MS = 60_000;

/** A node running as its own process. */
export interface NodeProcess {
  url: string;
  port: number;
  /** Its node id in the deployment (from its log). */
  nodeId: string;
  /** SIGKILL to its whole process group, at once; resolves when it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (a graceful stop); resolves when it exited. */
  stop(): Promise<void>;
  /** Its stderr and the last log lines, for a failure's message. */
  output(): string;
}

/** The same on every node of a test deployment: an operator's pass signed by one is valid on the others. */
export const CLUSTER_SECRETS = {
  API_KEY: 'e2e-api-key-0123456789abcdef',
  JOIN_TOKEN_SECRET: 'e2e-join-token-secret-0123456789abcdef',
} as const;

/** Options of {@link startNodeProcess}. */
export interface NodeProcessOptions {
  /** Where its media listens; default SEDUTA_E2E_MEDIA_IP, else 127.0.0.1. */
  mediaIp?: string;
  /**
   * Which of the test's node processes this is (0, 1…; default 0): each has a WebRTC port range of
   * its own, from 30000 + 1000 × slot, as they all listen on the same media address.
   */
  slot?: number;
}

/**
 * Starts `server/src/main.ts` on 127.0.0.1 with `env` (DATABASE_URL, REDIS_URL, JOIN_TOKEN_SECRET,
 * API_KEY, PUBLIC_ORIGINS…), its media on the options' `mediaIp` with WebRTC and pipe ports of
 * its own.
 */
export async function startNodeProcess(
  env: Record<string, string>,
  options: NodeProcessOptions = {},
): Promise<NodeProcess> {
  const mediaIp = options.mediaIp ?? process.env.SEDUTA_E2E_MEDIA_IP ?? '127.0.0.1';
  const rtcMin = 30_000 + 1_000 * (options.slot ?? 0);
  const port = await findFreeRtcPort('127.0.0.1');
  const rtcPort = await findFreeRtcPort(mediaIp, { min: DEFAULT_RTC_MIN_PORT, max: DEFAULT_RTC_MAX_PORT });
  const child = spawn(process.execPath, [TSX_CLI, 'server/src/main.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      MEDIA_WORKERS: '1',
      MEDIA_LISTEN_IP: mediaIp,
      MEDIA_RTC_PORT: String(rtcPort),
      // Not the in-process node's range, nor another slot's (all listen on the same address).
      MEDIA_RTC_MIN_PORT: String(rtcMin),
      MEDIA_RTC_MAX_PORT: String(rtcMin + 999),
      ...env,
    },
  });
  let out = '';
  let nodeId: string | undefined;
  let listening = false;
  const keep = (chunk: string) => (out = (out + chunk).slice(-20_000));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    keep(chunk);
    for (const line of chunk.split('\n')) {
      if (line.includes('"joined the deployment as a node"'))
        nodeId = /"nodeId":"([0-9a-f]+)"/.exec(line)?.[1];
      if (line.includes('"seduta is listening"')) listening = true;
    }
  });
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!listening) {
    if (gone() || Date.now() > deadline) {
      kill(child);
      await exited;
      throw new Error(`node process did not start:\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    nodeId: nodeId ?? '',
    async kill9() {
      kill(child);
      await exited;
    },
    async stop() {
      if (!gone()) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
    output: () => out,
  };
}

function kill(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** A balancer on 127.0.0.1: each new connection goes to the first of `ports` that accepts it. */
export interface Balancer {
  port: number;
  url: string;
  /** Which node port each connection went to, in order. */
  readonly routed: readonly number[];
  /** The node port of each connection open now (a page's signalling socket is one of them). */
  open(): number[];
  close(): Promise<void>;
}

/**
 * Starts a {@link Balancer} over the nodes' HTTP ports, in order of preference (asked at each
 * connection, so nodes started after the balancer can be named).
 */
export async function startBalancer(nodes: () => readonly number[]): Promise<Balancer> {
  const sockets = new Set<net.Socket>();
  const routed: number[] = [];
  const upstreams = new Map<net.Socket, number>();
  const connectFirst = (index: number, client: net.Socket, ports = nodes()) => {
    const port = ports[index];
    if (port === undefined) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port });
    upstream.once('error', () => {
      // Refused (a dead node): the next one. An error after the connection is the connection's end.
      if (!connected) connectFirst(index + 1, client, ports);
      else client.destroy();
    });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      routed.push(port);
      sockets.add(upstream);
      upstreams.set(upstream, port);
      upstream.on('close', () => {
        sockets.delete(upstream);
        upstreams.delete(upstream);
        client.destroy();
      });
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.pause();
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    connectFirst(0, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    routed,
    open: () => [...upstreams.values()],
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Options of {@link startTwoNodeE2e}. */
export interface TwoNodeE2eOptions {
  /** `toB` sends a connection to node A once node B refuses it (what an operator's balancer does). */
  bFallsBackToA?: boolean;
}

/** One deployment of two nodes sharing a Redis and a PostgreSQL, the test's own. */
export interface TwoNodeE2e {
  redis: TestRedis;
  postgres: TestPostgres;
  /** Node A, in this process (its sittings and recorder at hand). */
  nodeA: E2eApp;
  /** Node B, a process of its own (see {@link startNodeProcess}). */
  nodeB: NodeProcess;
  /** A balancer to node A. */
  toA: Balancer;
  /** A balancer to node B (then to A, with {@link TwoNodeE2eOptions.bFallsBackToA}). */
  toB: Balancer;
  /** Stops all of it, the last started first; a second call does nothing. */
  close(): Promise<void>;
}

/**
 * Starts a {@link TwoNodeE2e}: Redis, PostgreSQL, the two balancers (both pages' origins), node A
 * in this process, then node B with a data directory of its own. What started is stopped again
 * when a later step fails.
 */
export async function startTwoNodeE2e(options: TwoNodeE2eOptions = {}): Promise<TwoNodeE2e> {
  const stops: (() => Promise<unknown>)[] = [];
  const close = async () => {
    const failures: unknown[] = [];
    for (const stop of stops.splice(0).reverse())
      await stop().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  };
  try {
    const redis = await startRedis();
    stops.push(() => redis.stop());
    const postgres = await startTestPostgres(await freeTcpPort('127.0.0.1'));
    stops.push(() => postgres.stop());
    // The balancers come first (their addresses are the nodes' public origins), so they ask for
    // the ports at each connection.
    const ports: { a?: number; b?: number } = {};
    const toA = await startBalancer(() => [ports.a!]);
    stops.push(() => toA.close());
    const toB = await startBalancer(() => (options.bFallsBackToA ? [ports.b!, ports.a!] : [ports.b!]));
    stops.push(() => toB.close());
    const env = {
      ...CLUSTER_SECRETS,
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      PUBLIC_ORIGINS: `${toA.url},${toB.url}`,
      LOG_LEVEL: 'warn',
    };
    const nodeA = await startE2eApp({ env });
    stops.push(() => nodeA.close());
    ports.a = nodeA.port;
    const dataDirB = await fs.mkdtemp(path.join(os.tmpdir(), 'seduta-e2e-node-b-'));
    stops.push(() => fs.rm(dataDirB, { recursive: true, force: true }));
    // At info level: its node id is read from its log.
    const nodeB = await startNodeProcess({ ...env, DATA_DIR: dataDirB, LOG_LEVEL: 'info' });
    stops.push(() => nodeB.stop());
    ports.b = nodeB.port;
    return { redis, postgres, nodeA, nodeB, toA, toB, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
