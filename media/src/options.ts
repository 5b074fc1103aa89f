import os from 'node:os';
import pino from 'pino';
import type { Logger } from 'pino';

/** Options of {@link WorkerPool.create}; every field has a default fit for one host. */
export interface WorkerPoolOptions {
  /** Number of mediasoup workers (env MEDIA_WORKERS); default one per CPU core. */
  numWorkers?: number;
  /** IP the WebRtcServers listen on (env MEDIA_LISTEN_IP); default '0.0.0.0'. */
  rtcListenIp?: string;
  /** Public IP or hostname announced in ICE candidates when behind NAT (env MEDIA_ANNOUNCED_ADDRESS). */
  rtcAnnouncedAddress?: string;
  /** WebRTC port of worker 0, UDP and TCP (env MEDIA_RTC_PORT); worker i uses rtcPort + i. Default 40000. */
  rtcPort?: number;
  /** First port of the range for PlainTransports (env MEDIA_RTC_MIN_PORT); default 40100. */
  rtcMinPort?: number;
  /** Last port of the range for PlainTransports (env MEDIA_RTC_MAX_PORT); default 49999. */
  rtcMaxPort?: number;
  /** IP PlainTransports listen on unless a caller says otherwise; default '127.0.0.1' (local FFmpeg). */
  plainListenIp?: string;
  /**
   * Consumers one sitting's router carries before new viewers go to a router on another worker
   * (env MEDIA_SPREAD_CONSUMERS); `Infinity` keeps every sitting on one worker. Default
   * {@link DEFAULT_SPREAD_CONSUMERS}.
   */
  spreadConsumers?: number;
  /**
   * Send with plain sendmsg() even when the worker was built with io_uring; default false. Seduta's
   * worker is built without it; the option serves the benchmark's A/B of a liburing build
   * (docs/decisions/0012-worker-liburing.md).
   */
  disableLiburing?: boolean;
  /** Parent logger; default silent. */
  logger?: Logger;
}

/** {@link WorkerPoolOptions} with every default applied and checked. */
export interface ResolvedPoolOptions {
  numWorkers: number;
  rtcListenIp: string;
  rtcAnnouncedAddress: string | undefined;
  rtcPort: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  plainListenIp: string;
  spreadConsumers: number;
  disableLiburing: boolean;
  logger: Logger;
}

/** Default first WebRTC port: worker i listens on 40000 + i (room for 100 workers below the range). */
export const DEFAULT_RTC_PORT = 40000;
/** Default first PlainTransport port, just above the WebRTC ports. */
export const DEFAULT_RTC_MIN_PORT = 40100;
/** Default last PlainTransport port. */
export const DEFAULT_RTC_MAX_PORT = 49999;
/**
 * Default consumers per router before a sitting spreads to another worker: about half of what one
 * worker forwarded at ≤ 1% loss in the benchmark (300 viewers × 2 tracks on an idle 2-core VM; see
 * docs/bench/latest.md and docs/decisions/0007-viewer-spreading.md), leaving room for speakers,
 * the recorder and bursts.
 */
export const DEFAULT_SPREAD_CONSUMERS = 300;

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * Applies defaults and rejects impossible settings. The WebRTC ports must stay outside the
 * PlainTransport range: otherwise a PlainTransport could take a dead worker's port before its
 * replacement binds it again.
 */
export function resolvePoolOptions(opts: WorkerPoolOptions = {}): ResolvedPoolOptions {
  const resolved: ResolvedPoolOptions = {
    numWorkers: opts.numWorkers ?? Math.max(1, os.availableParallelism()),
    rtcListenIp: opts.rtcListenIp ?? '0.0.0.0',
    rtcAnnouncedAddress: opts.rtcAnnouncedAddress || undefined,
    rtcPort: opts.rtcPort ?? DEFAULT_RTC_PORT,
    rtcMinPort: opts.rtcMinPort ?? DEFAULT_RTC_MIN_PORT,
    rtcMaxPort: opts.rtcMaxPort ?? DEFAULT_RTC_MAX_PORT,
    plainListenIp: opts.plainListenIp ?? '127.0.0.1',
    spreadConsumers: opts.spreadConsumers ?? DEFAULT_SPREAD_CONSUMERS,
    disableLiburing: opts.disableLiburing ?? false,
    logger: opts.logger ?? pino({ level: 'silent' }),
  };
  const { numWorkers, rtcPort, rtcMinPort, rtcMaxPort, spreadConsumers } = resolved;
  if (spreadConsumers !== Infinity && (!Number.isInteger(spreadConsumers) || spreadConsumers < 1)) {
    throw new RangeError(`spreadConsumers must be a positive integer or Infinity, got ${spreadConsumers}`);
  }
  if (!Number.isInteger(numWorkers) || numWorkers < 1) {
    throw new RangeError(`numWorkers must be a positive integer, got ${numWorkers}`);
  }
  const lastRtcPort = rtcPort + numWorkers - 1;
  if (!isPort(rtcPort) || !isPort(lastRtcPort)) {
    throw new RangeError(`WebRTC ports ${rtcPort}-${lastRtcPort} are not valid ports`);
  }
  if (!isPort(rtcMinPort) || !isPort(rtcMaxPort) || rtcMinPort > rtcMaxPort) {
    throw new RangeError(`PlainTransport port range ${rtcMinPort}-${rtcMaxPort} is not valid`);
  }
  if (rtcPort <= rtcMaxPort && lastRtcPort >= rtcMinPort) {
    throw new RangeError(
      `WebRTC ports ${rtcPort}-${lastRtcPort} overlap the PlainTransport range ${rtcMinPort}-${rtcMaxPort}`,
    );
  }
  return resolved;
}
