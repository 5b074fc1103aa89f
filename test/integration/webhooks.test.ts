/**
 * Issue 13, item 5: webhooks to the procurement platform. A receiver in the test (node:http on
 * 127.0.0.1) answers 500 to the first delivery of each event and 200 after: every event arrives,
 * its signature verifies with the endpoint's secret (checked here as the README tells the
 * platform's developers to), its id is the same on the retry, and the admins' delivery log shows
 * two attempts and `delivered`. A receiver that never answers 2xx gets the event marked failed once
 * the retry window — 24 h, shortened here through WEBHOOK_RETRY_WINDOW_SECONDS — is over.
 * recording.ready comes from a real recording (FFmpeg publisher, recorder, finalize).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPublisher, type Publisher } from '../../recorder/test-support/ffmpeg-publisher';
import { connectRaw, type RawClient } from '../support/raw-client';
import { WebhookDispatcher } from '../../server/src/webhooks/dispatcher';
import { EndpointCache } from '../../server/src/webhooks/endpoint-cache';
import { generateSecret } from '../../server/src/webhooks/signature';
import { listDeliveries, upsertEndpoint, webhookDb } from '../../server/src/webhooks/store';
import { WebhookEvents } from '../../server/src/webhooks/webhook-events';
import { testDatabases, testLogger, type TestDatabase } from '../support/databases';
import { startTestServer, type StaffCredentials, type TestServer } from '../support/server';

/** One request the receiver got, and what it answered. */
interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** Verifies a delivery as the platform would (README, Webhooks): HMAC of `timestamp.body`. */
function signatureVerifies(secret: string, r: Received): boolean {
  const timestamp = String(r.headers['seduta-timestamp']);
  const given = /^v1=([0-9a-f]{64})$/.exec(String(r.headers['seduta-signature']))?.[1];
  if (!given || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/** A delivery's body. */
interface EventBody {
  id: string;
  type: string;
  createdAt: string;
  data: {
    sitting?: Record<string, unknown>;
    participant?: Record<string, unknown>;
    recording?: Record<string, unknown>;
    sittingId?: string;
  };
}

const WAIT = { timeout: 30_000, interval: 50 };

describe('webhooks to the procurement platform', () => {
  let srv: TestServer;
  let receiver: http.Server;
  let base: string;
  let admin: StaffCredentials;
  const received: Received[] = [];
  const seen = new Set<string>();
  const clients: RawClient[] = [];
  const publishers: Publisher[] = [];
  let recordingsDir: string;

  /** Calls the platform API with the API key. */
  async function platform(method: string, path: string, body?: unknown) {
    const res = await fetch(`${srv.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${srv.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  /** The delivery log as an admin reads it. */
  async function deliveryLog(query = '') {
    const res = await fetch(`${srv.url}/api/admin/webhooks/deliveries${query}`, {
      headers: { cookie: admin.cookie },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      total: number;
      deliveries: Array<{
        eventId: string;
        type: string;
        status: string;
        attempts: number;
        lastStatus: number | null;
        lastError: string | null;
        deliveredAt: string | null;
        payload: { id: string; type: string; data: Record<string, unknown> };
      }>;
    };
  }

  const connect = async (...args: Parameters<typeof connectRaw>) => {
    const c = await connectRaw(...args);
    clients.push(c);
    return c;
  };

  const bodyOf = (r: Received) => JSON.parse(r.body) as EventBody;

  beforeAll(async () => {
    // /flaky: 500 to the first delivery of each event, 200 after; /down: always 503.
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const id = String(req.headers['seduta-event-id']);
        let answered = 503;
        if (req.url === '/flaky') {
          answered = seen.has(id) ? 200 : 500;
          seen.add(id);
        }
        received.push({ path: req.url ?? '', headers: req.headers, body, answered });
        res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'not now');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    // The recordings feature reads its settings from the process environment (see ADR 0011).
    recordingsDir = await mkdtemp(path.join(os.tmpdir(), 'seduta-webhooks-'));
    process.env.RECORDINGS_DIR = recordingsDir;
    srv = await startTestServer({
      env: {
        // The schedule scaled down: 50 ms, 150 ms, 600 ms…; the 24 h window made 8 s.
        WEBHOOK_RETRY_FIRST_MS: '50',
        WEBHOOK_RETRY_WINDOW_SECONDS: '8',
      },
    });
    admin = await srv.signIn('admin', 'Amministratore');
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(publishers.map((p) => p.stop()));
    await srv?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    delete process.env.RECORDINGS_DIR;
    if (recordingsDir) await rm(recordingsDir, { recursive: true, force: true });
  }, 120_000);

  it('refuses endpoint URLs that are not http(s) or carry credentials, and says so', async () => {
    for (const url of [
      'ftp://127.0.0.1/x',
      'http://user:pw@127.0.0.1/x',
      'not a url',
      'javascript:alert(1)',
    ]) {
      const res = await platform('PUT', '/api/platform/webhook', { url });
      expect(res.status, url).toBe(400);
      expect(res.json.error.code).toBe('bad_request');
      expect(res.json.error.message).toMatch(/^url: /);
    }
    const unknown = await platform('PUT', '/api/platform/webhook', {
      url: `${base}/x`,
      events: ['sitting.exploded'],
    });
    expect(unknown.status).toBe(400);
    expect((await platform('GET', '/api/platform/webhook')).status).toBe(404);
  });

  it('delivers every event of a sitting — 500 once, then 200 — signed, with the same id on the retry', async () => {
    const put = await platform('PUT', '/api/platform/webhook', {
      url: `${base}/flaky`,
      events: [
        'sitting.scheduled',
        'sitting.started',
        'sitting.ended',
        'participant.joined',
        'participant.left',
      ],
    });
    expect(put.status).toBe(200);
    const secret = put.json.secret as string;
    expect(secret).toMatch(/^whsec_/);
    const got = await platform('GET', '/api/platform/webhook');
    expect(got.json.endpoint).toMatchObject({ url: `${base}/flaky`, active: true });
    expect(JSON.stringify(got.json)).not.toContain(secret);

    // The platform schedules the sitting; its host starts it, an operator comes and goes, it ends.
    const host = await srv.host();
    const created = await platform('POST', '/api/platform/sittings', {
      title: 'Apertura buste — lotto 7',
      hostEmail: host.user.email,
    });
    expect(created.status).toBe(201);
    const sittingId = created.json.sitting.id as string;
    const hostClient = await connect(srv.url, { sittingId, cookie: host.cookie });
    await hostClient.request({ type: 'sitting.start' });
    await hostClient.request({ type: 'join' });
    const op = await connect(srv.url, {
      sittingId,
      cookie: await srv.operatorCookie(sittingId, 'Mario Rossi — Edilizia Srl', 'op-42'),
    });
    await op.request({ type: 'join' });
    await op.request({ type: 'leave' });
    await hostClient.request({ type: 'sitting.end' });

    const expected = [
      'sitting.scheduled',
      'sitting.started',
      'participant.joined',
      'participant.joined',
      'participant.left',
      'sitting.ended',
    ];
    const flaky = () => received.filter((r) => r.path === '/flaky');
    await vi.waitFor(() => {
      const ok = flaky().filter((r) => r.answered === 200);
      expect(ok.map((r) => bodyOf(r).type).sort()).toEqual([...expected].sort());
    }, WAIT);

    const ids = new Set(flaky().map((r) => bodyOf(r).id));
    expect(ids.size).toBe(expected.length);
    for (const id of ids) {
      const attempts = flaky().filter((r) => bodyOf(r).id === id);
      // Exactly one refused attempt and one accepted retry, both carrying the same event id.
      expect(attempts.map((r) => r.answered)).toEqual([500, 200]);
      for (const r of attempts) {
        expect(r.headers['seduta-event-id']).toBe(id);
        expect(r.headers['content-type']).toBe('application/json');
        expect(signatureVerifies(secret, r), `signature of ${bodyOf(r).type}`).toBe(true);
        expect(signatureVerifies('whsec_wrong', r)).toBe(false);
      }
      expect(attempts[1]!.body).toBe(attempts[0]!.body);
    }

    const byType = (type: string) =>
      flaky()
        .filter((r) => r.answered === 200 && bodyOf(r).type === type)
        .map(bodyOf);
    expect(byType('sitting.scheduled')[0]!.data.sitting).toMatchObject({
      id: sittingId,
      title: 'Apertura buste — lotto 7',
      status: 'scheduled',
    });
    expect(byType('sitting.started')[0]!.data).toMatchObject({
      sitting: { id: sittingId, status: 'live' },
      previousStatus: 'scheduled',
    });
    expect(byType('sitting.ended')[0]!.data.sitting).toMatchObject({ id: sittingId, status: 'ended' });
    expect(
      byType('participant.joined')
        .map((e) => e.data.participant?.role)
        .sort(),
    ).toEqual(['host', 'operator']);
    expect(byType('participant.left')[0]!.data).toMatchObject({
      sittingId,
      participant: { name: 'Mario Rossi — Edilizia Srl', role: 'operator', subject: 'op-42' },
    });
    for (const e of byType('sitting.started')) expect(typeof e.data.sitting?.startedAt).toBe('string');

    // The admins' delivery log: each of these events delivered at the second attempt.
    await vi.waitFor(async () => {
      const log = await deliveryLog('?limit=200');
      const ours = log.deliveries.filter((d) => ids.has(d.eventId));
      expect(ours).toHaveLength(expected.length);
      for (const d of ours) {
        expect(d).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 200, lastError: null });
        expect(d.deliveredAt).not.toBeNull();
        expect(d.payload.id).toBe(d.eventId);
      }
    }, WAIT);
    const started = await deliveryLog('?type=sitting.started&status=delivered');
    expect(started.deliveries.map((d) => d.type)).toEqual(['sitting.started']);
    expect(started.total).toBe(1);
  });

  it('sends recording.ready with the final file, once the recorder has finalized it', async () => {
    const put = await platform('PUT', '/api/platform/webhook', {
      url: `${base}/flaky`,
      events: ['recording.ready'],
    });
    expect(put.status).toBe(200);
    const sitting = await srv.createSitting({ title: 'Seduta registrata' });
    const host = await connect(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    await host.request({ type: 'sitting.start' });
    await host.request({ type: 'join' });
    // The media comes from an FFmpeg publisher announced to the sitting as a participant's would be.
    const live = await srv.sittings.live(sitting.id);
    const publisher = await startPublisher(live.router, {
      participantId: 'ffmpeg-host',
      frequency: 440,
      maxSeconds: 60,
    });
    publishers.push(publisher);
    const ref = { participantId: 'ffmpeg-host', participantName: 'Presidente', isHost: true };
    live.recordable.add({ ...ref, producer: publisher.video, source: 'camera' });
    live.recordable.add({ ...ref, producer: publisher.audio, source: 'microphone' });
    await host.request({ type: 'recording.start' });
    await host.waitForNote('recording.state', (n) => n.recording.state === 'recording');
    // Recording is about time passing: let some media reach the segments.
    await new Promise((r) => setTimeout(r, 2000));
    await host.request({ type: 'recording.stop' });
    await srv.app.recorder.finalizeIdle();
    const [recording] = await srv.app.recorder.list(sitting.id);
    expect(recording).toMatchObject({ error: null, state: 'ready' });

    const ready = await vi.waitFor(() => {
      const ok = received.filter(
        (r) =>
          r.answered === 200 &&
          bodyOf(r).type === 'recording.ready' &&
          bodyOf(r).data.sittingId === sitting.id,
      );
      expect(ok).toHaveLength(1);
      return ok[0]!;
    }, WAIT);
    expect(signatureVerifies(put.json.secret, ready)).toBe(true);
    const attempts = received.filter((r) => bodyOf(r).id === bodyOf(ready).id);
    expect(attempts.map((r) => r.answered)).toEqual([500, 200]);
    expect(bodyOf(ready).data.recording).toMatchObject({
      id: recording!.id,
      sittingId: sitting.id,
      sha256: recording!.final!.sha256,
      size: recording!.final!.size,
    });
    expect(bodyOf(ready).data.recording?.durationSeconds).toBeGreaterThan(0);
    await host.request({ type: 'sitting.end' });
  }, 120_000);

  it('sends only the events subscribed to, and a ping on request', async () => {
    const put = await platform('PUT', '/api/platform/webhook', {
      url: `${base}/flaky`,
      events: ['sitting.ended'],
    });
    expect(put.status).toBe(200);
    expect(put.json.endpoint.events).toEqual(['sitting.ended']);
    const before = received.length;
    const created = await platform('POST', '/api/platform/sittings', { title: 'Non annunciata' });
    expect(created.status).toBe(201);
    const ping = await platform('POST', '/api/platform/webhook/test');
    expect(ping.status).toBe(202);
    await vi.waitFor(() => {
      const pings = received.filter((r) => r.answered === 200 && bodyOf(r).id === ping.json.eventId);
      expect(pings).toHaveLength(1);
      expect(bodyOf(pings[0]!).type).toBe('ping');
      expect(signatureVerifies(put.json.secret, pings[0]!)).toBe(true);
    }, WAIT);
    // The new sitting's sitting.scheduled was not subscribed to: nothing but the ping arrived.
    expect(received.slice(before).every((r) => bodyOf(r).type === 'ping')).toBe(true);
  });

  it('marks an event failed when the receiver never answers 2xx within the retry window', async () => {
    const put = await platform('PUT', '/api/platform/webhook', { url: `${base}/down` });
    expect(put.status).toBe(200);
    expect(put.json.endpoint.events).toContain('sitting.scheduled');
    expect(put.json.endpoint.events).not.toContain('participant.joined');
    const created = await platform('POST', '/api/platform/sittings', { title: 'Seduta senza risposta' });
    const sittingId = created.json.sitting.id as string;

    const failed = await vi.waitFor(async () => {
      const log = await deliveryLog('?type=sitting.scheduled&status=failed');
      const d = log.deliveries.find((x) => (x.payload.data.sitting as { id: string }).id === sittingId);
      expect(d).toBeDefined();
      return d!;
    }, WAIT);
    expect(failed.attempts).toBeGreaterThanOrEqual(3);
    expect(failed).toMatchObject({ lastStatus: 503, deliveredAt: null });
    expect(failed.lastError).toMatch(/^HTTP 503/);
    const attempts = received.filter((r) => r.path === '/down' && bodyOf(r).id === failed.eventId);
    expect(attempts).toHaveLength(failed.attempts);
    for (const r of attempts) expect(r.headers['seduta-event-id']).toBe(failed.eventId);

    // Removed: the platform's GET says so; nothing more is sent to it.
    expect((await platform('DELETE', '/api/platform/webhook')).status).toBe(204);
    expect((await platform('GET', '/api/platform/webhook')).status).toBe(404);
    expect((await platform('POST', '/api/platform/webhook/test')).status).toBe(404);
  });
});

/**
 * The outbox on each database (PGlite, and PostgreSQL when one answers): two dispatchers — as two
 * servers would run — share the deliveries; `FOR UPDATE SKIP LOCKED` and the lease make each
 * event arrive once when the receiver accepts it at once.
 */
describe.each(testDatabases())('the webhook outbox on %s', (_kind, target) => {
  let t: TestDatabase;
  let receiver: http.Server;
  let url: string;
  const got: string[] = [];
  const dispatchers: WebhookDispatcher[] = [];

  beforeAll(async () => {
    t = await target.open();
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        got.push(String(req.headers['seduta-event-id']));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  }, 60_000);

  afterAll(async () => {
    for (const d of dispatchers) await d.close();
    await new Promise((resolve) => receiver?.close(resolve));
    await t?.close();
  });

  it('delivers each of 40 events once with two dispatchers sharing the database', async () => {
    const db = webhookDb(t.handle.db);
    await upsertEndpoint(db, {
      apiKeyId: 'key_test',
      url,
      events: ['sitting.ended'],
      secret: generateSecret(),
    });
    for (let i = 0; i < 2; i++) {
      // A generous timeout: an attempt timed out on a loaded machine would rightly be sent again.
      const retry = { firstDelayMs: 50, windowMs: 60_000 };
      dispatchers.push(new WebhookDispatcher({ db, logger: testLogger, timeoutMs: 10_000, retry }));
    }
    const [a, b] = dispatchers as [WebhookDispatcher, WebhookDispatcher];
    const endpoints = new EndpointCache(db, testLogger);
    await endpoints.start();
    const writer = new WebhookEvents(db, endpoints, a, testLogger);
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) ids.add((await writer.emit('sitting.ended', { n: i })).eventId);
    a.wake();
    b.wake();
    await vi.waitFor(async () => {
      const log = await listDeliveries(db, { status: 'delivered', limit: 200, offset: 0 });
      expect(log.total).toBe(40);
    }, WAIT);
    expect([...got].sort()).toEqual([...ids].sort());
    const log = await listDeliveries(db, { limit: 200, offset: 0 });
    expect(log.deliveries.every((d) => d.attempts === 1 && d.lastStatus === 204)).toBe(true);
  });
});
