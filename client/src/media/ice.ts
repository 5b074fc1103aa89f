import type { types as msc } from 'mediasoup-client';
import { markJoin } from '../join-timing';
import type { Signalling } from '../signalling';

/** How long ICE may stay `disconnected` before it is restarted (it often comes back alone). */
export const ICE_DISCONNECTED_GRACE_MS = 3_000;
/** Restarts tried for one failure before giving up (the socket's resume rebuilds the media then). */
const MAX_RESTARTS = 3;

/**
 * Keeps one transport's ICE alive: when the browser reports it `failed` (or `disconnected` for
 * longer than {@link ICE_DISCONNECTED_GRACE_MS}), asks the server for new ICE credentials
 * (`transport.restartIce`) and restarts ICE, at most {@link MAX_RESTARTS} times in a row. A
 * request made while the socket is down fails fast and is tried again on the next change.
 */
export function watchIce(
  transport: msc.Transport,
  signalling: Signalling,
  onState: (state: msc.ConnectionState) => void = () => undefined,
): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let restarts = 0;
  let restarting = false;
  const restart = async (): Promise<void> => {
    if (restarting || transport.closed || restarts >= MAX_RESTARTS) return;
    restarting = true;
    restarts += 1;
    try {
      const { iceParameters } = await signalling.request({
        type: 'transport.restartIce',
        transportId: transport.id,
      });
      if (!transport.closed)
        await transport.restartIce({ iceParameters: iceParameters as msc.IceParameters });
    } catch {
      // The socket is down or the transport is gone on the server: the resume takes over.
    } finally {
      restarting = false;
    }
  };
  transport.on('connectionstatechange', (state) => {
    markJoin(`${transport.direction}.${state}`);
    onState(state);
    clearTimeout(timer);
    if (state === 'connected') restarts = 0;
    else if (state === 'failed') void restart();
    else if (state === 'disconnected') timer = setTimeout(() => void restart(), ICE_DISCONNECTED_GRACE_MS);
  });
}

/** Whether a transport can still carry media (not failed, not closed). */
export function transportUsable(transport: msc.Transport): boolean {
  return (
    !transport.closed && transport.connectionState !== 'failed' && transport.connectionState !== 'closed'
  );
}
