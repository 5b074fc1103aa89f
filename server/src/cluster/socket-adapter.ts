/**
 * socket.io's Redis adapter on the node's Redis link, so that `io.to(room).emit(...)` reaches the
 * sockets of every node. The adapter calls its clients without handling their failures; while
 * Redis is out of reach those calls would reject unhandled and end the process. Its clients are
 * therefore the link's connections seen through a guard that turns a failed publish or
 * (un)subscribe into a log line: the local emit still happens, the other nodes miss that one.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { RedisLink } from './redis';

/** Methods the adapter calls without a catch. */
const GUARDED = new Set(['publish', 'psubscribe', 'subscribe', 'punsubscribe', 'unsubscribe']);

/** The adapter constructor to give socket.io's `Server` (its `adapter` option). */
export function socketAdapter(link: RedisLink, logger: Logger): ReturnType<typeof createAdapter> {
  const log = logger.child({ module: 'socket-adapter' });
  return createAdapter(guard(link.command, log), guard(link.subscriber, log));
}

function guard(client: Redis, log: Logger): Redis {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !GUARDED.has(property) || typeof value !== 'function') {
        return value;
      }
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) {
          return result.catch((err: unknown) => {
            log.debug({ err, command: property }, 'socket.io adapter: Redis command failed');
            return undefined;
          });
        }
        return result;
      };
    },
  });
}
