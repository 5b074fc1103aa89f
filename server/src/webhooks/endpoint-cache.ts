/**
 * The active webhook endpoints, kept in memory so that an event (one per join and per leave) does
 * not read `webhook_endpoints` (ADR 0036). Loaded when the server starts, loaded again after every
 * change made through this node (before the route answers), when another node says it changed one
 * (the cluster's bus, {@link EndpointChangeRelay}), and every {@link REFRESH_MS} as a safety net
 * for a lost notice. The delivery itself is written with `active = true` checked in the same
 * statement (enqueueEvent), so an endpoint removed on another node never gets one it missed here.
 */
import type { Logger } from '../logger';
import { activeEndpointTypes, type ActiveEndpoint, type WebhookDb } from './store';

/** How often the copy is read again even without a notice. */
export const REFRESH_MS = 30_000;

/** Tells the other nodes an endpoint changed, and hears when they did. */
export interface EndpointChangeRelay {
  publish(): void;
  subscribe(listener: () => void): void;
}

/** The in-memory copy of the active endpoints. */
export class EndpointCache {
  readonly #db: WebhookDb;
  readonly #log: Logger;
  readonly #relay: EndpointChangeRelay | undefined;
  #endpoints: readonly ActiveEndpoint[] = [];
  /** Whether a read ever succeeded (the database may be down when the server starts). */
  #loaded = false;
  /** The load under way, and whether another is wanted after it (a change came in meanwhile). */
  #loading: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(db: WebhookDb, logger: Logger, relay?: EndpointChangeRelay) {
    this.#db = db;
    this.#log = logger.child({ module: 'webhooks' });
    this.#relay = relay;
    relay?.subscribe(() => void this.reload().catch(() => undefined));
  }

  /**
   * Loads the copy and starts the safety-net refresh. A database that is down does not keep the
   * server from starting: the failure is logged, and the first event (or the refresh) reads again.
   */
  async start(): Promise<void> {
    await this.reload().catch(() => undefined);
    this.#timer = setInterval(() => void this.reload().catch(() => undefined), REFRESH_MS);
    this.#timer.unref();
  }

  /**
   * The active endpoints subscribed to `type`, from the copy; read from the database first while
   * no read has succeeded yet (it throws if the database is still out of reach).
   */
  async subscribedTo(type: string): Promise<ActiveEndpoint[]> {
    if (!this.#loaded) await this.reload();
    return this.#endpoints.filter((e) => e.eventTypes.includes(type));
  }

  /**
   * After a change through this node: reloads the copy (resolved once a read that began after the
   * change is in) and tells the other nodes.
   */
  async changed(): Promise<void> {
    this.#relay?.publish();
    await this.reload();
  }

  /**
   * Reads the endpoints again. A call during a read waits for a fresh one after it, so what it
   * resolves with always began after the call.
   */
  async reload(): Promise<void> {
    if (this.#loading) {
      this.#again = true;
      while (this.#loading) await this.#loading;
      return;
    }
    this.#loading = this.#load();
    try {
      await this.#loading;
    } finally {
      this.#loading = undefined;
    }
  }

  async #load(): Promise<void> {
    do {
      this.#again = false;
      try {
        this.#endpoints = await activeEndpointTypes(this.#db);
        this.#loaded = true;
      } catch (err) {
        this.#log.error({ err }, 'could not read the webhook endpoints (the previous copy is kept)');
        if (!this.#again) throw err;
      }
    } while (this.#again && !this.#closed);
  }

  /** Stops the refresh. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
