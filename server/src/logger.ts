/**
 * The process logger: pino, JSON lines on stdout. Fastify uses the same instance, and each module
 * takes a child (`logger.child({ module: 'db' })`) with its structured fields.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

/** The logger type used across the server. */
export type { Logger } from 'pino';

/** Creates the root logger at the configured level. */
export function createLogger(options: { logLevel: LevelWithSilent }): Logger {
  return pino({ level: options.logLevel });
}
