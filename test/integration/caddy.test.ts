/**
 * The Caddy example (deploy/Caddyfile) in front of a real server: Debian's caddy runs a config made
 * from the example by swapping only what a test must (the site becomes https://127.0.0.1:<free
 * port> with a test certificate, the upstream the test server's port, no admin endpoint, state in
 * a temporary directory), and the server runs with TRUST_PROXY=127.0.0.1 as the example says.
 * Everything then goes over HTTPS through Caddy, as a browser's requests would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENTS, type Notification } from '@seduta/server/protocol';
import { findFreeRtcPort } from '../e2e/harness/ports';
import { makeTestCertificates, type TestCertificates } from '../support/certificates';
import { startTestServer, type TestServer } from '../support/server';

const EXAMPLE = fileURLToPath(new URL('../../deploy/Caddyfile', import.meta.url));
const HSTS = 'max-age=31536000';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request trusting only the test CA. */
function request(url: string, ca: string, init: { method?: string; body?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = https.request(
      url,
      {
        method: init.method ?? 'GET',
        ca,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/**
 * deploy/Caddyfile with the test's substitutions; fails if the example no longer has the lines
 * they replace (then this test would no longer test the example).
 */
function testCaddyfile(p: {
  port: number;
  httpPort: number;
  upstream: number;
  certs: TestCertificates;
  dir: string;
}) {
  const example = fs.readFileSync(EXAMPLE, 'utf8');
  const swaps: [RegExp, string][] = [
    [
      /^\{$/m,
      `{\n\tadmin off\n\tauto_https disable_redirects\n\thttp_port ${p.httpPort}\n\tstorage file_system ${p.dir}/storage`,
    ],
    [
      /^seduta\.example\.org \{$/m,
      `https://127.0.0.1:${p.port} {\n\tbind 127.0.0.1\n\ttls ${p.certs.certFile} ${p.certs.keyFile}`,
    ],
    [/reverse_proxy 127\.0\.0\.1:8080$/m, `reverse_proxy 127.0.0.1:${p.upstream}`],
  ];
  return swaps.reduce((text, [pattern, replacement]) => {
    if (!pattern.test(text)) throw new Error(`deploy/Caddyfile has no line matching ${String(pattern)}`);
    return text.replace(pattern, replacement);
  }, example);
}

describe('Seduta behind the Caddy example (deploy/Caddyfile)', () => {
  let certs: TestCertificates;
  let server: TestServer;
  let caddy: ChildProcess | undefined;
  let caddyExit: Promise<unknown> | undefined;
  let caddyLog = '';
  let dir: string;
  let origin: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-caddy-'));
    certs = await makeTestCertificates(['127.0.0.1']);
    const port = await findFreeRtcPort('127.0.0.1');
    const httpPort = await findFreeRtcPort('127.0.0.1');
    origin = `https://127.0.0.1:${port}`;
    const clientDir = path.join(dir, 'client');
    fs.mkdirSync(clientDir);
    fs.writeFileSync(path.join(clientDir, 'index.html'), '<!doctype html><title>Seduta</title>');
    server = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1', PUBLIC_ORIGINS: origin }, clientDir });
    const configFile = path.join(dir, 'Caddyfile');
    fs.writeFileSync(configFile, testCaddyfile({ port, httpPort, upstream: server.config.port, certs, dir }));
    // Caddy keeps its state (and autosaved config) under HOME and the XDG directories.
    const env = { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir };
    caddy = spawn('caddy', ['run', '--adapter', 'caddyfile', '--config', configFile], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    caddy.stdout!.setEncoding('utf8').on('data', (chunk: string) => (caddyLog += chunk));
    caddy.stderr!.setEncoding('utf8').on('data', (chunk: string) => (caddyLog += chunk));
    caddyExit = new Promise((resolve) => caddy!.once('exit', resolve));
    await vi.waitFor(
      async () => {
        if (caddy!.exitCode !== null) throw new Error(`caddy exited: ${caddyLog}`);
        await request(`${origin}/api/health`, certs.ca);
      },
      { timeout: 20_000, interval: 100 },
    );
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    if (caddy && caddy.exitCode === null) {
      caddy.kill('SIGTERM');
      await caddyExit;
    }
    await server?.close();
    await certs?.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is valid as shipped (caddy adapt)', () => {
    const adapted = spawnSync('caddy', ['adapt', '--config', EXAMPLE], {
      env: { PATH: process.env.PATH, HOME: dir },
      encoding: 'utf8',
    });
    expect(adapted.status, adapted.stderr).toBe(0);
    expect(adapted.stderr).not.toMatch(/"level":"(warn|error)"/);
    expect(JSON.parse(adapted.stdout)).toMatchObject({
      apps: { http: { servers: { srv0: { listen: [':443'] } } } },
    });
  });

  it('serves the page over HTTPS with Strict-Transport-Security', async () => {
    const page = await request(`${origin}/`, certs.ca);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Seduta</title>');
    expect(page.headers['strict-transport-security']).toBe(HSTS);
  });

  it('gives a staff member who signs in a Secure session cookie', async () => {
    const staff = await server.signIn('host');
    const login = await request(`${origin}/api/auth/login`, certs.ca, {
      method: 'POST',
      body: { email: staff.user.email, password: 'test password 0123456789' },
    });
    expect(login.status, login.body).toBe(200);
    const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
    expect(cookie).toEqual([expect.stringMatching(/^seduta_session=[^;]+;.*; Secure/)]);
    expect(cookie[0]).toMatch(/HttpOnly/);
    expect(login.headers['strict-transport-security']).toBe(HSTS);
  });

  it('sends no HSTS to the same server reached over plain HTTP, without the proxy', async () => {
    const direct = await fetch(`${server.url}/api/health`);
    expect(direct.status).toBe(200);
    expect(direct.headers.get('strict-transport-security')).toBeNull();
  });

  it('carries the signalling socket over wss:// through Caddy', async () => {
    const host = await server.host();
    const sitting = await server.createSitting({ title: 'Seduta dietro Caddy' });
    const socket = io(origin, {
      ca: certs.ca,
      auth: { sittingId: sitting.id },
      extraHeaders: { cookie: host.cookie },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    const notes: Notification[] = [];
    socket.on(EVENTS.notification, (n: Notification) => notes.push(n));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    expect(socket.io.engine.transport.name).toBe('websocket');
    await vi.waitFor(() => expect(notes.map((n) => n.type)).toContain('sitting.state'), {
      timeout: 5000,
    });
    // A request and its reply both ways through the proxy: the host starts the sitting.
    const reply: unknown = await socket.timeout(5000).emitWithAck(EVENTS.request, {
      type: 'sitting.start',
    });
    expect(reply).toMatchObject({ ok: true, data: { sitting: { id: sitting.id, status: 'live' } } });
  });
});

const CLUSTER_EXAMPLE = fileURLToPath(new URL('../../deploy/Caddyfile.cluster', import.meta.url));

/**
 * deploy/Caddyfile.cluster with the test's substitutions (admin off, state in `dir`, the site on a
 * loopback port with a test certificate); the reverse_proxy block, the part under test, is as shipped.
 */
function testClusterCaddyfile(p: { port: number; httpPort: number; certs: TestCertificates; dir: string }) {
  const example = fs.readFileSync(CLUSTER_EXAMPLE, 'utf8');
  const swaps: [RegExp, string][] = [
    [
      /^\{$/m,
      `{\n\tadmin off\n\tauto_https disable_redirects\n\thttp_port ${p.httpPort}\n\tstorage file_system ${p.dir}/storage`,
    ],
    [
      /^\{\$SEDUTA_SITE\} \{$/m,
      `https://127.0.0.1:${p.port} {\n\tbind 127.0.0.1\n\ttls ${p.certs.certFile} ${p.certs.keyFile}`,
    ],
  ];
  return swaps.reduce((text, [pattern, replacement]) => {
    if (!pattern.test(text))
      throw new Error(`deploy/Caddyfile.cluster has no line matching ${String(pattern)}`);
    return text.replace(pattern, replacement);
  }, example);
}

describe('Several nodes behind the balancing example (deploy/Caddyfile.cluster)', () => {
  let certs: TestCertificates;
  const servers: TestServer[] = [];
  let degraded: http.Server;
  let caddy: ChildProcess | undefined;
  let caddyExit: Promise<unknown> | undefined;
  let caddyLog = '';
  let dir: string;
  let origin: string;
  let nodes: string;

  /** A page that names the node that served it. */
  const pageOf = (body: string) => /<title>(.*)<\/title>/.exec(body)?.[1];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-caddy-cluster-'));
    certs = await makeTestCertificates(['127.0.0.1']);
    const port = await findFreeRtcPort('127.0.0.1');
    const httpPort = await findFreeRtcPort('127.0.0.1');
    origin = `https://127.0.0.1:${port}`;
    for (const name of ['node A', 'node B']) {
      const clientDir = path.join(dir, name.replace(' ', '-'));
      fs.mkdirSync(clientDir);
      fs.writeFileSync(path.join(clientDir, 'index.html'), `<!doctype html><title>${name}</title>`);
      servers.push(
        await startTestServer({ env: { TRUST_PROXY: '127.0.0.1', PUBLIC_ORIGINS: origin }, clientDir }),
      );
    }
    // A node that still answers but whose health is degraded (as when its database is lost).
    degraded = http.createServer((req, res) => {
      if (req.url === '/api/health') {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"degraded"}');
      } else res.writeHead(200, { 'content-type': 'text/html' }).end('<title>degraded node</title>');
    });
    await new Promise<void>((resolve) => degraded.listen(0, '127.0.0.1', resolve));
    const degradedPort = (degraded.address() as { port: number }).port;
    nodes = [...servers.map((s) => `127.0.0.1:${s.config.port}`), `127.0.0.1:${degradedPort}`].join(' ');
    const configFile = path.join(dir, 'Caddyfile');
    fs.writeFileSync(configFile, testClusterCaddyfile({ port, httpPort, certs, dir }));
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      XDG_CONFIG_HOME: dir,
      XDG_DATA_HOME: dir,
      SEDUTA_NODES: nodes,
    };
    caddy = spawn('caddy', ['run', '--adapter', 'caddyfile', '--config', configFile], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    caddy.stdout!.setEncoding('utf8').on('data', (chunk: string) => (caddyLog += chunk));
    caddy.stderr!.setEncoding('utf8').on('data', (chunk: string) => (caddyLog += chunk));
    caddyExit = new Promise((resolve) => caddy!.once('exit', resolve));
    await vi.waitFor(
      async () => {
        if (caddy!.exitCode !== null) throw new Error(`caddy exited: ${caddyLog}`);
        await request(`${origin}/api/health`, certs.ca);
      },
      { timeout: 20_000, interval: 100 },
    );
  });

  afterAll(async () => {
    if (caddy && caddy.exitCode === null) {
      caddy.kill('SIGTERM');
      await caddyExit;
    }
    await Promise.all(servers.map((s) => s.close()));
    await new Promise((resolve) => degraded?.close(resolve));
    await certs?.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is valid as shipped (caddy adapt): least connections over SEDUTA_NODES, /api/health checked', () => {
    const adapted = spawnSync('caddy', ['adapt', '--config', CLUSTER_EXAMPLE], {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        SEDUTA_SITE: 'seduta.example.org',
        SEDUTA_NODES: '10.0.0.11:8081 10.0.0.12:8082',
      },
      encoding: 'utf8',
    });
    expect(adapted.status, adapted.stderr).toBe(0);
    expect(adapted.stderr).not.toMatch(/"level":"(warn|error)"/);
    const server = JSON.parse(adapted.stdout).apps.http.servers.srv0;
    expect(server.listen).toEqual([':443']);
    expect(JSON.stringify(server.routes[0].match)).toContain('seduta.example.org');
    const proxy = JSON.stringify(server.routes[0].handle);
    expect(proxy).toContain('"upstreams":[{"dial":"10.0.0.11:8081"},{"dial":"10.0.0.12:8082"}]');
    expect(proxy).toContain('"selection_policy":{"policy":"least_conn"}');
    expect(proxy).toContain('"uri":"/api/health"');
    expect(proxy).toContain('"expect_status":200');
  });

  it('sends requests to every healthy node, never to the degraded one', async () => {
    const seen = new Set<string | undefined>();
    await vi.waitFor(
      async () => {
        // Until the first active check, Caddy believes every node healthy.
        seen.clear();
        for (let i = 0; i < 30; i++) seen.add(pageOf((await request(`${origin}/`, certs.ca)).body));
        expect(seen.has('degraded node')).toBe(false);
      },
      { timeout: 10_000, interval: 500 },
    );
    expect([...seen].sort()).toEqual(['node A', 'node B']);
  });

  it('answers every request from a live node once a node dies', async () => {
    await servers[1]!.close();
    const answers: { status: number; page: string | undefined }[] = [];
    for (let i = 0; i < 20; i++) {
      const page = await request(`${origin}/`, certs.ca);
      answers.push({ status: page.status, page: pageOf(page.body) });
    }
    expect(answers).toEqual(Array.from({ length: 20 }, () => ({ status: 200, page: 'node A' })));
  });
});
