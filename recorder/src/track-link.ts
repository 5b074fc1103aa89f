import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import type { MediaRouter } from '@seduta/media';
import { RtpRelay } from './rtp-relay';
import { codecName, consumerSdp } from './sdp';
import { freeUdpPortPair } from './udp-ports';

/** Options of {@link TrackLink.open}. */
export interface TrackLinkOptions {
  /** Number of the link within its track, for the SDP file name. */
  index: number;
  router: MediaRouter;
  /** Owner of the link's transport on the router. */
  ownerId: string;
  producerId: string;
  kind: types.MediaKind;
  /** Absolute directory of the track. */
  dir: string;
  logger: Logger;
}

/**
 * The path of one producer's RTP to FFmpeg: a PlainTransport consumer sending to the track's
 * {@link RtpRelay}, the loopback port the relay forwards to (FFmpeg listens there), and the SDP
 * file that describes it. The consumer flows from the moment the link opens, so nothing is lost
 * while FFmpeg starts. A link outlives an FFmpeg crash (the restarted FFmpeg binds the same port);
 * pause and stop close it.
 */
export class TrackLink {
  /** Port FFmpeg listens on. */
  readonly port: number;
  /** Absolute path of the SDP FFmpeg reads. */
  readonly sdpPath: string;
  /** Codec name as FFmpeg spells it ('vp8', 'opus'). */
  readonly codec: string;
  readonly consumer: types.Consumer;
  readonly relay: RtpRelay;
  readonly #transport: types.PlainTransport;

  /** Creates the transport, the relay and a paused consumer, picks FFmpeg's port and writes the SDP. */
  static async open(opts: TrackLinkOptions): Promise<TrackLink> {
    const transport = await opts.router.createPlainTransport({ participantId: opts.ownerId });
    let relay: RtpRelay | undefined;
    try {
      const caps = opts.router.rtpCapabilities;
      const consumer = await transport.consume({
        producerId: opts.producerId,
        rtpCapabilities: {
          codecs: caps.codecs?.filter((c) => c.kind === opts.kind && !/\/rtx$/i.test(c.mimeType)),
          headerExtensions: [],
        },
        paused: true,
      });
      const codec = codecName(consumer.rtpParameters.codecs[0]!.mimeType);
      relay = await RtpRelay.open({ kind: opts.kind, codec, logger: opts.logger });
      const port = await freeUdpPortPair();
      await transport.connect({ ip: '127.0.0.1', port: relay.port });
      const sdpPath = path.join(opts.dir, `l${String(opts.index).padStart(4, '0')}.sdp`);
      await writeFile(sdpPath, consumerSdp(opts.kind, consumer.rtpParameters, port), { flag: 'wx' });
      return new TrackLink(transport, consumer, relay, port, sdpPath, codec);
    } catch (error) {
      relay?.close();
      transport.close();
      throw error;
    }
  }

  private constructor(
    transport: types.PlainTransport,
    consumer: types.Consumer,
    relay: RtpRelay,
    port: number,
    sdpPath: string,
    codec: string,
  ) {
    this.#transport = transport;
    this.consumer = consumer;
    this.relay = relay;
    this.port = port;
    this.sdpPath = sdpPath;
    this.codec = codec;
  }

  /** Whether media can still flow (the consumer, its producer and its router are alive). */
  get alive(): boolean {
    return !this.consumer.closed && !this.#transport.closed;
  }

  /** Closes the transport (and so the consumer) and the relay. Idempotent. */
  close(): void {
    this.#transport.close();
    this.relay.close();
  }
}
