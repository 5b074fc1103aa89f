/**
 * Server side of the loopback fixture's signalling (test/e2e/fixtures/loopback-protocol.ts):
 * answers the page's requests with one participant's transports on a MediaRouter. Producers and
 * consumers live on the transports, which the router owns; closing the participant closes them.
 */
import type { MediaRouter, MediaTransportAppData } from '@seduta/media';
import { producerDefaults } from '@seduta/media';
import type { types } from 'mediasoup';
import type { LoopbackRequest, LoopbackResponses } from '../fixtures/loopback-protocol';

type Transport = types.WebRtcTransport<MediaTransportAppData>;

/** One page's media on the router, and the handler for its signalling requests. */
export class LoopbackSignalling {
  /** The participant's WebRTC transports, by direction, once the page created them. */
  readonly transports = new Map<'send' | 'recv', Transport>();
  readonly #router: MediaRouter;
  readonly #participantId: string;
  readonly #consumers = new Map<string, types.Consumer>();

  /** Serves `participantId` on `router`. */
  constructor(router: MediaRouter, participantId: string) {
    this.#router = router;
    this.#participantId = participantId;
  }

  /** Handles one request from the page; pass it to `TestPage.exposeFunction`. */
  readonly handle = async (
    request: LoopbackRequest,
  ): Promise<LoopbackResponses[LoopbackRequest['method']]> => {
    switch (request.method) {
      case 'getRouterRtpCapabilities':
        return this.#router.rtpCapabilities as LoopbackResponses['getRouterRtpCapabilities'];
      case 'createTransport': {
        const t = await this.#router.createWebRtcTransport({
          participantId: this.#participantId,
          direction: request.direction,
        });
        this.transports.set(request.direction, t);
        return {
          id: t.id,
          iceParameters: t.iceParameters,
          iceCandidates: t.iceCandidates,
          dtlsParameters: t.dtlsParameters,
        } as LoopbackResponses['createTransport'];
      }
      case 'connectTransport':
        await this.#transport(request.transportId).connect({
          dtlsParameters: request.dtlsParameters as types.DtlsParameters,
        });
        return null;
      case 'produce': {
        const producer = await this.#transport(request.transportId).produce({
          kind: request.kind,
          rtpParameters: request.rtpParameters as types.RtpParameters,
          ...producerDefaults(request.kind),
        });
        return { id: producer.id };
      }
      case 'consume': {
        const rtpCapabilities = request.rtpCapabilities as types.RtpCapabilities;
        if (!this.#router.router.canConsume({ producerId: request.producerId, rtpCapabilities })) {
          throw new Error(`page cannot consume producer ${request.producerId}`);
        }
        const consumer = await this.#transport(request.transportId).consume({
          producerId: request.producerId,
          rtpCapabilities,
          // Resumed by the page once its consumer exists, so the first keyframe is not lost.
          paused: true,
        });
        this.#consumers.set(consumer.id, consumer);
        consumer.observer.once('close', () => this.#consumers.delete(consumer.id));
        return {
          id: consumer.id,
          producerId: consumer.producerId,
          kind: consumer.kind,
          rtpParameters: consumer.rtpParameters as LoopbackResponses['consume']['rtpParameters'],
        };
      }
      case 'resumeConsumer': {
        const consumer = this.#consumers.get(request.consumerId);
        if (!consumer) throw new Error(`no consumer ${request.consumerId}`);
        await consumer.resume();
        return null;
      }
      default:
        return assertNever(request);
    }
  };

  #transport(id: string): Transport {
    for (const t of this.transports.values()) if (t.id === id) return t;
    throw new Error(`no transport ${id} for participant ${this.#participantId}`);
  }
}

function assertNever(x: never): never {
  throw new Error(`unknown loopback request ${JSON.stringify(x)}`);
}
