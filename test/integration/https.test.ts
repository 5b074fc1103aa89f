/**
 * HTTPS served by the server process itself (TLS_CERT_FILE + TLS_KEY_FILE), run as `npm start`
 * runs it: pages and cookies over TLS, a certificate swapped on SIGHUP without dropping open
 * connections, a broken file on reload kept out, and start-up refused for files that do not fit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findFreeRtcPort } from '../e2e/harness/ports';
import { makeTestCertificates, type TestCertificates } from '../support/certificates';
import { startTestServer, type TestServer } from '../support/server';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PLAIN_PORTS = { min: 47000, max: 47999 };
const STARTUP_MS = 90_000;
const ADMIN = { email: 'admin@ente.example.it', password: 'https test password 2026' };

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

interface ServerProcess {
  child: ChildProcess;
  logs: LogLine[];
  stderr(): string;
  exit: Promise<number | null>;
  waitForLog(test: (line: LogLine) => boolean, what: string): Promise<LogLine>;
}

const started: ServerProcess[] = [];

/**
 * Starts main.ts in its own process group with `env` (plus PATH, HOME and test defaults). Node
 * runs it with tsx as a loader, in one process: tsx's CLI passes SIGINT and SIGTERM on to its
 * child but not SIGHUP (production runs the built JavaScript with plain node).
 */
async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const rtcPort = await findFreeRtcPort('127.0.0.1', PLAIN_PORTS);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
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
      MEDIA_WORKERS: '1',
      MEDIA_LISTEN_IP: '127.0.0.1',
      MEDIA_RTC_PORT: String(rtcPort),
      MEDIA_RTC_MIN_PORT: String(PLAIN_PORTS.min),
      MEDIA_RTC_MAX_PORT: String(PLAIN_PORTS.max),
      ...env,
    },
  });
  const logs: LogLine[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim().startsWith('{')) logs.push(JSON.parse(line) as LogLine);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: ServerProcess = {
    child,
    logs,
    stderr: () => stderr,
    exit,
    waitForLog: (test, what) =>
      vi.waitFor(
        () => {
          const line = logs.find(test);
          if (!line) throw new Error(`no ${what} log yet; stderr: ${stderr}`);
          return line;
        },
        { timeout: STARTUP_MS, interval: 100 },
      ),
  };
  started.push(server);
  return server;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The certificate the server presented on the connection that carried the request. */
  serial: string;
  reusedSocket: boolean;
}

function request(
  url: string,
  options: { ca: string; agent?: https.Agent; method?: string; body?: unknown },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        agent: options.agent ?? false,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            serial,
            reusedSocket: req.reusedSocket,
          }),
        );
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

const serialOf = (file: string) => new X509Certificate(fs.readFileSync(file)).serialNumber;

describe('HTTPS served by the server process (TLS_CERT_FILE, TLS_KEY_FILE)', () => {
  let certs: TestCertificates;
  let dataDir: string;
  beforeAll(async () => {
    certs = await makeTestCertificates(['127.0.0.1', 'localhost']);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-https-'));
  });
  afterAll(async () => {
    for (const server of started) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        process.kill(-server.child.pid!, 'SIGKILL');
        await server.exit;
      }
    }
    await certs?.remove();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves HTTPS with Secure cookies and HSTS, and swaps the certificate on SIGHUP without dropping connections', async () => {
    // The files the server is given; the test overwrites them as a renewal (certbot, acme.sh) would.
    const certFile = path.join(dataDir, 'seduta.crt');
    const keyFile = path.join(dataDir, 'seduta.key');
    fs.copyFileSync(certs.certFile, certFile);
    fs.copyFileSync(certs.keyFile, keyFile);
    const server = await startServer({
      DATA_DIR: path.join(dataDir, 'data'),
      TLS_CERT_FILE: certFile,
      TLS_KEY_FILE: keyFile,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    });
    const listening = await server.waitForLog((l) => l.msg === 'seduta is listening', 'listening');
    const origin = listening.url as string;
    expect(origin).toBe(`https://127.0.0.1:${listening.port as number}`);
    expect(listening.tlsSubject).toBe('O=Seduta tests, CN=127.0.0.1');

    const health = await request(`${origin}/api/health`, { ca: certs.ca });
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
    const login = await request(`${origin}/api/auth/login`, { ca: certs.ca, method: 'POST', body: ADMIN });
    expect(login.status, login.body).toBe(200);
    expect(([] as string[]).concat(login.headers['set-cookie'] ?? [])).toEqual([
      expect.stringMatching(/^seduta_session=[^;]+;.*; Secure/),
    ]);
    // Plain HTTP on the HTTPS port gets no page.
    await expect(fetch(`http://127.0.0.1:${listening.port as number}/api/health`)).rejects.toThrow();

    // A kept-alive connection opened before the renewal.
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await request(`${origin}/api/health`, { ca: certs.ca, agent });
    const oldSerial = serialOf(certs.certFile);
    expect(before.serial).toBe(oldSerial);

    const renewed = await certs.issue('renewed', { names: ['127.0.0.1', 'localhost'], days: 30 });
    fs.copyFileSync(renewed.certFile, certFile);
    fs.copyFileSync(renewed.keyFile, keyFile);
    server.child.kill('SIGHUP');
    const reloaded = await server.waitForLog((l) => l.msg === 'TLS certificate reloaded', 'reload');
    expect(reloaded.subject).toBe('O=Seduta tests, CN=127.0.0.1');
    expect(new Date(reloaded.validTo as string).getTime()).toBeGreaterThan(Date.now() + 25 * 86_400_000);

    // The open connection carries on with the old certificate; new handshakes get the new one.
    const still = await request(`${origin}/api/health`, { ca: certs.ca, agent });
    expect(still).toMatchObject({ status: 200, reusedSocket: true, serial: oldSerial });
    const fresh = await request(`${origin}/api/health`, { ca: certs.ca });
    expect(fresh.serial).toBe(serialOf(renewed.certFile));
    expect(fresh.serial).not.toBe(oldSerial);

    // A renewal gone wrong (a key that does not match): logged, the certificate in use stays.
    fs.copyFileSync(certs.keyFile, keyFile);
    server.child.kill('SIGHUP');
    const failed = await server.waitForLog((l) => l.msg.startsWith('TLS reload failed'), 'reload failure');
    expect(failed.msg).toContain('Invalid TLS_KEY_FILE=');
    expect(failed.msg).toContain('does not match');
    const after = await request(`${origin}/api/health`, { ca: certs.ca });
    expect(after).toMatchObject({ status: 200, serial: serialOf(renewed.certFile) });
    expect(server.child.exitCode).toBeNull();
    agent.destroy();

    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(server.stderr()).toBe('');
  }, 150_000);

  it('keeps running on SIGHUP without TLS (a service manager reload never stops it)', async () => {
    const server = await startServer({ DATA_DIR: path.join(dataDir, 'plain') });
    const listening = await server.waitForLog((l) => l.msg === 'seduta is listening', 'listening');
    server.child.kill('SIGHUP');
    await server.waitForLog((l) => l.msg === 'nothing to reload: no TLS_CERT_FILE', 'SIGHUP');
    expect((await fetch(`${listening.url as string}/api/health`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  }, 120_000);

  it.each([
    [
      'a certificate file that does not exist',
      'TLS_CERT_FILE',
      () => ({ TLS_CERT_FILE: '/nonexistent/seduta.crt', TLS_KEY_FILE: certs.keyFile }),
    ],
    [
      'a key that does not match the certificate',
      'TLS_KEY_FILE',
      () => ({ TLS_CERT_FILE: certs.certFile, TLS_KEY_FILE: certs.caFile.replace(/ca\.crt$/, 'ca.key') }),
    ],
  ])(
    'refuses to start with %s, in one line naming %s',
    async (_, variable, env) => {
      const server = await startServer({ DATA_DIR: path.join(dataDir, 'refused'), ...env() });
      expect(await server.exit).toBe(1);
      const lines = server.stderr().replace(/\n$/, '').split('\n');
      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^seduta: Invalid ${variable}="[^"]+": expected `)),
      ]);
    },
    60_000,
  );
});

describe('TRUST_PROXY as a list of addresses', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: '10.0.0.2,192.168.7.0/24' } });
  });
  afterAll(() => server?.close());

  /** A sign-in arriving from `peer` with X-Forwarded-Proto: https. */
  const forwardedLogin = async (peer: string) => {
    const staff = await server.signIn('host');
    return server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: peer,
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
      payload: { email: staff.user.email, password: 'test password 0123456789' },
    });
  };

  it.each(['10.0.0.2', '192.168.7.40'])(
    'believes X-Forwarded-Proto from the listed proxy %s: Secure cookie and HSTS',
    async (peer) => {
      const res = await forwardedLogin(peer);
      expect(res.statusCode).toBe(200);
      expect(res.headers['set-cookie']).toMatch(/; Secure/);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    },
  );

  it('ignores it from any other peer: no Secure cookie, no HSTS', async () => {
    const res = await forwardedLogin('10.0.0.3');
    expect(res.statusCode).toBe(200);
    expect(res.headers['set-cookie']).not.toMatch(/Secure/);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});
