/**
 * Sitting leases: which node hosts a sitting's origin router. The lease is a Redis key
 * `seduta:lease:sitting:<id>` holding the owner's node id with a TTL; the owner renews it every
 * `renewMs`, and when the owner dies it expires within `ttlMs`, after which the next node to ask
 * takes it. Every change is one Lua script, so two nodes asking at once cannot both win.
 *
 * While Redis is out of reach the owner keeps hosting what it hosts (its renewals fail and are
 * retried); when Redis is back a renewal that finds the key gone takes it again, one that finds
 * another owner emits `lost`.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger';
import { redisCall, type RedisLink } from './redis';

/** Options of the leases. */
export interface SittingLeasesOptions {
  /** How long a lease lives without renewal (default 5000 ms). */
  ttlMs?: number;
  /** How often held leases are renewed (default 1500 ms). */
  renewMs?: number;
  logger?: Logger;
}

const leaseKey = (sittingId: string) => `seduta:lease:sitting:${sittingId}`;

/** Takes the key if free or ours (and sets its TTL); returns the owner after the attempt. */
const ACQUIRE = `
local owner = redis.call('GET', KEYS[1])
if owner == false or owner == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return owner`;

/** Deletes the key only if it is ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Sitting leases of one node: acquire, renew, release, and `lost` when one is taken away. */
export class SittingLeases {
  readonly #link: RedisLink;
  readonly #nodeId: string;
  readonly #ttlMs: number;
  readonly #renewMs: number;
  readonly #log: Logger | undefined;
  readonly #events = new EventEmitter();
  /** The sittings whose lease this node holds (and renews). */
  readonly #held = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(link: RedisLink, nodeId: string, opts: SittingLeasesOptions = {}) {
    this.#link = link;
    this.#nodeId = nodeId;
    this.#ttlMs = opts.ttlMs ?? 5000;
    this.#renewMs = opts.renewMs ?? 1500;
    if (this.#renewMs >= this.#ttlMs) throw new Error('a lease must be renewed more often than it expires');
    this.#log = opts.logger?.child({ module: 'cluster', nodeId });
  }

  /** The owner now (null if none or expired); AppError `unavailable` while Redis is out of reach. */
  async owner(sittingId: string): Promise<string | null> {
    return redisCall(this.#link, () => this.#link.command.get(leaseKey(sittingId)));
  }

  /**
   * Takes the lease if free (or already ours) and keeps renewing it; returns the owner after the
   * attempt (ours or someone else's). AppError `unavailable` while Redis is out of reach.
   */
  async acquire(sittingId: string): Promise<string> {
    if (this.#closed) throw new Error('leases closed');
    const owner = String(
      await redisCall(this.#link, () =>
        this.#link.command.eval(ACQUIRE, 1, leaseKey(sittingId), this.#nodeId, this.#ttlMs),
      ),
    );
    if (owner === this.#nodeId && !this.#held.has(sittingId)) {
      this.#log?.info({ sittingId }, 'sitting lease taken');
      this.#held.add(sittingId);
      this.#schedule();
      this.#emit('taken', sittingId);
    }
    return owner;
  }

  /** Stops renewing and deletes the key if it is still ours. */
  async release(sittingId: string): Promise<void> {
    if (!this.#held.delete(sittingId)) return;
    this.#log?.info({ sittingId }, 'sitting lease released');
    if (!this.#link.healthy) return; // It expires by itself.
    await this.#link.command.eval(RELEASE, 1, leaseKey(sittingId), this.#nodeId);
  }

  /** Whether this node holds the sitting's lease (as far as it knows). */
  holds(sittingId: string): boolean {
    return this.#held.has(sittingId);
  }

  /**
   * `taken`: this node now hosts the sitting (it started it, or took it over from a node that
   * died); `lost`: a lease this node held was taken by another node.
   */
  on(event: 'taken' | 'lost', cb: (sittingId: string) => void): void {
    this.#events.on(event, cb);
  }

  /** Releases every lease held and stops renewing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    const held = [...this.#held];
    await Promise.allSettled(held.map((id) => this.release(id)));
    this.#events.removeAllListeners();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#renewAll(), this.#renewMs);
    this.#timer.unref();
  }

  async #renewAll(): Promise<void> {
    if (this.#closed || !this.#link.healthy) return;
    await Promise.all(
      [...this.#held].map(async (sittingId) => {
        let owner: string;
        try {
          // Also re-takes a key that vanished (Redis restarted empty, or it expired while Redis
          // was out of reach and nobody took it): this node still hosts the sitting.
          owner = String(
            await this.#link.command.eval(ACQUIRE, 1, leaseKey(sittingId), this.#nodeId, this.#ttlMs),
          );
        } catch (err) {
          this.#log?.debug({ err, sittingId }, 'lease renewal failed; retrying');
          return;
        }
        if (owner === this.#nodeId || !this.#held.delete(sittingId)) return;
        this.#log?.warn({ sittingId, owner }, 'sitting lease lost to another node');
        this.#emit('lost', sittingId);
      }),
    );
  }

  #emit(event: 'taken' | 'lost', sittingId: string): void {
    try {
      this.#events.emit(event, sittingId);
    } catch (err) {
      this.#log?.error({ err, sittingId, event }, 'a lease listener failed');
    }
  }
}
