import type { types } from 'mediasoup';
import type { Logger } from 'pino';

/** One mediasoup router serving a sitting: its origin router, or a spill router on another worker. */
export interface RouterPart {
  readonly router: types.Router;
  readonly webRtcServer: types.WebRtcServer;
  readonly workerPid: number;
  /** Open consumers on this part's transports. */
  consumers: number;
  /** Receive transports on this part that have not consumed anything yet (viewers still joining). */
  idleRecvTransports: number;
}

/** A router on another worker, lent by the pool to a sitting that outgrew its own worker. */
export interface SpillRouter {
  router: types.Router;
  webRtcServer: types.WebRtcServer;
  workerPid: number;
}

/** What a MediaRouter needs from the pool to spread its viewers over other workers. */
export interface SpreadHost {
  /** Consumers one router carries before new viewers go to a router on another worker. */
  readonly threshold: number;
  /** Plain listen address and port range for the PipeTransports between the workers. */
  readonly pipeListenInfo: types.TransportListenInfo;
  /** A new router on the least loaded live worker not in `excludePids`, or undefined if there is none. */
  spill(excludePids: ReadonlySet<number>): Promise<SpillRouter | undefined>;
}

/**
 * Where a new viewer goes: the first part (origin first, then spills in creation order) whose load is
 * under `threshold`; else `'spill'` when another worker can be used; else the least loaded part.
 * Filling parts in order keeps the number of piped routers, and so of pipe copies, as small as possible.
 */
export function choosePart(loads: readonly number[], threshold: number, canSpill: boolean): number | 'spill' {
  const open = loads.findIndex((load) => load < threshold);
  if (open !== -1) return open;
  if (canSpill) return 'spill';
  let best = 0;
  loads.forEach((load, i) => {
    if (load < loads[best]!) best = i;
  });
  return best;
}

/**
 * Load of a part: its consumers, plus the consumers its viewers that are still joining will make
 * (one per producer of the sitting). Counting joining viewers keeps a join storm from landing
 * entirely on one router before any of them has consumed.
 */
export function partLoad(
  part: Pick<RouterPart, 'consumers' | 'idleRecvTransports'>,
  producers: number,
): number {
  return part.consumers + part.idleRecvTransports * Math.max(1, producers);
}

/**
 * The routers of one sitting, across workers. Producers live on the origin router; receive
 * transports go where {@link choosePart} says, and a producer is piped (`router.pipeToRouter`, same
 * producer id) to a spill router the first time a viewer there consumes it.
 */
export class RouterSpread {
  readonly #parts: RouterPart[];
  readonly #host: SpreadHost | undefined;
  readonly #logger: Logger;
  readonly #onSpillWorkerClosed: () => void;
  readonly #pipes = new Map<string, Promise<void>>();
  #spilling: Promise<void> | undefined;
  #noMoreWorkers = false;
  #producers = 0;

  constructor(
    origin: RouterPart,
    host: SpreadHost | undefined,
    logger: Logger,
    onSpillWorkerClosed: () => void,
  ) {
    this.#parts = [origin];
    this.#host = host;
    this.#logger = logger;
    this.#onSpillWorkerClosed = onSpillWorkerClosed;
  }

  /** The origin router's part. */
  get origin(): RouterPart {
    return this.#parts[0]!;
  }

  /** Every part, origin first. */
  get parts(): readonly RouterPart[] {
    return this.#parts;
  }

  /** Counts a producer of the sitting (every producer lives on the origin router). */
  addProducer(producer: types.Producer): void {
    this.#producers += 1;
    producer.observer.once('close', () => {
      this.#producers -= 1;
    });
  }

  /**
   * Picks the part for a new viewer's receive transport and reserves a place on it at once, so
   * that viewers joining together see each other's reservations. Call `release()` if the transport
   * could not be created.
   */
  async placeViewer(): Promise<{ part: RouterPart; release: () => void }> {
    for (;;) {
      if (this.#spilling) {
        await this.#spilling;
        continue;
      }
      const loads = this.#parts.map((p) => partLoad(p, this.#producers));
      const threshold = this.#host?.threshold ?? Infinity;
      const choice = choosePart(loads, threshold, this.#host !== undefined && !this.#noMoreWorkers);
      if (choice === 'spill') {
        this.#spilling = this.#spill().finally(() => {
          this.#spilling = undefined;
        });
        continue;
      }
      const part = this.#parts[choice]!;
      part.idleRecvTransports += 1;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        part.idleRecvTransports -= 1;
      };
      return { part, release };
    }
  }

  /** Makes `producerId` (on the origin router) consumable on `part`; resolves at once for the origin. */
  ensurePiped(producerId: string, part: RouterPart): Promise<void> {
    if (part === this.origin) return Promise.resolve();
    const key = `${producerId}/${part.router.id}`;
    let piping = this.#pipes.get(key);
    if (!piping) {
      piping = this.#pipe(producerId, part, key);
      this.#pipes.set(key, piping);
    }
    return piping;
  }

  /** Closes every spill router (the origin belongs to the MediaRouter). Idempotent. */
  closeSpills(): void {
    for (const part of this.#parts.slice(1)) part.router.close();
  }

  async #pipe(producerId: string, part: RouterPart, key: string): Promise<void> {
    try {
      const { pipeProducer } = await this.origin.router.pipeToRouter({
        producerId,
        router: part.router,
        listenInfo: this.#host!.pipeListenInfo,
      });
      // The pipe producer closes with the original producer; forget it so a new one can be piped.
      pipeProducer!.observer.once('close', () => this.#pipes.delete(key));
      this.#logger.debug({ producerId, workerPid: part.workerPid }, 'producer piped to spill router');
    } catch (error) {
      this.#pipes.delete(key);
      throw error;
    }
  }

  async #spill(): Promise<void> {
    const used = new Set(this.#parts.map((p) => p.workerPid));
    const spill = await this.#host!.spill(used);
    if (!spill) {
      // Every worker already serves this sitting; from now on new viewers go to the least loaded.
      this.#noMoreWorkers = true;
      this.#logger.warn(
        { parts: this.#parts.length },
        'sitting spans every worker; no router left to spill to',
      );
      return;
    }
    spill.router.on('workerclose', () => this.#onSpillWorkerClosed());
    this.#parts.push({ ...spill, consumers: 0, idleRecvTransports: 0 });
    this.#logger.info(
      { workerPid: spill.workerPid, parts: this.#parts.length },
      'sitting spread to another worker',
    );
  }
}
