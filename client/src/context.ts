import { createContext } from '@lit/context';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { SittingClient, SittingClientEvents } from './sitting-client';

/** The page's SittingClient, provided by the view that owns it to the components inside. */
export const sittingClientContext = createContext<SittingClient | undefined>(Symbol('seduta-sitting-client'));

const EVENTS: readonly (keyof SittingClientEvents)[] = [
  'sitting',
  'connection',
  'phase',
  'participants',
  'remote',
  'local',
  'metrics',
  'hand',
  'queue',
  'chat',
];

/**
 * Re-renders its host whenever the SittingClient returned by `getClient` changes state; follows
 * the client if the host is given another one.
 */
export class SittingClientController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #getClient: () => SittingClient | undefined;
  #subscribed: SittingClient | undefined;
  #unsubscribe: (() => void)[] = [];

  constructor(host: ReactiveControllerHost, getClient: () => SittingClient | undefined) {
    this.#host = host;
    this.#getClient = getClient;
    host.addController(this);
  }

  hostConnected(): void {
    this.#sync();
  }

  hostUpdate(): void {
    this.#sync();
  }

  hostDisconnected(): void {
    this.#drop();
  }

  #sync(): void {
    const client = this.#getClient();
    if (client === this.#subscribed) return;
    this.#drop();
    this.#subscribed = client;
    if (!client) return;
    const update = (): void => this.#host.requestUpdate();
    this.#unsubscribe = EVENTS.map((type) => client.on(type, update));
  }

  #drop(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    this.#subscribed = undefined;
  }
}
