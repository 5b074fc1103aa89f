import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { TypedEmitter } from './emitter';
import { MediaClosedError } from './errors';
import { MEDIA_CODECS } from './codecs';
import { MediaRouter } from './media-router';
import { resolvePoolOptions } from './options';
import type { ResolvedPoolOptions, WorkerPoolOptions } from './options';
import type { SpillRouter, SpreadHost } from './spread';
import { startWorker, subprocessClosed } from './worker-slot';
import type { StartedWorker } from './worker-slot';

/** Payload of the pool's 'workerreplaced' event. */
export interface WorkerReplacedEvent {
  /** Index of the worker slot (0-based); the slot keeps its WebRTC port. */
  slot: number;
  /** WebRTC port (UDP and TCP) of the slot, bound again by the new worker. */
  rtcPort: number;
  oldPid: number;
  newPid: number;
}

/** Events of a {@link WorkerPool}. */
export type WorkerPoolEvents = {
  /** A worker died and a new one now serves its slot; the dead worker's routers were closed. */
  workerreplaced: [event: WorkerReplacedEvent];
};

/** Load of one live worker, for tests, benchmarks and the admin status page. */
export interface WorkerStats {
  slot: number;
  pid: number;
  rtcPort: number;
  routers: number;
  consumers: number;
  /** Producers of the sittings whose router is on this worker. */
  producers: number;
}

/** Media bit rates of a live worker's participant transports, in bits per second. */
export interface WorkerBitrate {
  slot: number;
  pid: number;
  /** Received from participants (what they publish). */
  recvBitrate: number;
  /** Sent to participants (what they watch). */
  sendBitrate: number;
}

/** CPU time a live worker has used since it started (mediasoup's getResourceUsage), by slot. */
export interface WorkerCpuUsage {
  slot: number;
  pid: number;
  /** User plus system CPU time, in seconds. */
  cpuSeconds: number;
}

/** First wait before restarting a dead worker again after a failed attempt; doubles each time. */
const REPLACE_BACKOFF_MIN_MS = 100;
/** Longest wait between two restart attempts; the pool keeps trying until it is closed. */
const REPLACE_BACKOFF_MAX_MS = 10_000;
/** How long createRouter() waits for a worker when every slot is being replaced. */
const WAIT_FOR_WORKER_MS = 10_000;

interface Slot {
  readonly index: number;
  readonly rtcPort: number;
  readonly routers: Set<MediaRouter>;
  /** Undefined while the slot's worker is dead and being replaced. */
  live: StartedWorker | undefined;
  replacing: Promise<void> | undefined;
}

/**
 * The mediasoup workers of this process, one per core by default. Worker i owns a WebRtcServer on
 * `rtcPort + i`, so all its WebRTC traffic uses one UDP and one TCP port. A worker that dies is
 * replaced on the same slot and port; its routers close with reason 'worker-died'.
 */
export class WorkerPool extends TypedEmitter<WorkerPoolEvents> {
  readonly #opts: ResolvedPoolOptions;
  readonly #logger: Logger;
  readonly #slots: Slot[];
  readonly #abort = new AbortController();
  #closing: Promise<void> | undefined;

  /** Starts every worker and binds its WebRtcServer; rejects (leaving nothing running) if one fails. */
  static async create(opts: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const resolved = resolvePoolOptions(opts);
    const results = await Promise.allSettled(
      Array.from({ length: resolved.numWorkers }, (_, i) => startWorker(resolved, resolved.rtcPort + i)),
    );
    const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) {
      for (const { worker } of started) worker.close();
      await Promise.all(started.map(({ worker }) => subprocessClosed(worker)));
      throw failure.reason;
    }
    return new WorkerPool(resolved, started);
  }

  private constructor(opts: ResolvedPoolOptions, started: StartedWorker[]) {
    const logger = opts.logger.child({ component: 'media' });
    super((event, error) => logger.error({ err: error, event }, 'WorkerPool listener threw'));
    this.#opts = opts;
    this.#logger = logger;
    this.#slots = started.map((_, index) => ({
      index,
      rtcPort: opts.rtcPort + index,
      routers: new Set<MediaRouter>(),
      live: undefined,
      replacing: undefined,
    }));
    started.forEach((s, i) => this.#attach(this.#slots[i]!, s));
    logger.info(
      { workers: started.length, rtcPort: opts.rtcPort, listenIp: opts.rtcListenIp },
      'mediasoup workers started',
    );
  }

  /** Number of live workers (lower than configured only while a dead one is being replaced). */
  get workerCount(): number {
    return this.#slots.filter((s) => s.live).length;
  }

  /** Number of workers the pool runs when whole (MEDIA_WORKERS). */
  get configuredWorkers(): number {
    return this.#slots.length;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Creates a router for `ownerId` (a sitting) on the least loaded live worker. Once it carries
   * `spreadConsumers` consumers, its new viewers go to routers on other workers (see MediaRouter).
   */
  async createRouter(ownerId: string): Promise<MediaRouter> {
    const { slot, live } = await this.#pickSlot();
    const { worker, webRtcServer } = live;
    const plainPortRange = { min: this.#opts.rtcMinPort, max: this.#opts.rtcMaxPort };
    // The spread host needs the router it serves, which exists only once created with the host.
    const owner: { router?: MediaRouter } = {};
    const spread: SpreadHost | undefined =
      this.#slots.length > 1 && this.#opts.spreadConsumers !== Infinity
        ? {
            threshold: this.#opts.spreadConsumers,
            pipeListenInfo: { protocol: 'udp', ip: this.#opts.plainListenIp, portRange: plainPortRange },
            spill: (excludePids) => this.#spill(owner.router!, ownerId, excludePids),
          }
        : undefined;
    const router = await MediaRouter.create({
      worker,
      webRtcServer,
      ownerId,
      plainListenIp: this.#opts.plainListenIp,
      pipeListenIp: this.#opts.rtcListenIp,
      plainPortRange,
      logger: this.#logger,
      ...(spread ? { spread } : {}),
    });
    owner.router = router;
    if (this.closed) {
      router.close();
      throw new MediaClosedError('worker pool closed while creating a router');
    }
    if (router.closed) throw new MediaClosedError('mediasoup worker died while creating a router');
    slot.routers.add(router);
    router.once('close', () => slot.routers.delete(router));
    return router;
  }

  /** A router for `owner`'s viewers on the live worker with the fewest consumers outside `excludePids`. */
  async #spill(
    owner: MediaRouter,
    ownerId: string,
    excludePids: ReadonlySet<number>,
  ): Promise<SpillRouter | undefined> {
    let slot: Slot | undefined;
    for (const s of this.#slots) {
      if (!s.live || excludePids.has(s.live.worker.pid)) continue;
      if (!slot || consumersOf(s) < consumersOf(slot)) slot = s;
    }
    if (!slot || this.closed || owner.closed) return undefined;
    const { worker, webRtcServer } = slot.live!;
    const router = await worker.createRouter({
      mediaCodecs: MEDIA_CODECS,
      appData: { ownerId, spill: true },
    });
    if (owner.closed || this.closed) {
      router.close();
      throw new MediaClosedError(`router for ${ownerId} closed while spreading to another worker`);
    }
    const target = slot;
    target.routers.add(owner);
    owner.once('close', () => target.routers.delete(owner));
    return { router, webRtcServer, workerPid: worker.pid };
  }

  /** PIDs of the live workers, by slot. */
  workerPids(): number[] {
    return this.#slots.flatMap((s) => (s.live ? [s.live.worker.pid] : []));
  }

  /** Load of every live worker, by slot. */
  stats(): WorkerStats[] {
    return this.#slots.flatMap((s) =>
      s.live
        ? [
            {
              slot: s.index,
              pid: s.live.worker.pid,
              rtcPort: s.rtcPort,
              routers: s.routers.size,
              consumers: consumersOf(s),
              producers: producersOf(s),
            },
          ]
        : [],
    );
  }

  /** Bits per second participants send to and receive from each live worker, by slot. */
  async bitrates(): Promise<WorkerBitrate[]> {
    const routers = this.#slots.flatMap((s) => [...s.routers]);
    const perRouter = await Promise.all(routers.map((r) => r.bitrates()));
    const byPid = new Map<number, { recv: number; send: number }>();
    for (const map of perRouter) {
      for (const [pid, { recv, send }] of map) {
        const sum = byPid.get(pid) ?? { recv: 0, send: 0 };
        byPid.set(pid, { recv: sum.recv + recv, send: sum.send + send });
      }
    }
    return this.#slots.flatMap((s) => {
      if (!s.live) return [];
      const sum = byPid.get(s.live.worker.pid) ?? { recv: 0, send: 0 };
      return [{ slot: s.index, pid: s.live.worker.pid, recvBitrate: sum.recv, sendBitrate: sum.send }];
    });
  }

  /** CPU time of every live worker; a worker that dies while asked is left out. */
  async cpuUsage(): Promise<WorkerCpuUsage[]> {
    const live = this.#slots.flatMap((s) =>
      s.live && !s.live.worker.closed ? [{ slot: s, ...s.live }] : [],
    );
    const usages = await Promise.all(
      live.map(async ({ slot, worker }): Promise<WorkerCpuUsage | undefined> => {
        try {
          const usage = await worker.getResourceUsage();
          // ru_utime and ru_stime are in milliseconds.
          return { slot: slot.index, pid: worker.pid, cpuSeconds: (usage.ru_utime + usage.ru_stime) / 1000 };
        } catch {
          return undefined;
        }
      }),
    );
    return usages.filter((u) => u !== undefined);
  }

  /** Closes every router ('closed'), then every worker; resolves when their processes exited. Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#abort.abort();
    const workers: StartedWorker['worker'][] = [];
    for (const slot of this.#slots) {
      for (const router of [...slot.routers]) router.close('closed');
      if (slot.live) workers.push(slot.live.worker);
      slot.live = undefined;
    }
    for (const worker of workers) worker.close();
    this.#closing = Promise.all([
      ...workers.map(subprocessClosed),
      ...this.#slots.map((s) => s.replacing ?? Promise.resolve()),
    ]).then(() => this.#logger.info('mediasoup workers closed'));
    return this.#closing;
  }

  #attach(slot: Slot, started: StartedWorker): void {
    slot.live = started;
    started.worker.on('died', (error) => this.#onWorkerDied(slot, started, error));
  }

  #onWorkerDied(slot: Slot, dead: StartedWorker, error: Error): void {
    if (slot.live !== dead) return;
    slot.live = undefined;
    const oldPid = dead.worker.pid;
    this.#logger.error(
      { err: error, workerPid: oldPid, slot: slot.index, routers: slot.routers.size },
      'mediasoup worker died; replacing it',
    );
    // Each MediaRouter has already closed on mediasoup's 'workerclose'; this makes sure of it.
    for (const router of [...slot.routers]) router.close('worker-died');
    if (this.closed) return;
    const replacing = this.#replace(slot, oldPid);
    slot.replacing = replacing;
    void replacing.finally(() => {
      if (slot.replacing === replacing) slot.replacing = undefined;
    });
  }

  /** Starts a new worker on the slot's port, retrying with backoff (the port may still be held). */
  async #replace(slot: Slot, oldPid: number): Promise<void> {
    for (let attempt = 1; !this.closed; attempt += 1) {
      let started: StartedWorker;
      try {
        started = await startWorker(this.#opts, slot.rtcPort);
      } catch (error) {
        const delayMs = Math.min(REPLACE_BACKOFF_MIN_MS * 2 ** (attempt - 1), REPLACE_BACKOFF_MAX_MS);
        this.#logger.warn(
          { err: error, slot: slot.index, rtcPort: slot.rtcPort, attempt, delayMs },
          'could not restart mediasoup worker; retrying',
        );
        try {
          await sleep(delayMs, undefined, { signal: this.#abort.signal });
        } catch {
          return; // aborted by close()
        }
        continue;
      }
      if (this.closed) {
        started.worker.close();
        await subprocessClosed(started.worker);
        return;
      }
      this.#attach(slot, started);
      const newPid = started.worker.pid;
      this.#logger.info(
        { slot: slot.index, rtcPort: slot.rtcPort, oldPid, workerPid: newPid, attempt },
        'mediasoup worker replaced',
      );
      this.safeEmit('workerreplaced', { slot: slot.index, rtcPort: slot.rtcPort, oldPid, newPid });
      return;
    }
  }

  /**
   * The least loaded slot with a worker that is alive, together with that worker (read at the
   * same moment: a death noticed later clears `slot.live`), waiting for a replacement if need be.
   */
  async #pickSlot(): Promise<{ slot: Slot; live: NonNullable<Slot['live']> }> {
    const deadline = Date.now() + WAIT_FOR_WORKER_MS;
    for (;;) {
      if (this.closed) throw new MediaClosedError('worker pool is closed');
      const slot = this.#leastLoaded();
      if (slot?.live) return { slot, live: slot.live };
      const pending = this.#slots.flatMap((s) => (s.replacing ? [s.replacing] : []));
      const remainingMs = deadline - Date.now();
      if (pending.length === 0 || remainingMs <= 0) throw new Error('no mediasoup worker is available');
      await Promise.race([...pending, sleep(remainingMs, undefined, { ref: false })]);
    }
  }

  #leastLoaded(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      // A worker that died a moment ago may not be cleared from its slot yet.
      if (!slot.live || slot.live.worker.closed || slot.live.worker.died) continue;
      if (
        !best ||
        slot.routers.size < best.routers.size ||
        (slot.routers.size === best.routers.size && consumersOf(slot) < consumersOf(best))
      ) {
        best = slot;
      }
    }
    return best;
  }
}

/** Producers of the routers made on the slot's worker. */
function producersOf(slot: Slot): number {
  let total = 0;
  for (const router of slot.routers) total += router.producerCount();
  return total;
}

/** Consumers on the slot's worker, counting only the part of each sitting that runs there. */
function consumersOf(slot: Slot): number {
  const pid = slot.live?.worker.pid;
  let total = 0;
  for (const router of slot.routers) total += router.consumerCount(pid);
  return total;
}
