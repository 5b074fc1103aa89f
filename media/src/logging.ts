import { setLogEventListeners } from 'mediasoup';
import type { Logger } from 'pino';

/**
 * Sends mediasoup's own warnings and errors (including those of its worker processes, which log at
 * 'warn') to `logger` instead of the `debug` module, where they would be invisible. mediasoup keeps one
 * set of listeners per process, so call this once, from the entry point.
 */
export function routeMediasoupLogs(logger: Logger): void {
  const log = logger.child({ component: 'mediasoup' });
  setLogEventListeners({
    onwarn: (namespace, message) => log.warn({ namespace }, message),
    onerror: (namespace, message, error) => log.error({ namespace, err: error }, message),
  });
}
