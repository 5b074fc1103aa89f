import type { types } from 'mediasoup';
import { TypedEmitter } from '@seduta/media';
import type { MediaRouter } from '@seduta/media';
import type { MediaSource } from '@seduta/server/protocol';

/** A producer of the sitting, with what the recording needs to know about its owner. */
export interface ProducerRef {
  producer: types.Producer;
  participantId: string;
  participantName: string;
  source: MediaSource;
  /** Whether the owner is the sitting's host (their camera is the main picture of the final file). */
  isHost: boolean;
}

/** Events of a {@link RecordableSource}. */
export type RecordableSourceEvents = {
  /** A producer appeared. */
  producer: [ref: ProducerRef];
  /** A producer went away (closed by its owner, its owner left, or its router died). */
  producerclose: [producerId: string];
  /** The sitting ended; no more producers will appear. */
  close: [];
};

/** What a Recording consumes: a sitting's router and the producers in it, as they come and go. */
export interface RecordableSource {
  readonly sittingId: string;
  /** The sitting's current router (a new one after its media worker died). */
  readonly router: MediaRouter;
  /** Whether the sitting has ended. */
  readonly closed: boolean;
  /** The producers open right now. */
  producers(): ProducerRef[];
  on<K extends keyof RecordableSourceEvents & string>(
    event: K,
    listener: (...args: RecordableSourceEvents[K]) => void,
  ): unknown;
  off<K extends keyof RecordableSourceEvents & string>(
    event: K,
    listener: (...args: RecordableSourceEvents[K]) => void,
  ): unknown;
}

/**
 * The adapter a LiveSitting owns to become a {@link RecordableSource}: it calls `add()` for every
 * producer it creates and `close()` when it ends; the registry notices producers closing by itself.
 */
export class ProducerRegistry extends TypedEmitter<RecordableSourceEvents> implements RecordableSource {
  readonly sittingId: string;
  readonly #router: () => MediaRouter;
  readonly #refs = new Map<string, ProducerRef>();
  #closed = false;

  /** `router` returns the sitting's current router. */
  constructor(
    sittingId: string,
    router: () => MediaRouter,
    onListenerError?: (event: string, error: unknown) => void,
  ) {
    super(onListenerError);
    this.sittingId = sittingId;
    this.#router = router;
  }

  /** The sitting's current router. */
  get router(): MediaRouter {
    return this.#router();
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The producers open right now. */
  producers(): ProducerRef[] {
    return [...this.#refs.values()];
  }

  /** Announces a new producer; it is forgotten (and 'producerclose' emitted) when it closes. */
  add(ref: ProducerRef): void {
    if (this.#closed || ref.producer.closed || this.#refs.has(ref.producer.id)) return;
    const id = ref.producer.id;
    this.#refs.set(id, ref);
    ref.producer.observer.once('close', () => {
      if (!this.#refs.delete(id)) return;
      this.safeEmit('producerclose', id);
    });
    this.safeEmit('producer', ref);
  }

  /** Ends the sitting for its recorders. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#refs.clear();
    this.safeEmit('close');
  }
}
