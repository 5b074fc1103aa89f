/**
 * A real coturn (Debian's `coturn` package, `/usr/bin/turnserver`) for end-to-end tests: the test
 * writes a configuration into a temporary directory and runs its own `turnserver -c <file>` in the
 * test network namespace. Debian's coturn service is never used (its init script does nothing
 * until /etc/default/coturn enables it, and package installs in CI do not start services).
 *
 * The configuration is the one an IT office would write for Seduta (README, "Networks that block
 * UDP"): the TURN REST scheme (`use-auth-secret` + `static-auth-secret`, the secret Seduta signs
 * with), plain TURN over UDP and TCP only, no CLI, and every peer denied except the media address.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreeRtcPort } from './ports';

const TURNSERVER = process.env.SEDUTA_TURNSERVER ?? '/usr/bin/turnserver';
const LISTEN_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** What the test's coturn is given. */
export interface CoturnOptions {
  /** Address coturn listens on and relays from (inside the namespace). */
  ip: string;
  /** coturn's `static-auth-secret`: the server's TURN_SECRET. */
  secret: string;
  /** The only peer address relays may reach (Seduta's media address). */
  peerIp: string;
  /** Relay ports (`min-port`..`max-port`); default 61000–61099, above Linux's ephemeral range. */
  relayPorts?: { min: number; max: number };
}

/** A running coturn; `stop()` ends it and removes its directory. */
export interface Coturn {
  readonly ip: string;
  /** The listening port, UDP and TCP. */
  readonly port: number;
  readonly realm: string;
  readonly relayPorts: { min: number; max: number };
  readonly pid: number;
  /** `turn:` URLs for TURN_URLS: UDP first, then TCP. */
  readonly urls: string[];
  /** The generated turnserver.conf. */
  readonly config: string;
  /** coturn's log so far. */
  log(): Promise<string>;
  /**
   * Usernames coturn granted an allocation to (log lines `user <name>: incoming packet ALLOCATE
   * processed, success`).
   */
  allocatedUsers(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Writes the configuration, starts `turnserver -c` and resolves once it listens on UDP and TCP. */
export async function startCoturn(options: CoturnOptions): Promise<Coturn> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seduta-coturn-'));
  const port = await findFreeRtcPort(options.ip);
  const relayPorts = options.relayPorts ?? { min: 61_000, max: 61_099 };
  const realm = 'seduta.test';
  const logFile = path.join(dir, 'turnserver.log');
  const config = [
    `listening-ip=${options.ip}`,
    `relay-ip=${options.ip}`,
    `listening-port=${port}`,
    `min-port=${relayPorts.min}`,
    `max-port=${relayPorts.max}`,
    'use-auth-secret',
    `static-auth-secret=${options.secret}`,
    `realm=${realm}`,
    'fingerprint',
    'no-tls',
    'no-dtls',
    'no-cli',
    'no-multicast-peers',
    // Relays may reach the media address and nothing else (whatever coturn's own defaults are).
    'denied-peer-ip=0.0.0.0-255.255.255.255',
    `allowed-peer-ip=${options.peerIp}`,
    `log-file=${logFile}`,
    'simple-log',
    'verbose',
    `pidfile=${path.join(dir, 'turnserver.pid')}`,
    `userdb=${path.join(dir, 'turndb')}`,
    '',
  ].join('\n');
  const configFile = path.join(dir, 'turnserver.conf');
  await fs.writeFile(configFile, config, { mode: 0o600 });

  const output: string[] = [];
  const child: ChildProcess = spawn(TURNSERVER, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      output.push(`cannot run ${TURNSERVER}: ${err.message}`);
      resolve();
    });
  });
  const readLog = async () => {
    const file = await fs.readFile(logFile, 'utf8').catch(() => '');
    return file + output.join('');
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), delay(STOP_TIMEOUT_MS, false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await fs.rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + LISTEN_TIMEOUT_MS;
    while (!listening(options.ip, port, child.pid)) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        throw new Error(`turnserver exited before listening:\n${await readLog()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`turnserver not listening on ${options.ip}:${port} after ${LISTEN_TIMEOUT_MS} ms`);
      }
      await delay(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    ip: options.ip,
    port,
    realm,
    relayPorts,
    pid: child.pid!,
    urls: [`turn:${options.ip}:${port}?transport=udp`, `turn:${options.ip}:${port}?transport=tcp`],
    config,
    log: readLog,
    async allocatedUsers() {
      const users = new Set<string>();
      for (const m of (await readLog()).matchAll(
        /user <([^>]*)>: incoming packet ALLOCATE processed, success/g,
      )) {
        users.add(m[1]!);
      }
      return [...users];
    },
    stop,
  };
}

/** Whether process `pid` listens on ip:port over both UDP and TCP. */
function listening(ip: string, port: number, pid: number | undefined): boolean {
  if (pid === undefined) return false;
  const out = execFileSync('ss', ['-lntupH'], { encoding: 'utf8' });
  const mine = out
    .split('\n')
    .filter((line) => line.includes(`${ip}:${port} `) && line.includes(`pid=${pid},`));
  return mine.some((l) => l.startsWith('udp')) && mine.some((l) => l.startsWith('tcp'));
}
