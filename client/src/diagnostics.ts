import { errorText } from './error-text';
import type { InboundStat } from './media/recv';
import type { ClientMetrics, SittingClient } from './sitting-client';

/** Hooks the page exposes for end-to-end tests and for support staff in the browser console. */
export interface SedutaWindowHooks {
  /** Raw WebRTC statistics of the receive transport (one report per peer connection). */
  __sedutaStats?: () => Promise<RTCStatsReport[]>;
  /** Inbound streams with the source (camera, screen, microphone) each one carries. */
  __sedutaInbound?: () => Promise<InboundStat[]>;
  /** Quality figures measured by the client (join → first frame). */
  __sedutaMetrics?: ClientMetrics;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Window extends SedutaWindowHooks {}
}

/** Exposes `client`'s statistics and metrics on `window`; returns the function that removes them. */
export function exposeDiagnostics(client: SittingClient): () => void {
  window.__sedutaStats = () => client.rawStats();
  window.__sedutaInbound = () => client.inboundStats();
  window.__sedutaMetrics = client.metrics;
  return () => {
    if (window.__sedutaMetrics !== client.metrics) return;
    delete window.__sedutaStats;
    delete window.__sedutaInbound;
    delete window.__sedutaMetrics;
  };
}

/**
 * Starts a page's `client`: exposes its diagnostics, passes each of its `error` events to `onError`
 * as the text for the user, and connects it; returns the function that undoes all that and closes it.
 */
export function runSittingClient(client: SittingClient, onError: (text: string) => void): () => void {
  const hideDiagnostics = exposeDiagnostics(client);
  const stopErrors = client.on('error', (error) => onError(errorText(error)));
  client.connect();
  return () => {
    stopErrors();
    hideDiagnostics();
    client.close();
  };
}
