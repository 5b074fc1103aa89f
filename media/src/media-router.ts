import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { MEDIA_CODECS } from './codecs';
import { TypedEmitter } from './emitter';
import { MediaClosedError } from './errors';
import { RouterSpread } from './spread';
import type { RouterPart, SpreadHost } from './spread';

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
  /** 'recv' for a transport that only consumes (a viewer): it may then go to another worker. */
  direction?: TransportDirection;
}

/** What a MediaRouter needs from the pool; built by WorkerPool, not by callers. */
export interface MediaRouterContext {
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
  ownerId: string;
  plainListenIp: string;
  /**
   * Where PipeTransports to other nodes listen (the WebRTC listen address, MEDIA_LISTEN_IP): another
   * machine must reach them, unlike the recorder's plain transports on loopback. Default plainListenIp.
   */
  pipeListenIp?: string;
  plainPortRange: types.TransportPortRange;
  logger: Logger;
  /** Lets the router put viewers on other workers once it carries `spread.threshold` consumers. */
  spread?: SpreadHost;
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

  readonly #spread: RouterSpread;
  readonly #partOf = new WeakMap<types.Transport, RouterPart>();
  readonly #plainListenIp: string;
  readonly #pipeListenIp: string;
  readonly #plainPortRange: types.TransportPortRange;
  readonly #logger: Logger;
  readonly #transports = new Map<string, Set<types.Transport>>();
  // Bumped by closeParticipant() so a transport whose creation was in flight is closed on arrival.
  readonly #participantEpochs = new Map<string, number>();
  /** Open producers on this sitting's transports (pipe producers on other workers not counted). */
  #producers = 0;
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
    const origin = {
      router,
      webRtcServer: ctx.webRtcServer,
      workerPid: ctx.worker.pid,
      consumers: 0,
      idleRecvTransports: 0,
    };
    this.#spread = new RouterSpread(origin, ctx.spread, logger, () => this.close('worker-died'));
    this.#plainListenIp = ctx.plainListenIp;
    this.#pipeListenIp = ctx.pipeListenIp ?? ctx.plainListenIp;
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

  /** PIDs of the workers this sitting uses: its own first, then those its viewers spread to. */
  get workerPids(): number[] {
    return this.#spread.parts.map((p) => p.workerPid);
  }

  /**
   * Creates a WebRTC transport for a participant on its worker's shared WebRtcServer port. A 'recv'
   * transport goes to another worker once this sitting's router is full (see {@link SpreadHost}).
   */
  async createWebRtcTransport(
    req: WebRtcTransportRequest,
  ): Promise<types.WebRtcTransport<MediaTransportAppData>> {
    return this.#adopt(req.participantId, req.direction === 'recv', (part) =>
      part.router.createWebRtcTransport<MediaTransportAppData>({
        webRtcServer: part.webRtcServer,
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
    return this.#adopt(req.participantId, req.direction === 'recv', (part) =>
      part.router.createPlainTransport<MediaTransportAppData>({
        listenInfo,
        rtcpMux: req.rtcpMux ?? true,
        comedia: req.comedia ?? false,
        enableSrtp: req.enableSrtp ?? false,
        srtpCryptoSuite: req.srtpCryptoSuite ?? 'AES_CM_128_HMAC_SHA1_80',
        appData: { participantId: req.participantId, ...(req.direction ? { direction: req.direction } : {}) },
      }),
    );
  }

  /**
   * Creates a PipeTransport to another node's router for this sitting (cross-node media), on the
   * WebRTC listen address (reachable from other machines) and the plain port range, owned by `req.participantId`. Its producers count as the
   * sitting's own: viewers on other workers of this node get them piped on.
   */
  async createPipeTransport(req: {
    participantId: string;
    /** The address the other node sends to; default the listen address. */
    announcedAddress?: string;
    /** Encrypt with SRTP (then `connect()` needs the remote srtpParameters); default true. */
    enableSrtp?: boolean;
  }): Promise<types.PipeTransport<MediaTransportAppData>> {
    const listenInfo: types.TransportListenInfo = {
      protocol: 'udp',
      ip: this.#pipeListenIp,
      portRange: this.#plainPortRange,
      ...(req.announcedAddress ? { announcedAddress: req.announcedAddress } : {}),
    };
    return this.#adopt(req.participantId, false, (part) =>
      part.router.createPipeTransport<MediaTransportAppData>({
        listenInfo,
        enableSrtp: req.enableSrtp ?? true,
        appData: { participantId: req.participantId },
      }),
    );
  }

  /**
   * Consumes a producer of this sitting on one of its transports. Use this rather than
   * `transport.consume()`: when the transport is on another worker, the producer is piped there first.
   */
  async consume(transport: types.Transport, options: types.ConsumerOptions): Promise<types.Consumer> {
    const part = this.#partOf.get(transport);
    if (!part || this.#closed)
      throw new MediaClosedError(`transport ${transport.id} is not open on router ${this.id}`);
    await this.#spread.ensurePiped(options.producerId, part);
    return transport.consume(options);
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

  /** Number of open consumers on this sitting's transports, on one worker or on all (the pool's load measure). */
  consumerCount(workerPid?: number): number {
    let count = 0;
    for (const part of this.#spread.parts) {
      if (workerPid === undefined || part.workerPid === workerPid) count += part.consumers;
    }
    return count;
  }

  /** Number of open producers on this sitting's transports (for metrics). */
  producerCount(): number {
    return this.#producers;
  }

  /**
   * Bits per second received from and sent to participants on this sitting's transports, summed
   * per worker pid (mediasoup's transport stats; one request to the worker per transport).
   */
  async bitrates(): Promise<Map<number, { recv: number; send: number }>> {
    const byPid = new Map<number, { recv: number; send: number }>();
    const transports = [...this.#transports.values()].flatMap((set) => [...set]);
    await Promise.all(
      transports.map(async (transport) => {
        const pid = this.#partOf.get(transport)?.workerPid ?? this.workerPid;
        // A transport that closes meanwhile has no stats left: it counts for nothing.
        // Every transport kind's stats extend BaseTransportStats (recvBitrate, sendBitrate).
        const stats = (await transport.getStats().catch(() => [])) as types.BaseTransportStats[];
        const sum = byPid.get(pid) ?? { recv: 0, send: 0 };
        for (const s of stats) {
          sum.recv += s.recvBitrate;
          sum.send += s.sendBitrate;
        }
        byPid.set(pid, sum);
      }),
    );
    return byPid;
  }

  /** Closes every transport, then the router, then emits 'close'. Idempotent. */
  close(reason: MediaRouterCloseReason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const transports of this.#transports.values()) {
      for (const transport of transports) transport.close();
    }
    this.#transports.clear();
    this.#spread.closeSpills();
    this.router.close();
    if (reason === 'worker-died') this.#logger.warn({ reason }, 'router closed');
    else this.#logger.debug({ reason }, 'router closed');
    this.safeEmit('close', reason);
  }

  async #adopt<T extends types.Transport<MediaTransportAppData>>(
    participantId: string,
    viewer: boolean,
    create: (part: RouterPart) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw new MediaClosedError(`router ${this.id} is closed`);
    const epoch = this.#participantEpochs.get(participantId) ?? 0;
    const place = viewer
      ? await this.#spread.placeViewer()
      : { part: this.#spread.origin, release: () => {} };
    const { part } = place;
    let transport: T;
    try {
      if (this.#closed) throw new MediaClosedError(`router ${this.id} is closed`);
      transport = await create(part);
    } catch (error) {
      place.release();
      if (this.#closed)
        throw new MediaClosedError(`router ${this.id} closed during transport creation`, { cause: error });
      throw error;
    }
    if (this.#closed || (this.#participantEpochs.get(participantId) ?? 0) !== epoch) {
      place.release();
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
    this.#partOf.set(transport, part);
    transport.observer.once('close', () => {
      place.release();
      set.delete(transport);
      if (set.size === 0 && this.#transports.get(participantId) === set)
        this.#transports.delete(participantId);
    });
    transport.observer.on('newconsumer', (consumer) => {
      // The viewer's first consumer turns its reserved place into a counted consumer.
      place.release();
      part.consumers += 1;
      consumer.observer.once('close', () => {
        part.consumers -= 1;
      });
    });
    transport.observer.on('newproducer', (producer) => {
      this.#producers += 1;
      producer.observer.once('close', () => {
        this.#producers -= 1;
      });
      this.#spread.addProducer(producer);
    });
    return transport;
  }
}
