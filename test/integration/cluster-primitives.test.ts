/**
 * The multi-node building blocks against a private redis-server: the Redis link's health, sitting
 * leases, RPC between nodes, the node registry, the shared limit windows and the revocation relay.
 * Each "node" here is a Redis link of its own, as two processes would have.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Revocation } from '../../server/src/auth/revocation';
import { SittingLeases } from '../../server/src/cluster/lease';
import { NodeRegistry } from '../../server/src/cluster/node-registry';
import { connectRedis, type RedisLink } from '../../server/src/cluster/redis';
import { RedisEndpointChangeRelay } from '../../server/src/cluster/endpoint-change-relay';
import { RedisRevocationRelay } from '../../server/src/cluster/revocation-relay';
import { ClusterRpc, NodeError } from '../../server/src/cluster/rpc';
import { SharedWindows } from '../../server/src/cluster/shared-windows';
import { AppError } from '../../server/src/errors';
import { freePort, startRedis, type TestRedis } from '../support/redis';

const logger = pino({ level: process.env.SEDUTA_TEST_LOG_LEVEL ?? 'silent' });

let redis: TestRedis;
const cleanups: Array<() => Promise<void>> = [];

/** A node's Redis link, closed after the test. */
async function link(url = redis.url): Promise<RedisLink> {
  const l = await connectRedis(url, { logger });
  cleanups.push(() => l.close());
  return l;
}

/** Closes `what` after the test (in reverse order of creation). */
function later<T extends { close(): Promise<void> }>(what: T): T {
  cleanups.push(() => what.close());
  return what;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // A test that killed Redis leaves a new one for the next.
  if (!(await redisAnswers())) redis = await startRedis({ port: redis.port });
  const l = await connectRedis(redis.url, { logger });
  await l.command.flushall();
  await l.close();
});
afterAll(async () => {
  await redis.stop();
});

async function redisAnswers(): Promise<boolean> {
  try {
    const l = await connectRedis(redis.url, { logger, timeoutMs: 1000 });
    await l.close();
    return true;
  } catch {
    return false;
  }
}

describe('the Redis link', () => {
  it('refuses to start, with one line naming the URL without its password and the cause', async () => {
    const port = await freePort();
    const error = await connectRedis(`redis://:s3cret@127.0.0.1:${port}/0`, { logger, timeoutMs: 3000 }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toBe(
      `Redis at redis://:***@127.0.0.1:${port}/0 is unreachable: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('goes down when Redis dies, fails commands at once meanwhile, and comes back by itself', async () => {
    const l = await link();
    const events: string[] = [];
    l.on('down', () => events.push('down'));
    l.on('up', () => events.push('up'));
    redis.kill();
    await vi.waitFor(() => expect(l.healthy).toBe(false), { timeout: 5000 });
    await expect(l.command.get('x')).rejects.toThrow();
    // What a request asks of the cluster meanwhile fails as `unavailable`, not `internal`.
    const leases = later(new SittingLeases(l, 'node-a'));
    await expect(leases.acquire('s1')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(
      new NodeRegistry(l, { id: 'a', mediaIp: '::1', startedAt: 0 }).alive(),
    ).rejects.toMatchObject({
      code: 'unavailable',
    });
    redis = await startRedis({ port: redis.port });
    await vi.waitFor(() => expect(l.healthy).toBe(true), { timeout: 10_000 });
    expect(events).toEqual(['down', 'up']);
    expect(await l.command.set('x', '1')).toBe('OK');
  });

  it('goes down when Redis stops answering without closing the connection, and back when it answers', async () => {
    const l = await link();
    redis.freeze();
    try {
      await vi.waitFor(() => expect(l.healthy).toBe(false), { timeout: 10_000 });
    } finally {
      redis.thaw();
    }
    await vi.waitFor(() => expect(l.healthy).toBe(true), { timeout: 10_000 });
    expect(await l.command.set('x', '2')).toBe('OK');
  });
});

describe('sitting leases', () => {
  it('gives a free sitting to the first node that asks, and tells the second who holds it', async () => {
    const a = later(new SittingLeases(await link(), 'node-a'));
    const b = later(new SittingLeases(await link(), 'node-b'));
    const [first, second] = await Promise.all([a.acquire('s1'), b.acquire('s1')]);
    expect(first).toBe(second); // exactly one winner
    expect(await a.owner('s1')).toBe(first);
    expect(await b.acquire('s1')).toBe(first);
    expect(await a.owner('nobody-has-this')).toBeNull();
  });

  it('keeps the lease while the owner renews it, past its TTL', async () => {
    const a = later(new SittingLeases(await link(), 'node-a', { ttlMs: 1000, renewMs: 200 }));
    const b = later(new SittingLeases(await link(), 'node-b', { ttlMs: 1000, renewMs: 200 }));
    expect(await a.acquire('s1')).toBe('node-a');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await b.acquire('s1')).toBe('node-a');
  });

  it('lets another node take over once the owner stops renewing, and tells the old owner it lost it', async () => {
    const ownerLink = await link();
    const a = later(new SittingLeases(ownerLink, 'node-a', { ttlMs: 1000, renewMs: 200 }));
    const b = later(new SittingLeases(await link(), 'node-b', { ttlMs: 1000, renewMs: 200 }));
    const lost: string[] = [];
    const taken: string[] = [];
    a.on('lost', (id) => lost.push(id));
    b.on('taken', (id) => taken.push(id));
    expect(await a.acquire('s1')).toBe('node-a');
    // node-a freezes: its connection is cut, it renews nothing.
    ownerLink.command.disconnect();
    ownerLink.subscriber.disconnect();
    await vi.waitFor(async () => expect(await b.acquire('s1')).toBe('node-b'), {
      timeout: 5000,
      interval: 100,
    });
    expect(await b.owner('s1')).toBe('node-b');
    // node-a comes back: its next renewal finds node-b there.
    await ownerLink.command.connect();
    await ownerLink.subscriber.connect();
    await vi.waitFor(() => expect(lost).toEqual(['s1']), { timeout: 5000 });
    expect(a.holds('s1')).toBe(false);
    expect(await b.owner('s1')).toBe('node-b');
    // node-b was told once that it hosts the sitting now (asking again or renewing is no news).
    expect(await b.acquire('s1')).toBe('node-b');
    expect(taken).toEqual(['s1']);
  });

  it('frees the sitting at once on release and on close', async () => {
    const a = later(new SittingLeases(await link(), 'node-a'));
    const b = later(new SittingLeases(await link(), 'node-b'));
    await a.acquire('s1');
    await a.acquire('s2');
    await a.release('s1');
    expect(await b.acquire('s1')).toBe('node-b');
    await a.close();
    expect(await b.owner('s2')).toBeNull();
    // A release by a node that does not hold it changes nothing.
    await a.release('s1');
    expect(await b.owner('s1')).toBe('node-b');
  });
});

describe('RPC between nodes', () => {
  async function pair() {
    const a = later(new ClusterRpc(await link(), 'node-a'));
    const b = later(new ClusterRpc(await link(), 'node-b'));
    await a.start();
    await b.start();
    return { a, b };
  }

  it('returns the remote result, and tells the handler who called', async () => {
    const { a, b } = await pair();
    b.handle<{ n: number }, { doubled: number; from: string }>('double', async ({ n }, from) => ({
      doubled: n * 2,
      from,
    }));
    expect(await a.call('node-b', 'double', { n: 21 })).toEqual({ doubled: 42, from: 'node-a' });
  });

  it('rethrows a remote AppError with its code and message; other errors arrive as internal', async () => {
    const { a, b } = await pair();
    b.handle('refuse', async () => {
      throw new AppError('forbidden', 'only the host may do that');
    });
    b.handle('crash', async () => {
      throw new TypeError('x is undefined');
    });
    const refused = await a.call('node-b', 'refuse', {}).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'forbidden', message: 'only the host may do that' });
    await expect(a.call('node-b', 'crash', {})).rejects.toMatchObject({
      code: 'internal',
      message: 'remote handler failed',
    });
    await expect(a.call('node-b', 'no-such-method', {})).rejects.toMatchObject({ code: 'not_found' });
  });

  it('rethrows a remote NodeError as a NodeError, its node code with its code and message', async () => {
    const { a, b } = await pair();
    b.handle('no-pipe', async () => {
      throw new NodeError('invalid_state', 'no_pipe', 'no pipe to that node: open it first');
    });
    const refused = await a.call('node-b', 'no-pipe', {}).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(NodeError);
    expect(refused).toMatchObject({
      code: 'invalid_state',
      nodeCode: 'no_pipe',
      message: 'no pipe to that node: open it first',
    });
  });

  it('fails with unavailable after its timeout when the node does not answer', async () => {
    const { a, b } = await pair();
    b.handle('hang', () => new Promise(() => undefined));
    await expect(a.call('node-b', 'hang', {}, 300)).rejects.toMatchObject({
      code: 'unavailable',
      message: 'node node-b did not answer within 300 ms (hang)',
    });
  });

  it('fails with unavailable at once for a node that is not running, or while Redis is down', async () => {
    const { a } = await pair();
    await expect(a.call('node-gone', 'double', {}, 60_000)).rejects.toMatchObject({
      code: 'unavailable',
      message: 'node node-gone is not running (double)',
    });
    redis.kill();
    await vi.waitFor(
      () => expect(a.call('node-b', 'double', {}, 60_000)).rejects.toMatchObject({ code: 'unavailable' }),
      {
        timeout: 5000,
      },
    );
  });

  it('delivers a fire-and-forget message', async () => {
    const { a, b } = await pair();
    const got: unknown[] = [];
    b.handle('note', async (args) => void got.push(args));
    a.send('node-b', 'note', { hello: 'world' });
    await vi.waitFor(() => expect(got).toEqual([{ hello: 'world' }]));
  });
});

describe('the node registry', () => {
  const self = (id: string) => ({ id, mediaIp: `198.51.100.${id.length}`, startedAt: 1_700_000_000_000 });

  it('lists the nodes alive with their media address', async () => {
    const a = later(new NodeRegistry(await link(), self('a'), { heartbeatMs: 100, ttlMs: 500 }));
    const b = later(new NodeRegistry(await link(), self('bb'), { heartbeatMs: 100, ttlMs: 500 }));
    await a.start();
    await b.start();
    const alive = await a.alive();
    expect(alive.sort((x, y) => x.id.localeCompare(y.id))).toEqual([self('a'), self('bb')]);
    expect(await a.isAlive('bb')).toBe(true);
    expect(await a.isAlive('zz')).toBe(false);
  });

  it('sees a node that stops heartbeating as down, once', async () => {
    const a = later(new NodeRegistry(await link(), self('a'), { heartbeatMs: 100, ttlMs: 500 }));
    const deadLink = await link();
    const b = later(new NodeRegistry(deadLink, self('b'), { heartbeatMs: 100, ttlMs: 500 }));
    await a.start();
    await b.start();
    const down: string[] = [];
    a.on('nodeDown', (id) => down.push(id));
    await vi.waitFor(async () => expect(await a.isAlive('b')).toBe(true));
    // Killed: no goodbye, the key just stops being renewed.
    deadLink.command.disconnect();
    deadLink.subscriber.disconnect();
    await vi.waitFor(() => expect(down).toEqual(['b']), { timeout: 5000 });
    expect(await a.isAlive('b')).toBe(false);
    expect((await a.alive()).map((n) => n.id)).toEqual(['a']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(down).toEqual(['b']);
  });

  it('removes its own key on close, so the others see it gone at once', async () => {
    const a = later(new NodeRegistry(await link(), self('a'), { heartbeatMs: 100, ttlMs: 60_000 }));
    const b = new NodeRegistry(await link(), self('b'), { heartbeatMs: 100, ttlMs: 60_000 });
    await a.start();
    await b.start();
    await b.close();
    expect(await a.isAlive('b')).toBe(false);
  });
});

describe('shared limit windows', () => {
  const limit = { name: 'test', max: 3, windowMs: 60_000 };

  it('counts across nodes: a key at its limit on one node is at its limit on the other', async () => {
    const a = new SharedWindows(await link(), logger);
    const b = new SharedWindows(await link(), logger);
    expect(await a.take([{ limit, key: 'ip-1' }])).toBeUndefined();
    expect(await b.take([{ limit, key: 'ip-1' }])).toBeUndefined();
    expect(await a.take([{ limit, key: 'ip-1' }])).toBeUndefined();
    const refused = await b.take([{ limit, key: 'ip-1' }]);
    expect(refused).toMatchObject({ index: 0 });
    expect(refused!.retryAfterMs).toBeGreaterThan(55_000);
    expect(await a.check(limit, 'ip-1')).toMatchObject({ limited: true });
    expect(await a.check(limit, 'ip-2')).toEqual({ limited: false });
    await b.reset(limit, 'ip-1');
    expect(await a.check(limit, 'ip-1')).toEqual({ limited: false });
  });

  it('admits exactly the limit when two nodes race for the last attempts', async () => {
    const a = new SharedWindows(await link(), logger);
    const b = new SharedWindows(await link(), logger);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).take([{ limit, key: 'raced' }])),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(3);
  });

  it('counts several keys together: nothing is counted when one of them refuses', async () => {
    const a = new SharedWindows(await link(), logger);
    const tight = { name: 'tight', max: 1, windowMs: 60_000 };
    expect(await a.take([{ limit: tight, key: 'k' }])).toBeUndefined();
    expect(
      await a.take([
        { limit, key: 'k' },
        { limit: tight, key: 'k' },
      ]),
    ).toMatchObject({ index: 1 });
    // The first item was not counted by the refused take.
    for (let i = 0; i < 3; i++) expect(await a.take([{ limit, key: 'k' }])).toBeUndefined();
  });

  it('falls back to counting on this node while Redis is away', async () => {
    const l = await link();
    const a = new SharedWindows(l, logger);
    redis.kill();
    await vi.waitFor(() => expect(l.healthy).toBe(false), { timeout: 5000 });
    for (let i = 0; i < 3; i++) expect(await a.take([{ limit, key: 'offline' }])).toBeUndefined();
    expect(await a.take([{ limit, key: 'offline' }])).toMatchObject({ index: 0 });
  });
});

describe('the revocation relay', () => {
  it("delivers one node's revocations to the others, not back to itself", async () => {
    const a = later(new RedisRevocationRelay(await link(), 'node-a', logger));
    const b = later(new RedisRevocationRelay(await link(), 'node-b', logger));
    const atA: Revocation[] = [];
    const atB: Revocation[] = [];
    a.subscribe((r) => atA.push(r));
    b.subscribe((r) => atB.push(r));
    await a.start();
    await b.start();
    const ban: Revocation = { kind: 'banned', sittingId: 's1', subject: 'operator:x' };
    a.publish(ban);
    await vi.waitFor(() => expect(atB).toEqual([ban]));
    expect(atA).toEqual([]);
  });

  it('sends what was revoked while Redis was away once it is back', async () => {
    const aLink = await link();
    const a = later(new RedisRevocationRelay(aLink, 'node-a', logger));
    const b = later(new RedisRevocationRelay(await link(), 'node-b', logger));
    const atB: Revocation[] = [];
    b.subscribe((r) => atB.push(r));
    await a.start();
    await b.start();
    redis.kill();
    await vi.waitFor(() => expect(aLink.healthy).toBe(false), { timeout: 5000 });
    const disabled: Revocation = { kind: 'account_disabled', userId: 'u1' };
    a.publish(disabled);
    // Both nodes reconnect on their own schedule; B resubscribes by itself.
    redis = await startRedis({ port: redis.port });
    await vi.waitFor(() => expect(atB).toEqual([disabled]), { timeout: 10_000 });
  });
});

describe('the webhook endpoint change relay', () => {
  it('tells the other nodes that an endpoint changed, not the node that changed it', async () => {
    const a = later(new RedisEndpointChangeRelay(await link(), 'node-a', logger));
    const b = later(new RedisEndpointChangeRelay(await link(), 'node-b', logger));
    let atA = 0;
    let atB = 0;
    a.subscribe(() => atA++);
    b.subscribe(() => atB++);
    await a.start();
    await b.start();
    a.publish();
    await vi.waitFor(() => expect(atB).toBe(1));
    expect(atA).toBe(0);
  });
});
