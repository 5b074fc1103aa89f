import type { Device, types as msc } from 'mediasoup-client';
import type { MediaSource } from '@seduta/server/protocol';
import type { Signalling } from '../signalling';

/**
 * Camera simulcast: three VP8 layers at ¼, ½ and full resolution. The server picks each viewer's
 * layer from the size at which it shows the video and from its bandwidth.
 */
export const CAMERA_ENCODINGS: msc.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 100_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 300_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 900_000 },
];

/** Screen share: one layer, favouring sharp text over frame rate. */
const SCREEN_ENCODINGS: msc.RtpEncodingParameters[] = [{ maxBitrate: 1_500_000 }];

/**
 * The send side of the host: a send WebRTC transport and one producer per source.
 * Owned by the SittingClient; `close()` closes the transport and every producer (not the tracks,
 * which belong to the client so they survive a media reset).
 */
export class Publisher {
  readonly #device: Device;
  readonly #transport: msc.Transport;
  readonly #signalling: Signalling;
  readonly #producers = new Map<MediaSource, msc.Producer>();
  #closed = false;

  private constructor(device: Device, transport: msc.Transport, signalling: Signalling) {
    this.#device = device;
    this.#transport = transport;
    this.#signalling = signalling;
  }

  /** Creates the server-side send transport and mirrors it in `device`. */
  static async create(device: Device, signalling: Signalling): Promise<Publisher> {
    const options = await signalling.request({ type: 'transport.create', direction: 'send' });
    const transport = device.createSendTransport({
      id: options.transportId,
      iceParameters: options.iceParameters as msc.IceParameters,
      iceCandidates: options.iceCandidates as msc.IceCandidate[],
      dtlsParameters: options.dtlsParameters as msc.DtlsParameters,
    });
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      signalling
        .request({ type: 'transport.connect', transportId: transport.id, dtlsParameters })
        .then(() => callback(), errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      signalling
        .request({
          type: 'produce',
          transportId: transport.id,
          kind,
          source: appData.source as MediaSource,
          rtpParameters: rtpParameters as never,
        })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    return new Publisher(device, transport, signalling);
  }

  /** The producer id of `source`, if it is published. */
  producerId(source: MediaSource): string | undefined {
    return this.#producers.get(source)?.id;
  }

  /** Publishes `track` as `source` (once: a source already published is left as it is). */
  async publish(source: MediaSource, track: MediaStreamTrack, paused = false): Promise<void> {
    if (this.#closed || this.#producers.has(source)) return;
    const producer = await this.#transport.produce({
      track,
      stopTracks: false,
      appData: { source },
      ...this.#encodingFor(source),
    });
    if (this.#closed) {
      producer.close();
      return;
    }
    this.#producers.set(source, producer);
    if (paused) await this.pause(source);
  }

  /** Mutes `source` locally and on the server (nobody receives it). */
  async pause(source: MediaSource): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer || producer.paused) return;
    producer.pause();
    await this.#signalling.request({ type: 'producer.pause', producerId: producer.id });
  }

  /** Unmutes `source`. */
  async resume(source: MediaSource): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer || !producer.paused) return;
    producer.resume();
    try {
      await this.#signalling.request({ type: 'producer.resume', producerId: producer.id });
    } catch (error) {
      // Refused (e.g. the host muted this microphone): stay muted here too.
      producer.pause();
      throw error;
    }
  }

  /** Stops publishing `source`. */
  async unpublish(source: MediaSource): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer) return;
    this.#producers.delete(source);
    producer.close();
    await this.#signalling.request({ type: 'producer.close', producerId: producer.id });
  }

  /**
   * Forgets every producer without asking the server: used when the server itself closed them
   * (a speaker's floor ended). The transport stays, for the next intervention.
   */
  dropProducers(): void {
    for (const producer of this.#producers.values()) producer.close();
    this.#producers.clear();
  }

  /** Closes every producer and the transport; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const producer of this.#producers.values()) producer.close();
    this.#producers.clear();
    this.#transport.close();
  }

  #encodingFor(
    source: MediaSource,
  ): Pick<msc.ProducerOptions, 'encodings' | 'codec' | 'codecOptions'> | Record<string, never> {
    switch (source) {
      case 'camera':
        return {
          encodings: CAMERA_ENCODINGS,
          codec: this.#vp8(),
          codecOptions: { videoGoogleStartBitrate: 1000 },
        };
      case 'screen':
        return { encodings: SCREEN_ENCODINGS, codec: this.#vp8() };
      case 'microphone':
        return { codecOptions: { opusStereo: false, opusDtx: true, opusFec: true } };
      default:
        return assertNever(source);
    }
  }

  #vp8(): msc.RtpCodecCapability | undefined {
    return this.#device.sendRtpCapabilities.codecs?.find(
      (codec) => codec.mimeType.toLowerCase() === 'video/vp8',
    );
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${String(value)}`);
}
