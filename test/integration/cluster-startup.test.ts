/**
 * Multi-node mode at the start of the real server process (`tsx server/src/main.ts`, as
 * `npm start` runs it): a REDIS_URL nobody answers stops it within 10 s with one line naming the
 * URL; a reachable one makes it a node with a random id, logged when it listens.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { findFreeRtcPort } from '../e2e/harness/ports';
import { freePort, startRedis, type TestRedis } from '../support/redis';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_CLI = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
const PLAIN_PORTS = { min: 46000, max: 46999 };

interface Spawned {
  pid: number;
  stderr(): string;
  logs: Array<{ msg: string; [key: string]: unknown }>;
  exit: Promise<number | null>;
  exited(): boolean;
}

const started: Spawned[] = [];
const dirs: string[] = [];
let redis: TestRedis | undefined;

afterAll(async () => {
  for (const server of started) {
    if (!server.exited()) {
      process.kill(-server.pid, 'SIGKILL');
      await server.exit;
    }
  }
  await redis?.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function startServer(env: Record<string, string>): Promise<Spawned> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-cluster-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [TSX_CLI, 'server/src/main.ts'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      DATA_DIR: dataDir,
      MEDIA_WORKERS: '1',
      MEDIA_LISTEN_IP: '127.0.0.1',
      MEDIA_RTC_PORT: String(await findFreeRtcPort('127.0.0.1', PLAIN_PORTS)),
      MEDIA_RTC_MIN_PORT: String(PLAIN_PORTS.min),
      MEDIA_RTC_MAX_PORT: String(PLAIN_PORTS.max),
      ...env,
    },
  });
  let stderr = '';
  let partial = '';
  const logs: Spawned['logs'] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) logs.push(JSON.parse(line) as Spawned['logs'][number]);
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: Spawned = {
    pid: child.pid!,
    stderr: () => stderr,
    logs,
    exit,
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
  started.push(server);
  return server;
}

describe('the server process in multi-node mode', () => {
  it('stops within 10 s, with one line naming REDIS_URL and the cause, when Redis does not answer', async () => {
    const port = await freePort();
    const server = await startServer({ REDIS_URL: `redis://:s3cret@127.0.0.1:${port}` });
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      server.exit,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('still running after 10 s')), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(code).not.toBe(0);
    expect(server.stderr().replace(/\n$/, '').split('\n')).toEqual([
      `seduta: startup failed: redis: Redis at redis://:***@127.0.0.1:${port} is unreachable: ` +
        `connect ECONNREFUSED 127.0.0.1:${port} (REDIS_URL)`,
    ]);
  }, 60_000);

  it('joins the deployment as a node with a random id, logged, and leaves it on SIGTERM', async () => {
    redis = await startRedis();
    const server = await startServer({ REDIS_URL: redis.url });
    const listening = await vi.waitFor(
      () => {
        const line = server.logs.find((l) => l.msg === 'seduta is listening');
        if (!line) throw new Error(`not listening yet; stderr: ${server.stderr()}`);
        return line;
      },
      { timeout: 90_000, interval: 200 },
    );
    expect(listening.nodeId).toMatch(/^[0-9a-f]{12}$/);
    expect(server.logs.find((l) => l.msg === 'joined the deployment as a node')).toMatchObject({
      nodeId: listening.nodeId,
      mediaIp: '127.0.0.1',
    });
    const { connectRedis } = await import('../../server/src/cluster/redis');
    const { pino } = await import('pino');
    const link = await connectRedis(redis.url, { logger: pino({ level: 'silent' }) });
    try {
      expect(await link.command.exists(`seduta:node:${String(listening.nodeId)}`)).toBe(1);
      process.kill(server.pid, 'SIGTERM');
      expect(await server.exit).toBe(0);
      expect(await link.command.exists(`seduta:node:${String(listening.nodeId)}`)).toBe(0);
    } finally {
      await link.close();
    }
  }, 150_000);
});
