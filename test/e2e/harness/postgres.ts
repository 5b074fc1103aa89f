/**
 * A PostgreSQL of the test's own, inside the test network namespace (whose 127.0.0.1 is not the
 * machine's, where CI's PostgreSQL runs): a fresh cluster in a temporary directory, started with
 * Debian's binaries as the `postgres` user (PostgreSQL refuses to run as root), trust auth on the
 * namespace's loopback only. Used where a test must cut the database off under real browsers.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';

/** A running cluster; `stop()` shuts it down and removes its directory. */
export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

/** Where Debian installs the server binaries (the newest major version present), if anywhere. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(root, versions[0], 'bin');
}

/** Creates and starts a cluster listening on 127.0.0.1:`port`. */
export async function startTestPostgres(port: number): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin)
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql (Debian package postgresql)',
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-e2e-pg-'));
  const data = path.join(dir, 'data');
  const user = {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
  };
  fs.chmodSync(dir, 0o755);
  fs.chownSync(dir, user.uid, user.gid);
  let child: ChildProcess | undefined;
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync(
      path.join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'],
      { stdio: 'pipe', cwd: dir, ...user },
    );
    let log = '';
    child = spawn(
      path.join(bin, 'postgres'),
      [
        ...['-D', data, '-k', dir, '-h', '127.0.0.1', '-p', String(port)],
        // A throwaway cluster: durability is not what is tested.
        ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...user },
    );
    child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited at start: ${log}`);
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('select 1');
        await client.end();
        break;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections in time: ${log}`);
        await delay(200);
      }
    }
    const running = child;
    return {
      url,
      port,
      async stop() {
        if (running.exitCode === null && running.signalCode === null) {
          const exited = new Promise((resolve) => running.once('exit', resolve));
          // SIGINT: "fast" shutdown, every session disconnected at once.
          running.kill('SIGINT');
          await Promise.race([exited, delay(10_000)]);
          if (running.exitCode === null) running.kill('SIGKILL');
        }
        remove();
      },
    };
  } catch (error) {
    child?.kill('SIGKILL');
    remove();
    throw error;
  }
}
