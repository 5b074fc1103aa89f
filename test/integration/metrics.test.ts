import dgram from 'node:dgram';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

/** One sample line of the Prometheus text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its TYPE, its HELP, and its samples. */
interface Family {
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case, prom-client writes 'Nan'). */
function parseValue(text: string, line: string): number {
  if (/^\+?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad value: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`bad labels: ${line}`);
    const [all, key, raw] = m as unknown as [string, string, string];
    if (key in labels) throw new Error(`label ${key} twice: ${line}`);
    labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
  }
  return labels;
}

/** The family a sample belongs to: histograms' and summaries' samples carry a suffix. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

/**
 * A strict parser of the Prometheus text format (0.0.4): HELP and TYPE once per family and before
 * its samples, every other line `name{labels} value`, histogram buckets cumulative up to +Inf = count.
 */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const help = new Map<string, string>();
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      if (kind === 'HELP') {
        if (help.has(name)) throw new Error(`HELP twice for ${name}`);
        help.set(name, rest);
      } else {
        if (families.has(name)) throw new Error(`TYPE twice for ${name}`);
        if (!TYPES.has(rest)) throw new Error(`bad type: ${line}`);
        families.set(name, { type: rest, help: help.get(name) ?? '', samples: [] });
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const [, name, labels, value] = m as unknown as [string, string, string | undefined, string];
    const family = familyOf(name, families);
    if (!family) throw new Error(`sample before its TYPE: ${line}`);
    family.samples.push({ name, labels: parseLabels(labels ?? '', line), value: parseValue(value, line) });
  }
  for (const [name, family] of families) {
    if (!help.has(name)) throw new Error(`no HELP for ${name}`);
    family.help = help.get(name) ?? '';
    if (family.type === 'counter' && family.samples.some((s) => !(s.value >= 0)))
      throw new Error(`negative counter ${name}`);
    if (family.type === 'histogram') checkHistogram(name, family);
  }
  return families;
}

function checkHistogram(name: string, family: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of family.samples.filter((x) => x.name === `${name}_bucket`)) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${name}: bucket without le`);
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, buckets] of series) {
    const les = buckets.map((b) => parseValue(b.labels.le ?? '', name));
    if (les.at(-1) !== Infinity) throw new Error(`${name}: no +Inf bucket`);
    buckets.forEach((b, i) => {
      if (i > 0 && (les[i]! <= les[i - 1]! || b.value < buckets[i - 1]!.value))
        throw new Error(`${name}: buckets not cumulative`);
    });
    const count = family.samples.find((s) => s.name === `${name}_count` && JSON.stringify(s.labels) === key);
    if (count?.value !== buckets.at(-1)?.value) throw new Error(`${name}: +Inf bucket is not the count`);
  }
}

/** The value of one sample (0 when the series is absent: a labelled counter not yet incremented). */
function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = familyOf(name, families);
  const sample = family?.samples.find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return sample?.value ?? 0;
}

const videoRtp = (ssrc: number): types.RtpParameters => ({
  mid: '0',
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [] }],
  headerExtensions: [],
  encodings: [{ ssrc }],
  rtcp: { cname: `c${ssrc}` },
});

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
      rtpParameters: videoRtp(1000),
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
    await source.produce({ kind: 'video', rtpParameters: videoRtp(2000) });
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
