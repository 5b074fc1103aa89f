/**
 * The link to Redis in multi-node mode (REDIS_URL): two ioredis connections, one for commands and
 * one in subscribe mode, with one health flag for both. Commands never queue while Redis is out
 * of reach (`enableOfflineQueue: false`): they fail at once, so nothing in a request waits on a
 * dead Redis; the connections retry by themselves and `up` is emitted when both are back.
 * A Redis that stops answering without closing the connection (a network cut, a frozen host) is
 * caught by a watchdog: a PING on each connection every second, and a connection whose PING
 * gets no answer within COMMAND_TIMEOUT_MS is dropped, which makes it `down` and reconnect.
 */
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from '../config';
import { AppError } from '../errors';
import type { Logger } from '../logger';

/** Both connections to Redis, their health, and the close of both. */
export interface RedisLink {
  /** The URL with any password replaced by `***`, for logs. */
  readonly url: string;
  /** ioredis client for commands. */
  readonly command: Redis;
  /** A second connection, in subscribe mode. */
  readonly subscriber: Redis;
  /** false while Redis is unreachable (after the start). */
  readonly healthy: boolean;
  /** `down` when either connection is lost, `up` when both are ready again. */
  on(event: 'down' | 'up', cb: () => void): void;
  close(): Promise<void>;
}

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  logger: Logger;
  /** How long the first connection may take (default 5000 ms). */
  timeoutMs?: number;
}

/** The longest pause between two reconnection attempts. */
const MAX_RETRY_DELAY_MS = 1000;
/** A command without an answer for this long fails (and a PING's drops its connection). */
const COMMAND_TIMEOUT_MS = 2000;
/** How often the watchdog pings each connection. */
const WATCHDOG_MS = 1000;

/**
 * Connects both clients; rejects within timeoutMs (default 5000) with an Error whose message is
 * one line naming the URL (no password) and the cause, e.g. "Redis at redis://10.0.0.5:6379 is
 * unreachable: connect ECONNREFUSED 10.0.0.5:6379".
 */
export async function connectRedis(url: string, opts: ConnectRedisOptions): Promise<RedisLink> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const shown = redactUrl(url);
  const log = opts.logger.child({ module: 'redis' });
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    // A command sent just before the connection dropped fails instead of waiting for the next one.
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 100, MAX_RETRY_DELAY_MS),
  };
  const command = new Redis(url, { ...options, connectionName: 'seduta-command' });
  const subscriber = new Redis(url, { ...options, connectionName: 'seduta-subscriber' });
  let lastError: Error | undefined;
  const onStartError = (err: Error) => (lastError = err);
  command.on('error', onStartError);
  subscriber.on('error', onStartError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([command.connect(), subscriber.connect()]),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    command.disconnect();
    subscriber.disconnect();
    const cause = lastError?.message ?? (err instanceof Error ? err.message : String(err));
    throw new Error(`Redis at ${shown} is unreachable: ${cause.replace(/\s+/g, ' ').trim()}`, {
      cause: lastError ?? err,
    });
  } finally {
    clearTimeout(timer);
    command.off('error', onStartError);
    subscriber.off('error', onStartError);
  }
  log.info({ url: shown }, 'connected to Redis');
  return new Link(shown, command, subscriber, log);
}

class Link implements RedisLink {
  readonly #events = new EventEmitter();
  readonly #watchdog: NodeJS.Timeout;
  #healthy = true;
  #closed = false;

  constructor(
    readonly url: string,
    readonly command: Redis,
    readonly subscriber: Redis,
    readonly log: Logger,
  ) {
    for (const client of [command, subscriber]) {
      // Without a listener ioredis prints every failed reconnection to the console.
      client.on('error', (err: Error) => {
        if (this.#healthy) log.warn({ err: err.message, url }, 'Redis connection error');
      });
      client.on('close', () => this.#update());
      client.on('ready', () => this.#update());
    }
    this.#watchdog = setInterval(() => {
      for (const client of [command, subscriber]) {
        if (client.status !== 'ready') continue;
        client.ping().catch((err: unknown) => {
          if (this.#closed || client.status !== 'ready') return;
          log.warn({ err: String(err), url }, 'Redis did not answer a ping: reconnecting');
          client.disconnect(true);
        });
      }
    }, WATCHDOG_MS);
    this.#watchdog.unref();
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  on(event: 'down' | 'up', cb: () => void): void {
    this.#events.on(event, cb);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#healthy = false;
    clearInterval(this.#watchdog);
    this.#events.removeAllListeners();
    await Promise.all([quit(this.command), quit(this.subscriber)]);
    this.log.info({ url: this.url }, 'Redis connections closed');
  }

  #update(): void {
    if (this.#closed) return;
    const healthy = this.command.status === 'ready' && this.subscriber.status === 'ready';
    if (healthy === this.#healthy) return;
    this.#healthy = healthy;
    if (healthy) this.log.info({ url: this.url }, 'Redis is reachable again');
    else this.log.error({ url: this.url }, 'Redis is out of reach: running on local state until it is back');
    this.#events.emit(healthy ? 'up' : 'down');
  }
}

/**
 * Runs a Redis command for a request: while Redis is out of reach (or the command fails) it
 * rejects with AppError('unavailable'), which the one error mapping sends as 503, not `internal`.
 */
export async function redisCall<T>(link: RedisLink, run: () => Promise<T>): Promise<T> {
  if (!link.healthy) throw new AppError('unavailable', 'Redis is out of reach: try again shortly');
  try {
    return await run();
  } catch (err) {
    throw new AppError('unavailable', 'Redis is out of reach: try again shortly', { cause: err });
  }
}

/** QUIT when connected (pending replies arrive first), else just drop the socket. */
async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Lost while quitting: disconnect below.
    }
  }
  client.disconnect();
}
