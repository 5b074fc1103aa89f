import { EventEmitter } from 'node:events';

/** Event name → listener argument tuple, as in mediasoup's `EnhancedEventEmitter<Events>`. */
export type EventMap = Record<string, unknown[]>;

/** Called when a listener throws; the emitter keeps running the other listeners. */
export type ListenerErrorHandler = (event: string, error: unknown) => void;

/**
 * A small typed event emitter. Subclasses emit with `safeEmit()`, which runs every listener even when
 * one throws (like mediasoup's `safeEmit`), so an owner's bug never aborts a close cascade.
 */
export class TypedEmitter<Events extends EventMap> {
  readonly #emitter = new EventEmitter();
  readonly #onListenerError: ListenerErrorHandler;

  constructor(onListenerError: ListenerErrorHandler = () => {}) {
    this.#onListenerError = onListenerError;
    // Owners such as one sitting per router subscribe a handful of listeners; no leak warning needed.
    this.#emitter.setMaxListeners(0);
  }

  /** Subscribes `listener` to `event`. */
  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Subscribes `listener` to the next `event` only. */
  once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Unsubscribes `listener` from `event`. */
  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Number of listeners subscribed to `event`. */
  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  /** Calls every listener of `event`; a throwing listener is reported and the others still run. */
  protected safeEmit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    for (const listener of this.#emitter.rawListeners(event)) {
      try {
        (listener as (...a: unknown[]) => void).apply(this, args);
      } catch (error) {
        this.#onListenerError(event, error);
      }
    }
  }
}
