/**
 * Two nodes of one deployment in this process, on one private Redis and one database: what must
 * hold deployment-wide does (room emits through socket.io's Redis adapter, the sign-in limits,
 * revocations), and a node that loses Redis keeps serving its own sittings and says so on
 * /api/health until Redis is back.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CSRF_HEADER } from '../../server/src/auth/http-guard';
import { createStaffUser } from '../../server/src/auth/staff-users';
import { connectRedis, type RedisLink } from '../../server/src/cluster/redis';
import { socketAdapter } from '../../server/src/cluster/socket-adapter';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startRedis, type TestRedis } from '../support/redis';
import { startTestServer, type TestServer } from '../support/server';

const logger = pino({ level: process.env.SEDUTA_TEST_LOG_LEVEL ?? 'silent' });

let redis: TestRedis;
const clients: RawClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await redis?.stop();
});

describe("socket.io's Redis adapter", () => {
  const links: RedisLink[] = [];
  const servers: Array<{ io: Server; http: HttpServer }> = [];
  afterAll(async () => {
    for (const { io } of servers) await io.close();
    for (const l of links) await l.close();
  });

  /** A socket.io server on its own Redis link, as one node has it; sockets join room `r`. */
  async function node() {
    const link = await connectRedis(redis.url, { logger });
    links.push(link);
    const http = createServer();
    const io = new Server(http, { adapter: socketAdapter(link, logger) });
    io.on('connection', (socket) => void socket.join('r'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    servers.push({ io, http });
    return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
  }

  it('delivers a room emit made on one node to a socket connected to the other', async () => {
    const a = await node();
    const b = await node();
    const socket = connectClient(b.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      const got: unknown[] = [];
      socket.on('hello', (payload: unknown) => got.push(payload));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      // The join happens on B's connection handler; emit until B's room has the socket.
      await vi.waitFor(
        () => {
          a.io.to('r').emit('hello', { from: 'a' });
          expect(got.length).toBeGreaterThan(0);
        },
        { timeout: 5000, interval: 100 },
      );
      expect(got[0]).toEqual({ from: 'a' });
    } finally {
      socket.close();
    }
  });
});

describe('two nodes of one deployment', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const env = { REDIS_URL: redis.url, LOGIN_MAX_PER_ACCOUNT_ADDRESS: '3' };
    a = await startTestServer({ env });
    b = await startTestServer({ env, db: a.db });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('are two nodes with their own ids in the registry', async () => {
    expect(a.cluster?.nodeId).toBeDefined();
    expect(b.cluster?.nodeId).not.toBe(a.cluster?.nodeId);
    const alive = (await a.cluster!.registry.alive()).map((n) => n.id).sort();
    expect(alive).toEqual([a.cluster!.nodeId, b.cluster!.nodeId].sort());
  });

  it('share the sign-in limit: failures on one node count on the other', async () => {
    const email = `cluster.${Date.now()}@ente.example.it`;
    await createStaffUser(a.db.db, { email, name: 'Rossi', role: 'host', password: 'la password giusta 01' });
    const signIn = (srv: TestServer, password: string) =>
      srv.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: '198.51.100.7',
        payload: { email, password },
      });
    for (const srv of [a, b, a]) expect((await signIn(srv, 'sbagliata')).statusCode).toBe(401);
    // Three failures in all: both nodes now refuse, even the right password.
    expect((await signIn(b, 'la password giusta 01')).statusCode).toBe(429);
    expect((await signIn(a, 'la password giusta 01')).statusCode).toBe(429);
  });

  it('end a connection on one node when its session is signed out on the other', async () => {
    const host = await a.host();
    const sitting = await a.createSitting({ title: 'Seduta su due nodi' });
    const onB = await connectRaw(b.url, { sittingId: sitting.id, cookie: host.cookie });
    clients.push(onB);
    await onB.waitForNote('sitting.state');
    const logout = await a.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie: host.cookie, [CSRF_HEADER]: host.csrfToken },
    });
    expect(logout.statusCode).toBeLessThan(300);
    await onB.waitForNote('removed', (n) => n.reason === 'session_ended');
    await vi.waitFor(() => expect(onB.socket.connected).toBe(false));
  });
});

describe('a node that loses Redis', () => {
  let srv: TestServer;

  beforeAll(async () => {
    srv = await startTestServer({ env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await srv?.close();
  });

  const health = async () => {
    const res = await srv.app.inject({ url: '/api/health' });
    return {
      status: res.statusCode,
      body: res.json<{ status: string; redis?: string; problems?: string[] }>(),
    };
  };

  it('reports degraded, keeps its sitting and its chat going, and recovers when Redis is back', async () => {
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', redis: 'ok' } });
    const sitting = await srv.createSitting({ title: 'Seduta durante il guasto' });
    const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    clients.push(host);
    await host.request({ type: 'sitting.start' });
    await host.request({ type: 'join' });
    const op = await connectRaw(srv.url, {
      sittingId: sitting.id,
      cookie: await srv.operatorCookie(sitting.id, 'Ditta A S.r.l.'),
    });
    clients.push(op);
    await op.request({ type: 'join' });

    redis.kill();
    await vi.waitFor(async () => expect((await health()).status).toBe(503), { timeout: 5000 });
    const degraded = await health();
    expect(degraded.body).toMatchObject({ status: 'degraded', redis: 'unreachable' });
    expect(degraded.body.problems).toContain(`redis: Redis at ${redis.url} is out of reach`);

    // The sitting this node hosts goes on: chat both ways.
    const { message } = await op.request({ type: 'chat.send', text: 'si sente?' });
    await host.waitForNote('chat.message', (n) => n.message.id === message.id);
    const reply = await host.request({ type: 'chat.send', text: 'sì, la seduta continua' });
    await op.waitForNote('chat.message', (n) => n.message.id === reply.message.id);

    redis = await startRedis({ port: redis.port });
    await vi.waitFor(
      async () => expect(await health()).toMatchObject({ status: 200, body: { redis: 'ok' } }),
      {
        timeout: 15_000,
        interval: 200,
      },
    );
  });
});
