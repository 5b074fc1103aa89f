/**
 * The in-memory copy of the endpoints against the embedded database (PGlite, in memory): which
 * endpoints an event is written for after a change through this node, after another node's
 * notice, and when the copy is behind the database.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { openDatabase, type OpenedDatabase } from '../db/open';
import type { WebhookDispatcher } from './dispatcher';
import { EndpointCache, type EndpointChangeRelay } from './endpoint-cache';
import { deactivateEndpoint, listDeliveries, upsertEndpoint, webhookDb, type WebhookDb } from './store';
import { WebhookEvents } from './webhook-events';

const logger = pino({ level: 'silent' });
const noDispatch = { wake: () => undefined } as unknown as WebhookDispatcher;

/** Two nodes' relays joined in memory: what one publishes, the other hears. */
function relayPair(): [EndpointChangeRelay, EndpointChangeRelay] {
  const listeners: Array<(() => void) | undefined> = [undefined, undefined];
  const relay = (me: 0 | 1): EndpointChangeRelay => ({
    publish: () => listeners[1 - me]?.(),
    subscribe: (l) => (listeners[me] = l),
  });
  return [relay(0), relay(1)];
}

describe('webhook endpoint cache', () => {
  let opened: OpenedDatabase;
  let db: WebhookDb;
  const caches: EndpointCache[] = [];
  const cache = async (relay?: EndpointChangeRelay) => {
    const c = new EndpointCache(db, logger, relay);
    caches.push(c);
    await c.start();
    return c;
  };
  const deliveriesOf = async (eventId: string) =>
    (await listDeliveries(db, { limit: 100, offset: 0 })).deliveries.filter((d) => d.eventId === eventId);

  beforeAll(async () => {
    opened = await openDatabase(loadConfig({ DATA_DIR: '/nonexistent-endpoint-cache' }), logger, {
      pgliteDataDir: 'memory://',
    });
    await migrateToLatest(opened.db, logger);
    db = webhookDb(opened.db);
  });

  afterAll(async () => {
    for (const c of caches) c.close();
    await opened?.close();
  });

  it('writes an event for an endpoint created through this node, and none once it is removed', async () => {
    const endpoints = await cache();
    const events = new WebhookEvents(db, endpoints, noDispatch, logger);
    expect((await events.emit('participant.joined', {})).deliveries).toBe(0);

    await upsertEndpoint(db, {
      apiKeyId: 'key_a',
      url: 'http://127.0.0.1:1/a',
      events: ['participant.joined'],
      secret: 's',
    });
    await endpoints.changed();
    const joined = await events.emit('participant.joined', {});
    expect(joined.deliveries).toBe(1);
    expect((await deliveriesOf(joined.eventId)).map((d) => d.url)).toEqual(['http://127.0.0.1:1/a']);
    // Not subscribed to this type: nothing written.
    expect((await events.emit('participant.left', {})).deliveries).toBe(0);

    await deactivateEndpoint(db, 'key_a');
    await endpoints.changed();
    const after = await events.emit('participant.joined', {});
    expect(after.deliveries).toBe(0);
    expect(await deliveriesOf(after.eventId)).toEqual([]);
  });

  it('writes nothing for an endpoint removed elsewhere before this copy heard of it', async () => {
    await upsertEndpoint(db, {
      apiKeyId: 'key_b',
      url: 'http://127.0.0.1:1/b',
      events: ['sitting.started'],
      secret: 's',
    });
    const stale = await cache();
    await deactivateEndpoint(db, 'key_b'); // no notice: the copy still lists it
    const events = new WebhookEvents(db, stale, noDispatch, logger);
    const { eventId, deliveries } = await events.emit('sitting.started', {});
    expect(deliveries).toBe(0);
    expect(await deliveriesOf(eventId)).toEqual([]);
  });

  it("reads the endpoints again when another node's change is relayed", async () => {
    const [here, there] = relayPair();
    const a = await cache(here);
    const b = await cache(there);
    await upsertEndpoint(db, {
      apiKeyId: 'key_c',
      url: 'http://127.0.0.1:1/c',
      events: ['sitting.ended'],
      secret: 's',
    });
    expect(await b.subscribedTo('sitting.ended')).toEqual([]);
    await a.changed(); // node A's route: tells B, then reads again itself
    await b.reload(); // waits for the read B's notice started
    expect((await a.subscribedTo('sitting.ended')).map((e) => e.eventTypes)).toEqual([['sitting.ended']]);
    expect(await b.subscribedTo('sitting.ended')).toHaveLength(1);
    const { deliveries } = await new WebhookEvents(db, b, noDispatch, logger).emit('sitting.ended', {});
    expect(deliveries).toBe(1);
  });

  it('starts while the database is down, and reads the endpoints at the first event once it is back', async () => {
    let down = true;
    // The same database behind a switch: reads throw while `down`.
    const flaky = new Proxy(db, {
      get(target, key) {
        if (key === 'selectFrom' && down) throw new Error('connect ECONNREFUSED');
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const c = new EndpointCache(flaky, logger);
    caches.push(c);
    await expect(c.start()).resolves.toBeUndefined();
    await expect(c.subscribedTo('sitting.ended')).rejects.toThrow(/ECONNREFUSED/);
    const row = await upsertEndpoint(db, {
      apiKeyId: 'key_down',
      url: 'http://127.0.0.1:1/down',
      events: ['sitting.ended'],
      secret: 's',
    });
    down = false;
    expect((await c.subscribedTo('sitting.ended')).map((e) => e.id)).toContain(row.id);
    await deactivateEndpoint(db, 'key_down');
  });
});
