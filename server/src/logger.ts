/**
 * The process logger: pino, JSON lines on stdout. Fastify uses the same instance, and each module
 * takes a child (`logger.child({ module: 'db' })`) with its structured fields.
 *
 * The destination is synchronous. pino's default stdout stream writes asynchronously and flushes
 * on exit; when the process exits right after a burst (the shutdown sequence ends with
 * `process.exit`), a write still in flight can land after the flushed tail, so the last lines came
 * out of order (seen in CI: 'mediasoup workers closed' printed after 'shutdown complete'). An
 * operator reading a shutdown or a crash needs its lines complete and in order; at this server's
 * log volume a synchronous write costs nothing measurable.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

/** The logger type used across the server. */
export type { Logger } from 'pino';

/** Creates the root logger at the configured level. */
export function createLogger(options: { logLevel: LevelWithSilent }): Logger {
  return pino({ level: options.logLevel }, pino.destination({ dest: 1, sync: true }));
}
