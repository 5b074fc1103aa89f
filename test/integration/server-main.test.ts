/**
 * The server as a process: `tsx server/src/main.ts` with only environment variables, as `npm start`
 * runs it. tsx's CLI is spawned directly: `npx` puts a shell in between that does not pass SIGTERM on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { findFreeRtcPort } from '../e2e/harness/ports';
import { testDatabases, type ProcessDatabase } from '../support/databases';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_CLI = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
const PLAIN_PORTS = { min: 46000, max: 46999 };
/** Generous: under a loaded CI machine tsx, PGlite and mediasoup take a while to start. */
const STARTUP_MS = 90_000;
const TEST_MS = 150_000;

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

/** A spawned server: its parsed JSON log, its stderr, and its exit. */
interface ServerProcess {
  child: ChildProcess;
  logs: LogLine[];
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(msg: string): Promise<LogLine>;
}

const started: ServerProcess[] = [];

/** Starts main.ts in its own process group with exactly `env` (plus PATH and HOME). */
async function startServer(env: Record<string, string | undefined>): Promise<ServerProcess> {
  const rtcPort = await findFreeRtcPort('127.0.0.1', PLAIN_PORTS);
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
      MEDIA_WORKERS: '1',
      MEDIA_LISTEN_IP: '127.0.0.1',
      MEDIA_RTC_PORT: String(rtcPort),
      MEDIA_RTC_MIN_PORT: String(PLAIN_PORTS.min),
      MEDIA_RTC_MAX_PORT: String(PLAIN_PORTS.max),
      SHUTDOWN_GRACE_MS: '10000',
      ...env,
    },
  });
  const logs: LogLine[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const server: ServerProcess = {
    child,
    logs,
    stderr: () => stderr,
    exit,
    async waitForLog(msg) {
      return vi.waitFor(
        () => {
          const line = logs.find((l) => l.msg === msg);
          if (!line) throw new Error(`no "${msg}" log yet; stderr: ${stderr}`);
          return line;
        },
        { timeout: STARTUP_MS, interval: 100 },
      );
    },
  };
  started.push(server);
  return server;
}

/** Resolves with the exit and how long it took, or fails after limitMs. */
async function exitWithin(server: ServerProcess, limitMs: number) {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${limitMs} ms`)), limitMs);
  });
  try {
    const result = await Promise.race([server.exit, timeout]);
    return { ...result, elapsedMs: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** stderr as lines, ignoring the final newline. */
const stderrLines = (server: ServerProcess) => server.stderr().replace(/\n$/, '').split('\n');

afterAll(async () => {
  for (const server of started) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      // The whole group: tsx's CLI, the node process it runs and the mediasoup workers.
      process.kill(-server.child.pid!, 'SIGKILL');
      await server.exit;
    }
  }
});

describe.each(testDatabases())('the server process on %s', (kind, target) => {
  const databases: ProcessDatabase[] = [];
  const freshDatabase = async () => {
    const db = await target.forProcess();
    databases.push(db);
    return db;
  };
  afterAll(async () => {
    for (const db of databases) await db.destroy();
  });

  it(
    'comes up, answers /api/health, and on SIGTERM closes http, workers and database in order, exiting 0',
    async () => {
      const db = await freshDatabase();
      const server = await startServer(db.env);
      const listening = await server.waitForLog('seduta is listening');
      const workerPids = listening.workerPids as number[];
      expect(workerPids).toHaveLength(1);
      expect(isRunning(workerPids[0]!)).toBe(true);

      const res = await fetch(`${listening.url as string}/api/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', db: kind, workers: 1 });

      server.child.kill('SIGTERM');
      const { code, elapsedMs } = await exitWithin(server, 15_000);
      expect(code).toBe(0);
      expect(elapsedMs).toBeLessThan(10_000);
      const closing = server.logs.filter((l) => l.msg === 'closed').map((l) => l.resource);
      expect(closing).toEqual(['http server', 'media workers', 'database']);
      expect(server.logs.at(-1)?.msg).toBe('shutdown complete');
      expect(workerPids.filter(isRunning)).toEqual([]);
      expect(server.stderr()).toBe('');
    },
    TEST_MS,
  );

  it(
    'stops with one line on stderr and exit 1 when a migration fails',
    async () => {
      const db = await freshDatabase();
      const handle = await db.open();
      await sql`create table sittings (id int)`.execute(handle.db);
      await handle.close();

      const server = await startServer(db.env);
      const { code } = await exitWithin(server, STARTUP_MS);
      expect(code).toBe(1);
      expect(stderrLines(server)).toEqual([
        expect.stringMatching(
          /^seduta: startup failed: migrations: migration 0001_initial failed: .*"sittings" already exists$/,
        ),
      ]);
    },
    TEST_MS,
  );
});

describe('the server process refuses to start', () => {
  const dataDirs: string[] = [];
  const tempDataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-test-'));
    dataDirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dataDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'within 10 s, with one line, when PostgreSQL does not answer',
    async () => {
      const server = await startServer({
        DATA_DIR: tempDataDir(),
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x',
      });
      const { code, elapsedMs } = await exitWithin(server, 10_000);
      expect(code).toBe(1);
      expect(elapsedMs).toBeLessThan(10_000);
      expect(stderrLines(server)).toEqual([
        'seduta: startup failed: database: cannot connect to PostgreSQL at postgres://nobody@127.0.0.1:1/x: connect ECONNREFUSED 127.0.0.1:1',
      ]);
    },
    TEST_MS,
  );

  it(
    'within 10 s, with one line, when DATABASE_URL is not a PostgreSQL URL',
    async () => {
      const server = await startServer({ DATA_DIR: tempDataDir(), DATABASE_URL: 'mysql://x' });
      const { code } = await exitWithin(server, 10_000);
      expect(code).toBe(1);
      expect(stderrLines(server)).toEqual([
        'seduta: Invalid DATABASE_URL="mysql://x": expected a URL like postgres://user:password@host:5432/database',
      ]);
    },
    TEST_MS,
  );

  it(
    'with one line when PORT is not a number',
    async () => {
      const server = await startServer({ DATA_DIR: tempDataDir(), PORT: 'abc' });
      const { code } = await exitWithin(server, 10_000);
      expect(code).toBe(1);
      expect(stderrLines(server)).toEqual([
        'seduta: Invalid PORT="abc": expected an integer between 0 and 65535',
      ]);
    },
    TEST_MS,
  );

  it(
    'with one line when another server holds its DATA_DIR, or its HTTP port',
    async () => {
      const dataDir = tempDataDir();
      const first = await startServer({ DATA_DIR: dataDir });
      const { port, pid } = await first.waitForLog('seduta is listening');

      const sameDir = await startServer({ DATA_DIR: dataDir });
      expect((await exitWithin(sameDir, STARTUP_MS)).code).toBe(1);
      expect(stderrLines(sameDir)).toEqual([
        `seduta: startup failed: database: cannot open the embedded database in ${dataDir}/db: ` +
          `database directory ${dataDir}/db is in use by process ${pid as number} (lock file ${dataDir}/db.lock)`,
      ]);

      const samePort = await startServer({ DATA_DIR: tempDataDir(), PORT: String(port) });
      expect((await exitWithin(samePort, STARTUP_MS)).code).toBe(1);
      expect(stderrLines(samePort)).toEqual([
        `seduta: startup failed: http: listen EADDRINUSE: address already in use 127.0.0.1:${port as number}`,
      ]);

      first.child.kill('SIGTERM');
      expect((await exitWithin(first, 15_000)).code).toBe(0);
    },
    TEST_MS,
  );
});
