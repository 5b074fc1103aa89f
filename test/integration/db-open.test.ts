import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { verifyAuditChain } from '../../server/src/audit/audit-log';
import { DatabaseOpenError, openDatabase } from '../../server/src/db/open';
import { testLogger } from '../support/databases';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_CLI = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');

/** Writes three audit entries to the PGlite database in DATA_DIR, says so, then waits to be killed. */
const WRITER = `
  import { appendAudit } from './server/src/audit/audit-log';
  import { migrateToLatest } from './server/src/db/migrate';
  import { openDatabase } from './server/src/db/open';
  import { pino } from 'pino';
  (async () => {
  const logger = pino({ level: 'silent' });
  const { db } = await openDatabase({ dataDir: process.env.DATA_DIR!, databaseUrl: undefined }, logger);
  await migrateToLatest(db, logger);
  for (let i = 0; i < 3; i++) await appendAudit(db, { actor: 'admin', role: 'admin', action: 'test.write', details: { i } });
  process.stdout.write('committed\\n');
  setInterval(() => undefined, 1000);
  })();
`;

describe('the embedded database directory', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-test-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('keeps committed rows, and is taken over, after the process holding it is killed', async () => {
    const writer = spawn(process.execPath, [TSX_CLI, '-e', WRITER], {
      cwd: REPO_ROOT,
      detached: true,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    try {
      let out = '';
      writer.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      await vi.waitFor(() => expect(out).toContain('committed'), { timeout: 90_000, interval: 100 });
      expect(fs.readFileSync(path.join(dataDir, 'db.lock'), 'utf8').trim()).not.toBe(String(process.pid));
    } finally {
      // The whole group: tsx's CLI and the node process it runs the script in (the lock holder).
      if (writer.exitCode === null && writer.signalCode === null) process.kill(-writer.pid!, 'SIGKILL');
      await exited;
    }
    const owner = Number.parseInt(fs.readFileSync(path.join(dataDir, 'db.lock'), 'utf8'), 10);
    await vi.waitFor(() => expect(isAlive(owner)).toBe(false), { timeout: 10_000 });

    const reopened = await openDatabase({ dataDir, databaseUrl: undefined }, testLogger);
    try {
      expect(await verifyAuditChain(reopened.db)).toMatchObject({ ok: true, entries: 3 });
    } finally {
      await reopened.close();
    }
    expect(fs.existsSync(path.join(dataDir, 'db.lock'))).toBe(false);
  }, 120_000);

  it('cannot be opened twice in one process', async () => {
    const first = await openDatabase({ dataDir, databaseUrl: undefined }, testLogger);
    try {
      await expect(openDatabase({ dataDir, databaseUrl: undefined }, testLogger)).rejects.toThrow(
        `cannot open the embedded database in ${dataDir}/db: database directory ${dataDir}/db is already open in this process`,
      );
    } finally {
      await first.close();
    }
  });
});

describe('opening PostgreSQL', () => {
  it('fails at once, in one line, when nothing listens at the address', async () => {
    const open = openDatabase({ dataDir: '', databaseUrl: 'postgres://seduta:pw@127.0.0.1:1/x' }, testLogger);
    await expect(open).rejects.toThrow(DatabaseOpenError);
    await expect(open).rejects.toThrow(
      /^cannot connect to PostgreSQL at postgres:\/\/seduta:\*\*\*@127\.0\.0\.1:1\/x: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
  });

  it('gives up after the connect timeout when the server accepts but never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const t0 = Date.now();
      const open = openDatabase(
        { dataDir: '', databaseUrl: `postgres://x@127.0.0.1:${port}/x` },
        testLogger,
        {
          connectTimeoutMs: 1000,
        },
      );
      await expect(open).rejects.toThrow(
        /^cannot connect to PostgreSQL at postgres:\/\/x@127\.0\.0\.1:\d+\/x: .*timeout/i,
      );
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
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
