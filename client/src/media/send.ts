import type { Device, types as msc } from 'mediasoup-client';
import type { IceSettings, MediaSource } from '@seduta/server/protocol';
import type { Signalling } from '../signalling';
import { transportUsable, watchIce } from './ice';

/**
 * Who publishes, which decides how the camera is captured and sent: the host (and any staff or
 * commissioner) with a 1280×720 camera, or an operator given the floor, with a 640×360 one
 * (client/src/media/capture.ts captureCamera, captureSpeaker).
 */
export type PublisherRole = 'host' | 'speaker';

/**
 * Camera simulcast in VP8, lowest layer first. The host's camera in three layers, ¼, ½ and full
 * size: 320, 640 and 1280 px wide. A speaker's camera in two, ½ and full: 320 and 640 px (a ¼ layer
 * would be 160×90, too small for any tile it is shown in). The server reads each layer's scale from
 * the producer's RTP parameters and, with the capture width it knows for the publisher's role
 * (server/src/sittings/participant.ts CAMERA_CAPTURE_WIDTH: keep the two in step), gives each
 * viewer the narrowest layer at least as wide as it shows the video; mediasoup lowers it while the
 * viewer's bandwidth cannot carry it.
 */
export const CAMERA_ENCODINGS: Readonly<Record<PublisherRole, readonly msc.RtpEncodingParameters[]>> = {
  host: [
    { scaleResolutionDownBy: 4, maxBitrate: 100_000 },
    { scaleResolutionDownBy: 2, maxBitrate: 300_000 },
    { scaleResolutionDownBy: 1, maxBitrate: 900_000 },
  ],
  speaker: [
    { scaleResolutionDownBy: 2, maxBitrate: 150_000 },
    { scaleResolutionDownBy: 1, maxBitrate: 500_000 },
  ],
};

/** The encodings a `role`'s camera is published with: fresh copies (mediasoup-client adds rids). */
export function cameraEncodings(role: PublisherRole): msc.RtpEncodingParameters[] {
  return CAMERA_ENCODINGS[role].map((encoding) => ({ ...encoding }));
}

/** Screen share: one layer, favouring sharp text over frame rate. */
const SCREEN_ENCODINGS: msc.RtpEncodingParameters[] = [{ maxBitrate: 1_500_000 }];

/**
 * The send side of a participant who publishes (the host, or a speaker given the floor): a send
 * WebRTC transport and one producer per source.
 * Owned by the SittingClient; `close()` closes the transport and every producer (not the tracks,
 * which belong to the client so they survive a media reset).
 */
export class Publisher {
  readonly #device: Device;
  readonly #transport: msc.Transport;
  readonly #signalling: Signalling;
  readonly #role: PublisherRole;
  readonly #producers = new Map<MediaSource, msc.Producer>();
  #closed = false;

  private constructor(device: Device, transport: msc.Transport, signalling: Signalling, role: PublisherRole) {
    this.#device = device;
    this.#transport = transport;
    this.#signalling = signalling;
    this.#role = role;
  }

  /**
   * Creates the server-side send transport and mirrors it in `device`; `role` says how the camera
   * is sent (see {@link CAMERA_ENCODINGS}), `ice` how the server is reached (TURN relays from the
   * join reply, transport policy).
   */
  static async create(
    device: Device,
    signalling: Signalling,
    role: PublisherRole,
    onConnectionState?: (state: msc.ConnectionState) => void,
    ice?: IceSettings,
  ): Promise<Publisher> {
    const options = await signalling.request({ type: 'transport.create', direction: 'send' });
    const transport = device.createSendTransport({
      id: options.transportId,
      iceParameters: options.iceParameters as msc.IceParameters,
      iceCandidates: options.iceCandidates as msc.IceCandidate[],
      dtlsParameters: options.dtlsParameters as msc.DtlsParameters,
      ...(ice ? { iceServers: ice.iceServers, iceTransportPolicy: ice.iceTransportPolicy } : {}),
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
    watchIce(transport, signalling, onConnectionState);
    return new Publisher(device, transport, signalling, role);
  }

  /** Whether the transport can still carry media (a resume may keep it). */
  get usable(): boolean {
    return !this.#closed && transportUsable(this.#transport);
  }

  /** New TURN credentials (a resume that kept the transport): used by the next ICE restart. */
  async updateIceServers(ice: IceSettings): Promise<void> {
    if (!this.#closed) await this.#transport.updateIceServers({ iceServers: ice.iceServers });
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
          encodings: cameraEncodings(this.#role),
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
