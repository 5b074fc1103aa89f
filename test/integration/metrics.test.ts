import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeRtpParameters } from '../support/fake-media';
import { connectRaw, type RawClient } from '../support/raw-client';
import { parsePrometheus, value, type Family } from '../support/prometheus';
import { startTestServer, type TestServer } from '../support/server';

describe('GET /metrics', () => {
  let srv: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    // Trusting proxies: a forged X-Forwarded-For must still not open the metrics.
    srv = await startTestServer({ env: { TRUST_PROXY: '1' } });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  async function scrape(): Promise<Map<string, Family>> {
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  }

  it('parses as Prometheus text with the default process metrics and every family declared', async () => {
    const m = await scrape();
    expect(m.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(m.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(m.get('seduta_signalling_requests_total')?.type).toBe('counter');
    expect(m.get('seduta_signalling_errors_total')?.type).toBe('counter');
    expect(m.get('seduta_join_to_first_frame_seconds')?.type).toBe('histogram');
    expect(m.get('seduta_worker_cpu_seconds_total')?.type).toBe('counter');
    expect(value(m, 'seduta_workers')).toBe(1);
    expect(value(m, 'seduta_workers_configured')).toBe(1);
    expect(value(m, 'seduta_worker_consumers', { slot: '0' })).toBe(0);
    expect(value(m, 'seduta_worker_cpu_seconds_total', { slot: '0' })).toBeGreaterThan(0);
    for (const state of ['starting', 'recording', 'paused', 'stopping', 'finalizing', 'ready', 'failed'])
      expect(m.get('seduta_recordings')?.samples.some((s) => s.labels.state === state)).toBe(true);
    for (const role of ['host', 'commissioner', 'operator'])
      expect(value(m, 'seduta_participants', { role })).toBe(0);
  });

  it('counts requests, refusals, the live sitting, its participants, producers and join-to-first-frame', async () => {
    const before = await scrape();
    const sitting = await srv.createSitting({ title: 'Seduta pubblica' });
    const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    clients.push(host);
    await host.request({ type: 'sitting.start' });
    const { routerRtpCapabilities: caps } = await host.request({ type: 'join' });
    await host.request({ type: 'media.capabilities', rtpCapabilities: caps });
    const send = await host.request({ type: 'transport.create', direction: 'send' });
    await host.request({
      type: 'produce',
      transportId: send.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: fakeRtpParameters('video', 1000),
    });
    const op = await connectRaw(srv.url, {
      sittingId: sitting.id,
      cookie: await srv.operatorCookie(sitting.id, 'Ditta A S.r.l.'),
    });
    clients.push(op);
    // Before joining: refused with invalid_state.
    expect(await op.send({ type: 'chat.send', text: 'troppo presto' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_state' },
    });
    // An operator may not end the sitting: refused with forbidden.
    expect(await op.send({ type: 'sitting.end' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // A type the protocol does not have is counted as 'unknown', not under its own name.
    expect(await op.send({ type: 'no.such.request' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    await op.request({ type: 'join' });
    await op.request({ type: 'chat.send', text: 'Buongiorno' });
    await op.request({ type: 'stats.report', joinToFirstFrameMs: 1800 });

    const m = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      value(m, name, labels) - value(before, name, labels);
    const requests = 'seduta_signalling_requests_total';
    const errors = 'seduta_signalling_errors_total';
    expect(delta(requests, { type: 'join' })).toBe(2);
    expect(delta(requests, { type: 'chat.send' })).toBe(2);
    expect(delta(requests, { type: 'produce' })).toBe(1);
    expect(delta(requests, { type: 'unknown' })).toBe(1);
    expect(m.get(requests)?.samples.some((s) => s.labels.type === 'no.such.request')).toBe(false);
    expect(delta(errors, { type: 'chat.send', code: 'invalid_state' })).toBe(1);
    expect(delta(errors, { type: 'sitting.end', code: 'forbidden' })).toBe(1);
    expect(delta(errors, { type: 'unknown', code: 'bad_request' })).toBe(1);
    expect(delta(errors, { type: 'join', code: 'invalid_state' })).toBe(0);

    const firstFrame = 'seduta_join_to_first_frame_seconds';
    expect(delta(`${firstFrame}_count`, {})).toBe(1);
    expect(delta(`${firstFrame}_sum`, {})).toBeCloseTo(1.8);
    expect(delta(`${firstFrame}_bucket`, { le: '1.5' })).toBe(0);
    expect(delta(`${firstFrame}_bucket`, { le: '2' })).toBe(1);

    expect(value(m, 'seduta_sittings', { status: 'live' })).toBe(1);
    expect(value(m, 'seduta_sittings_with_participants')).toBe(1);
    expect(value(m, 'seduta_participants', { role: 'host' })).toBe(1);
    expect(value(m, 'seduta_participants', { role: 'operator' })).toBe(1);
    expect(value(m, 'seduta_producers')).toBe(1);
    expect(value(m, 'seduta_worker_producers', { slot: '0' })).toBe(1);
    expect(value(m, 'seduta_worker_routers', { slot: '0' })).toBe(1);

    // The operator leaves: the gauges follow.
    await op.request({ type: 'leave' });
    await vi.waitFor(async () =>
      expect(value(await scrape(), 'seduta_participants', { role: 'operator' })).toBe(0),
    );
  });

  it('reports the bit rate participants send to a worker', async () => {
    const sitting = await srv.createSitting({ title: 'Seduta con media' });
    const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    clients.push(host);
    await host.request({ type: 'sitting.start' });
    const { router } = await srv.sittings.live(sitting.id);
    // RTP from a plain UDP socket stands in for a browser: comedia learns our address from it.
    const source = await router.createPlainTransport({ participantId: 'rtp-source', comedia: true });
    await source.produce({ kind: 'video', rtpParameters: fakeRtpParameters('video', 2000) });
    const udp = dgram.createSocket('udp4');
    const payload = Buffer.alloc(1000, 0x42);
    let seq = 0;
    const sendBurst = async () => {
      for (let i = 0; i < 25; i++, seq++) {
        const header = Buffer.alloc(12);
        header.writeUInt8(0x80, 0);
        header.writeUInt8(96, 1);
        header.writeUInt16BE(seq & 0xffff, 2);
        header.writeUInt32BE(seq * 3000, 4);
        header.writeUInt32BE(2000, 8);
        await new Promise<void>((resolve, reject) =>
          udp.send(Buffer.concat([header, payload]), source.tuple.localPort, '127.0.0.1', (err) =>
            err ? reject(err) : resolve(),
          ),
        );
      }
    };
    try {
      await vi.waitFor(
        async () => {
          await sendBurst();
          const m = await scrape();
          expect(
            value(m, 'seduta_worker_bitrate_bits_per_second', { slot: '0', direction: 'in' }),
          ).toBeGreaterThan(100_000);
        },
        { timeout: 5000, interval: 50 },
      );
      const m = await scrape();
      expect(value(m, 'seduta_worker_bitrate_bits_per_second', { slot: '0', direction: 'out' })).toBe(0);
    } finally {
      udp.close();
      source.close();
    }
  });

  it('is refused (403) to a request relayed by a proxy, even one claiming to come from loopback, unless it carries the API key', async () => {
    const url = `${srv.url}/metrics`;
    const forged = { 'x-forwarded-for': '127.0.0.1' };
    expect((await fetch(url, { headers: forged })).status).toBe(403);
    expect((await fetch(url, { headers: { forwarded: 'for=127.0.0.1' } })).status).toBe(403);
    const wrongKey = await fetch(url, { headers: { ...forged, authorization: 'Bearer not-the-key' } });
    expect(wrongKey.status).toBe(403);
    expect(await wrongKey.text()).not.toContain('seduta_');
    const withKey = await fetch(url, { headers: { ...forged, authorization: `Bearer ${srv.apiKey}` } });
    expect(withKey.status).toBe(200);
    expect(parsePrometheus(await withKey.text()).has('seduta_signalling_requests_total')).toBe(true);
    // A bad key is refused even from loopback: a wrong credential is never ignored.
    expect((await fetch(url, { headers: { authorization: 'Bearer not-the-key' } })).status).toBe(403);
  });
});
