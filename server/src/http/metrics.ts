/**
 * `GET /metrics`: Prometheus text format (prom-client), on a registry of this app's own, so tests
 * can run several servers in one process. Open without credentials only to a loopback peer that
 * no proxy relayed (no X-Forwarded-For / Forwarded header); anyone else needs the API key
 * (`Authorization: Bearer <key>`), else 403. See docs/decisions/0017-metrics.md.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppDeps } from '../app';
import { RECORDING_STATES, SITTING_STATUSES } from '../db/schema';
import type { ErrorCode, Role } from '../protocol';
import type { ConnectedParticipants, RequestLabel, SignallingMetrics } from '../signalling/metrics';

declare module 'fastify' {
  interface FastifyInstance {
    /** The signalling side of the metrics (see signalling/metrics.ts). */
    metrics: SignallingMetrics;
  }
}

/** Roles a participant can have: every one is reported, with 0 when nobody has it. */
const ROLES: readonly Role[] = ['admin', 'host', 'commissioner', 'operator'];
/** How long a scrape waits for the database's counts before reporting the previous ones. */
const DB_COUNT_TIMEOUT_MS = 1000;
/** Join-to-first-frame buckets, in seconds: the benchmark's p95 is about 3 s. */
const FIRST_FRAME_BUCKETS = [0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 20, 30, 60];

/** Resolves `p`, or rejects after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Whether the request may read the metrics: a direct loopback peer, or the API key. */
function mayRead(request: FastifyRequest, isApiKey: (key: string) => boolean): boolean {
  const auth = request.headers.authorization;
  if (auth !== undefined) {
    const [scheme, key] = auth.split(' ', 2);
    return scheme === 'Bearer' && key !== undefined && isApiKey(key);
  }
  // The socket's peer, not request.ip: with TRUST_PROXY, request.ip is whatever the client forwarded.
  const peer = request.socket.remoteAddress ?? '';
  const loopback = peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
  // A local reverse proxy relays browsers' requests: those need the key like any remote caller.
  const relayed = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  return loopback && !relayed;
}

async function metricsFeature(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const log = deps.logger.child({ module: 'metrics' });
  const registry = new Registry();
  // Event-loop delay sampled every 100 ms, not prom-client's 10 ms: its timer woke an idle server
  // 100 times a second (about 15 ms of CPU a second, measured in the benchmark's server child).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const { pool } = deps;
  const db = deps.db.db;

  const requests = new Counter({
    name: 'seduta_signalling_requests_total',
    help: 'Signalling requests answered, by request type (unknown types as "unknown").',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'seduta_signalling_errors_total',
    help: 'Signalling requests refused or failed, by request type and error code.',
    labelNames: ['type', 'code'] as const,
    registers: [registry],
  });
  const firstFrame = new Histogram({
    name: 'seduta_join_to_first_frame_seconds',
    help: "Time from a client's join to its first decoded video frame, as clients report it (stats.report).",
    buckets: FIRST_FRAME_BUCKETS,
    registers: [registry],
  });

  let countParticipants: () => ConnectedParticipants = () => ({ byRole: new Map(), sittings: 0 });
  new Gauge({
    name: 'seduta_participants',
    help: 'Participants joined to a live sitting with their connection open, by role.',
    labelNames: ['role'] as const,
    registers: [registry],
    collect() {
      const { byRole } = countParticipants();
      for (const role of ROLES) this.set({ role }, byRole.get(role) ?? 0);
    },
  });
  new Gauge({
    name: 'seduta_sittings_with_participants',
    help: 'Live sittings in this process with at least one participant connected.',
    registers: [registry],
    collect() {
      this.set(countParticipants().sittings);
    },
  });
  new Gauge({
    name: 'seduta_sittings',
    help: 'Sittings by status, as the database holds them (live sittings: status="live").',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      try {
        const rows = await within(
          db
            .selectFrom('sittings')
            .select((eb) => ['status', eb.fn.countAll<string>().as('n')])
            .groupBy('status')
            .execute(),
          DB_COUNT_TIMEOUT_MS,
        );
        const counts = new Map(rows.map((r) => [r.status, Number(r.n)]));
        for (const status of SITTING_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      } catch (err) {
        log.warn({ err }, 'metrics: could not count sittings');
      }
    },
  });
  new Gauge({
    name: 'seduta_recordings',
    help: 'Recordings by state, as the database holds them.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const rows = await within(
          db
            .selectFrom('recordings')
            .select((eb) => ['state', eb.fn.countAll<string>().as('n')])
            .groupBy('state')
            .execute(),
          DB_COUNT_TIMEOUT_MS,
        );
        const counts = new Map(rows.map((r) => [r.state, Number(r.n)]));
        for (const state of RECORDING_STATES) this.set({ state }, counts.get(state) ?? 0);
      } catch (err) {
        log.warn({ err }, 'metrics: could not count recordings');
      }
    },
  });

  new Gauge({
    name: 'seduta_workers',
    help: 'mediasoup workers alive (see seduta_workers_configured).',
    registers: [registry],
    collect() {
      this.set(pool.workerCount);
    },
  });
  new Gauge({
    name: 'seduta_workers_configured',
    help: 'mediasoup workers the pool is configured to run.',
    registers: [registry],
    collect() {
      this.set(pool.configuredWorkers);
    },
  });
  // One gauge per measure of the pool's stats(), labelled by slot (bounded by the worker count).
  const perWorker = (
    name: string,
    help: string,
    value: (s: ReturnType<typeof pool.stats>[number]) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['slot'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of pool.stats()) this.set({ slot: String(s.slot) }, value(s));
      },
    });
  perWorker('seduta_worker_routers', 'Sitting routers on each live worker.', (s) => s.routers);
  perWorker(
    'seduta_worker_producers',
    'Producers of the sittings whose router is on each worker.',
    (s) => s.producers,
  );
  perWorker('seduta_worker_consumers', 'Consumers on each live worker.', (s) => s.consumers);
  const total = (name: string, help: string, value: (s: ReturnType<typeof pool.stats>[number]) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pool.stats().reduce((sum, s) => sum + value(s), 0));
      },
    });
  total('seduta_producers', 'Producers on every worker.', (s) => s.producers);
  total('seduta_consumers', 'Consumers on every worker.', (s) => s.consumers);
  new Gauge({
    name: 'seduta_worker_bitrate_bits_per_second',
    help: 'Media bit rate on each live worker\'s transports: direction="in" from participants, "out" to participants and the recorder.',
    labelNames: ['slot', 'direction'] as const,
    registers: [registry],
    async collect() {
      const rates = await pool.bitrates();
      this.reset();
      for (const r of rates) {
        this.set({ slot: String(r.slot), direction: 'in' }, r.recvBitrate);
        this.set({ slot: String(r.slot), direction: 'out' }, r.sendBitrate);
      }
    },
  });
  new Counter({
    name: 'seduta_worker_cpu_seconds_total',
    help: 'CPU time (user + system) of each live worker since it started; restarts at 0 when a worker is replaced.',
    labelNames: ['slot'] as const,
    registers: [registry],
    async collect() {
      const usage = await pool.cpuUsage();
      this.reset();
      for (const u of usage) this.inc({ slot: String(u.slot) }, u.cpuSeconds);
    },
  });

  const metrics: SignallingMetrics = {
    request(type: RequestLabel, errorCode: ErrorCode | undefined) {
      requests.inc({ type });
      if (errorCode !== undefined) errors.inc({ type, code: errorCode });
    },
    joinToFirstFrame(ms: number) {
      firstFrame.observe(ms / 1000);
    },
    countParticipants(count) {
      countParticipants = count;
    },
  };
  app.decorate('metrics', metrics);

  app.get('/metrics', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    if (!mayRead(request, (key) => app.access.isApiKey(key))) {
      return reply.code(403).send({
        error: {
          code: 'forbidden',
          message: 'metrics are open to loopback only; elsewhere send Authorization: Bearer <API key>',
        },
      });
    }
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
  app.addHook('onClose', async () => registry.clear());
}

/** Prometheus metrics: `GET /metrics` and `app.metrics` for signalling. Register before sittings. */
export const metricsPlugin = fp(metricsFeature, { name: 'metrics', dependencies: ['access'] });
