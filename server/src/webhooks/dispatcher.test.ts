/**
 * The dispatcher against the embedded database (PGlite, in memory) and a receiver on 127.0.0.1:
 * what the receiver gets, and what the delivery log then says.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { openDatabase, type OpenedDatabase } from '../db/open';
import { WebhookDispatcher } from './dispatcher';
import { generateSecret, verifySignature } from './signature';
import { EndpointCache } from './endpoint-cache';
import { listDeliveries, upsertEndpoint, webhookDb, type WebhookDb } from './store';
import { WebhookEvents } from './webhook-events';

const logger = pino({ level: 'silent' });
const WAIT = { timeout: 20_000, interval: 25 };

describe('webhook dispatcher', () => {
  let opened: OpenedDatabase;
  let db: WebhookDb;
  let receiver: http.Server;
  let url: string;
  /** What the receiver answers next, by path. */
  const answers: Record<string, () => number> = {};
  const got: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const dispatchers: WebhookDispatcher[] = [];

  const dispatcher = (timeoutMs: number, windowMs = 60_000) => {
    const d = new WebhookDispatcher({ db, logger, timeoutMs, retry: { firstDelayMs: 20, windowMs } });
    dispatchers.push(d);
    return d;
  };

  beforeAll(async () => {
    opened = await openDatabase(loadConfig({ DATA_DIR: '/nonexistent-webhooks' }), logger, {
      pgliteDataDir: 'memory://',
    });
    await migrateToLatest(opened.db, logger);
    db = webhookDb(opened.db);
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        got.push({ path: req.url ?? '', headers: req.headers, body });
        const answer = answers[req.url ?? '']?.() ?? 200;
        if (answer === 0) return; // never answers: the attempt times out
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  }, 60_000);

  /** The endpoints' copy, read now (after the test's upsert). */
  const caches: EndpointCache[] = [];
  const loadedEndpoints = async (): Promise<EndpointCache> => {
    const cache = new EndpointCache(db, logger);
    caches.push(cache);
    await cache.start();
    return cache;
  };

  afterAll(async () => {
    for (const c of caches) c.close();
    for (const d of dispatchers) await d.close();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    await opened?.close();
  });

  it('sends each event once when two dispatchers share the database', async () => {
    const secret = generateSecret();
    await upsertEndpoint(db, { apiKeyId: 'key_a', url: `${url}/two`, events: ['sitting.started'], secret });
    // A generous timeout: an attempt timed out on a loaded machine is sent again (at-least-once).
    const [a, b] = [dispatcher(10_000), dispatcher(10_000)];
    const events = new WebhookEvents(db, await loadedEndpoints(), a, logger);
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await events.emit('sitting.started', { n: i })).eventId);
    b.wake();
    await vi.waitFor(async () => {
      const log = await listDeliveries(db, { status: 'delivered', limit: 200, offset: 0 });
      expect(log.total).toBe(25);
    }, WAIT);
    const bodies = got.filter((r) => r.path === '/two');
    expect(bodies.map((r) => r.headers['seduta-event-id']).sort()).toEqual([...ids].sort());
    for (const r of bodies) {
      expect(
        verifySignature(
          secret,
          String(r.headers['seduta-timestamp']),
          r.body,
          String(r.headers['seduta-signature']),
        ),
      ).toBe(true);
      expect(JSON.parse(r.body).id).toBe(r.headers['seduta-event-id']);
    }
  });

  it('records a receiver that does not answer in time, retries it, and fails it after the window', async () => {
    answers['/silent'] = () => 0;
    await upsertEndpoint(db, {
      apiKeyId: 'key_a',
      url: `${url}/silent`,
      events: ['sitting.ended'],
      secret: 's',
    });
    const d = dispatcher(300, 1_500);
    const { eventId } = await new WebhookEvents(db, await loadedEndpoints(), d, logger).emit(
      'sitting.ended',
      {},
    );
    const failed = await vi.waitFor(async () => {
      const log = await listDeliveries(db, { status: 'failed', type: 'sitting.ended', limit: 10, offset: 0 });
      expect(log.deliveries).toHaveLength(1);
      return log.deliveries[0]!;
    }, WAIT);
    expect(failed.eventId).toBe(eventId);
    expect(failed.attempts).toBeGreaterThanOrEqual(2);
    expect(failed.lastStatus).toBeNull();
    expect(failed.lastError).toMatch(/no answer within 300 ms/);
  });
});
