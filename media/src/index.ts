/** @seduta/media: the mediasoup layer under the sitting domain (worker pool, routers, transports). */

/** Pool of mediasoup workers, one WebRtcServer port each, with dead-worker replacement. */
export { WorkerPool } from './worker-pool';
/** Types of the pool's events and statistics. */
export type {
  WorkerBitrate,
  WorkerCpuUsage,
  WorkerPoolEvents,
  WorkerReplacedEvent,
  WorkerStats,
} from './worker-pool';
/** Pool options, their defaults and validation. */
export {
  resolvePoolOptions,
  DEFAULT_RTC_PORT,
  DEFAULT_RTC_MIN_PORT,
  DEFAULT_RTC_MAX_PORT,
  DEFAULT_SPREAD_CONSUMERS,
} from './options';
/** Types of the pool options. */
export type { WorkerPoolOptions, ResolvedPoolOptions } from './options';
/** One sitting's mediasoup router, owning its participants' transports. */
export { MediaRouter } from './media-router';
/** Types of MediaRouter requests, events and transport appData. */
export type {
  MediaRouterCloseReason,
  MediaRouterEvents,
  MediaTransportAppData,
  PlainTransportRequest,
  TransportDirection,
  WebRtcTransportRequest,
} from './media-router';
/** How a sitting's viewers are spread over workers (placement rule and load measure). */
export { choosePart, partLoad } from './spread';
/** Types of the spreading of a sitting over workers. */
export type { RouterPart, SpillRouter, SpreadHost } from './spread';
/** Router codecs and the keyframe-request delay for producers. */
export { MEDIA_CODECS, KEY_FRAME_REQUEST_DELAY_MS, producerDefaults } from './codecs';
/** Routes mediasoup's own warnings and errors to a pino logger (call once per process). */
export { routeMediasoupLogs } from './logging';
/** Error thrown when a media resource is requested after its owner closed. */
export { MediaClosedError } from './errors';
/** Small typed event emitter used by the pool and routers. */
export { TypedEmitter } from './emitter';
/** Types of the typed event emitter. */
export type { EventMap, ListenerErrorHandler } from './emitter';
