import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { MEDIA_CODECS } from './codecs';
import { TypedEmitter } from './emitter';
import { MediaClosedError } from './errors';

/** Which way media flows on a WebRTC transport, seen from the participant's browser. */
export type TransportDirection = 'send' | 'recv';

/** Why a {@link MediaRouter} closed: its owner closed it, or its mediasoup worker died. */
export type MediaRouterCloseReason = 'closed' | 'worker-died';

/** Events of a {@link MediaRouter}. */
export type MediaRouterEvents = {
  /** Emitted once, after every transport of the router has been closed. */
  close: [reason: MediaRouterCloseReason];
};

/** appData that MediaRouter sets on every transport it creates. */
export type MediaTransportAppData = {
  participantId: string;
  direction?: TransportDirection;
};

/** Options of {@link MediaRouter.createWebRtcTransport}. */
export interface WebRtcTransportRequest {
  participantId: string;
  direction: TransportDirection;
}

/** Options of {@link MediaRouter.createPlainTransport} (FFmpeg, the recorder, benchmarks). */
export interface PlainTransportRequest {
  /** Owner of the transport: a participant, or a service name such as 'recorder'. */
  participantId: string;
  /** Listen address; default the pool's `plainListenIp` on a port from the PlainTransport range. */
  listenInfo?: types.TransportListenInfo;
  /** RTP and RTCP on one port; default true. */
  rtcpMux?: boolean;
  /** Learn the remote address from the first packet received; default false. */
  comedia?: boolean;
  /** Encrypt with SRTP (then `connect()` needs the remote srtpParameters); default false. */
  enableSrtp?: boolean;
  /** SRTP suite when `enableSrtp`; default 'AES_CM_128_HMAC_SHA1_80'. */
  srtpCryptoSuite?: types.SrtpCryptoSuite;
}

/** What a MediaRouter needs from the pool; built by WorkerPool, not by callers. */
export interface MediaRouterContext {
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
  ownerId: string;
  plainListenIp: string;
  plainPortRange: types.TransportPortRange;
  logger: Logger;
}

/** Initial estimate of a viewer's downlink; mediasoup's 600 kbit/s default starts video too blurry. */
const INITIAL_OUTGOING_BITRATE = 1_500_000;

/**
 * One mediasoup Router for one sitting. It owns every transport created through it, keyed by
 * participant, and closes them when the participant leaves, the router closes, or the worker dies.
 */
export class MediaRouter extends TypedEmitter<MediaRouterEvents> {
  /** The underlying mediasoup router, for advanced use (producers and consumers live on transports). */
  readonly router: types.Router;
  /** Who this router serves, normally the sitting id. */
  readonly ownerId: string;
  /** PID of the mediasoup worker running this router. */
  readonly workerPid: number;

  readonly #webRtcServer: types.WebRtcServer;
  readonly #plainListenIp: string;
  readonly #plainPortRange: types.TransportPortRange;
  readonly #logger: Logger;
  readonly #transports = new Map<string, Set<types.Transport>>();
  // Bumped by closeParticipant() so a transport whose creation was in flight is closed on arrival.
  readonly #participantEpochs = new Map<string, number>();
  #consumers = 0;
  #closed = false;

  /** Creates the mediasoup router on the context's worker with Seduta's codecs. */
  static async create(ctx: MediaRouterContext): Promise<MediaRouter> {
    const router = await ctx.worker.createRouter({
      mediaCodecs: MEDIA_CODECS,
      appData: { ownerId: ctx.ownerId },
    });
    return new MediaRouter(ctx, router);
  }

  private constructor(ctx: MediaRouterContext, router: types.Router) {
    const logger = ctx.logger.child({
      routerId: router.id,
      sittingId: ctx.ownerId,
      workerPid: ctx.worker.pid,
    });
    super((event, error) => logger.error({ err: error, event }, 'MediaRouter listener threw'));
    this.router = router;
    this.ownerId = ctx.ownerId;
    this.workerPid = ctx.worker.pid;
    this.#webRtcServer = ctx.webRtcServer;
    this.#plainListenIp = ctx.plainListenIp;
    this.#plainPortRange = ctx.plainPortRange;
    this.#logger = logger;
    // mediasoup closes the router itself when its worker dies; tell our owner why.
    router.on('workerclose', () => this.close('worker-died'));
    logger.debug('router created');
  }

  /** The router's RTP capabilities, sent to clients so mediasoup-client can load its Device. */
  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  /** mediasoup id of the router. */
  get id(): string {
    return this.router.id;
  }

  /** Whether the router is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Creates a WebRTC transport for a participant on the worker's shared WebRtcServer port. */
  async createWebRtcTransport(
    req: WebRtcTransportRequest,
  ): Promise<types.WebRtcTransport<MediaTransportAppData>> {
    return this.#adopt(req.participantId, () =>
      this.router.createWebRtcTransport<MediaTransportAppData>({
        webRtcServer: this.#webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: INITIAL_OUTGOING_BITRATE,
        appData: { participantId: req.participantId, direction: req.direction },
      }),
    );
  }

  /** Creates a PlainTransport (RTP to or from a local FFmpeg), owned by `req.participantId`. */
  async createPlainTransport(
    req: PlainTransportRequest,
  ): Promise<types.PlainTransport<MediaTransportAppData>> {
    const listenInfo: types.TransportListenInfo = req.listenInfo ?? {
      protocol: 'udp',
      ip: this.#plainListenIp,
      portRange: this.#plainPortRange,
    };
    return this.#adopt(req.participantId, () =>
      this.router.createPlainTransport<MediaTransportAppData>({
        listenInfo,
        rtcpMux: req.rtcpMux ?? true,
        comedia: req.comedia ?? false,
        enableSrtp: req.enableSrtp ?? false,
        srtpCryptoSuite: req.srtpCryptoSuite ?? 'AES_CM_128_HMAC_SHA1_80',
        appData: { participantId: req.participantId },
      }),
    );
  }

  /** Closes every transport (and so every producer and consumer) the participant owns. */
  closeParticipant(participantId: string): void {
    this.#participantEpochs.set(participantId, (this.#participantEpochs.get(participantId) ?? 0) + 1);
    const transports = this.#transports.get(participantId);
    if (!transports) return;
    this.#transports.delete(participantId);
    for (const transport of transports) transport.close();
    this.#logger.debug({ participantId, transports: transports.size }, 'participant media closed');
  }

  /** Number of open transports, of one participant or of everyone. */
  transportCount(participantId?: string): number {
    if (participantId !== undefined) return this.#transports.get(participantId)?.size ?? 0;
    let count = 0;
    for (const transports of this.#transports.values()) count += transports.size;
    return count;
  }

  /** Number of open consumers on all transports of this router (the worker pool's load measure). */
  consumerCount(): number {
    return this.#consumers;
  }

  /** Closes every transport, then the router, then emits 'close'. Idempotent. */
  close(reason: MediaRouterCloseReason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const transports of this.#transports.values()) {
      for (const transport of transports) transport.close();
    }
    this.#transports.clear();
    this.router.close();
    if (reason === 'worker-died') this.#logger.warn({ reason }, 'router closed');
    else this.#logger.debug({ reason }, 'router closed');
    this.safeEmit('close', reason);
  }

  async #adopt<T extends types.Transport<MediaTransportAppData>>(
    participantId: string,
    create: () => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw new MediaClosedError(`router ${this.id} is closed`);
    const epoch = this.#participantEpochs.get(participantId) ?? 0;
    let transport: T;
    try {
      transport = await create();
    } catch (error) {
      if (this.#closed)
        throw new MediaClosedError(`router ${this.id} closed during transport creation`, { cause: error });
      throw error;
    }
    if (this.#closed || (this.#participantEpochs.get(participantId) ?? 0) !== epoch) {
      transport.close();
      throw new MediaClosedError(
        `router ${this.id} or participant ${participantId} closed during transport creation`,
      );
    }
    let owned = this.#transports.get(participantId);
    if (!owned) {
      owned = new Set();
      this.#transports.set(participantId, owned);
    }
    const set = owned;
    set.add(transport);
    transport.observer.once('close', () => {
      set.delete(transport);
      if (set.size === 0 && this.#transports.get(participantId) === set)
        this.#transports.delete(participantId);
    });
    transport.observer.on('newconsumer', (consumer) => {
      this.#consumers += 1;
      consumer.observer.once('close', () => {
        this.#consumers -= 1;
      });
    });
    return transport;
  }
}
