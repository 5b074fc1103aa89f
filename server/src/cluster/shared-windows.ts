/**
 * Sliding-window counts shared by every node, in Redis: the sign-in and meeting-password limits
 * hold for the deployment, not per node, so a guesser gains nothing by spreading over the nodes.
 * Each key is a sorted set of event times (`seduta:limit:<limit>:<key>`) that expires with its
 * window; `take` checks and counts several keys in one Lua script, so two nodes cannot both admit
 * the last attempt. The times are Redis's clock, so the nodes' clocks need not agree.
 *
 * While Redis is out of reach (or a call to it fails) the counts fall back to this node's memory:
 * the limits still hold, per node, until Redis is back; nothing waits on a dead Redis.
 */
import { randomBytes } from 'node:crypto';
import {
  LocalWindows,
  type LimitCheck,
  type LimitWindows,
  type WindowItem,
  type WindowLimit,
} from '../auth/login-limiter';
import type { Logger } from '../logger';
import type { RedisLink } from './redis';

const keyOf = (limit: WindowLimit, key: string) => `seduta:limit:${limit.name}:${key}`;

/** Redis's time in ms (scripts replicate their effects, so reading the clock is allowed). */
const NOW = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: the keys; ARGV: a unique member prefix, then max and windowMs per key, then `count`
 * (1: count one event on each when none is at its limit; 0: only check).
 * Returns 0 when admitted, else {index (1-based), retryAfterMs}.
 */
const TAKE = `${NOW}
local n = #KEYS
for i = 1, n do
  local max = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= max then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    return {i, math.max(1, tonumber(oldest[2]) + window - now)}
  end
end
if ARGV[2 * n + 2] == '1' then
  for i = 1, n do
    redis.call('ZADD', KEYS[i], now, ARGV[1] .. ':' .. now)
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 * i + 1]))
  end
end
return 0`;

/** Counts in Redis, falling back to this node's memory while Redis is away. */
export class SharedWindows implements LimitWindows {
  readonly #link: RedisLink;
  readonly #local: LocalWindows;
  readonly #log: Logger;

  constructor(link: RedisLink, logger: Logger, local: LocalWindows = new LocalWindows()) {
    this.#link = link;
    this.#local = local;
    this.#log = logger.child({ module: 'shared-limits' });
  }

  async take(items: readonly WindowItem[]): Promise<{ index: number; retryAfterMs: number } | undefined> {
    return this.#shared(
      () => this.#take(items, true),
      () => this.#local.takeNow(items),
    );
  }

  async check(limit: WindowLimit, key: string): Promise<LimitCheck> {
    return this.#shared(
      async () => {
        const refused = await this.#take([{ limit, key }], false);
        return refused ? { limited: true, retryAfterMs: refused.retryAfterMs } : { limited: false };
      },
      () => this.#local.check(limit, key),
    );
  }

  async record(limit: WindowLimit, key: string): Promise<void> {
    await this.#shared(
      async () => {
        const now = await this.#link.command.time();
        const ms = Number(now[0]) * 1000 + Math.floor(Number(now[1]) / 1000);
        await this.#link.command
          .multi()
          .zadd(keyOf(limit, key), ms, `${member()}:${ms}`)
          .pexpire(keyOf(limit, key), limit.windowMs)
          .exec();
      },
      () => this.#local.record(limit, key),
    );
  }

  async forgive(limit: WindowLimit, key: string): Promise<void> {
    await this.#shared(
      async () => void (await this.#link.command.zpopmax(keyOf(limit, key))),
      () => this.#local.forgive(limit, key),
    );
  }

  async reset(limit: WindowLimit, key: string): Promise<void> {
    await this.#shared(
      async () => void (await this.#link.command.del(keyOf(limit, key))),
      () => this.#local.reset(limit, key),
    );
  }

  async #take(
    items: readonly WindowItem[],
    count: boolean,
  ): Promise<{ index: number; retryAfterMs: number } | undefined> {
    const args = items.flatMap(({ limit }) => [limit.max, limit.windowMs]);
    const result = (await this.#link.command.eval(
      TAKE,
      items.length,
      ...items.map(({ limit, key }) => keyOf(limit, key)),
      member(),
      ...args,
      count ? '1' : '0',
    )) as 0 | [number, number];
    if (result === 0) return undefined;
    return { index: result[0] - 1, retryAfterMs: result[1] };
  }

  /** Redis when it is reachable, else (or when the call fails) this node's memory. */
  async #shared<T>(redis: () => Promise<T>, local: () => T | Promise<T>): Promise<T> {
    if (!this.#link.healthy) return local();
    try {
      return await redis();
    } catch (err) {
      this.#log.warn({ err }, 'shared limit unavailable: counting on this node');
      return local();
    }
  }
}

/** A unique member name, so that two events in the same millisecond both count. */
function member(): string {
  return randomBytes(6).toString('hex');
}
