import { createWorker } from 'mediasoup';
import type { types } from 'mediasoup';
import type { ResolvedPoolOptions } from './options';

/** A live mediasoup worker and the WebRtcServer that carries all its WebRTC traffic. */
export interface StartedWorker {
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
}

/**
 * Spawns one mediasoup worker and binds its WebRtcServer to `port` (UDP and TCP, same number).
 * On failure (typically the port is busy) the half-started worker is closed before the error is thrown.
 */
export async function startWorker(opts: ResolvedPoolOptions, port: number): Promise<StartedWorker> {
  const worker = await createWorker({
    logLevel: 'warn',
    // Deprecated in mediasoup in favour of per-transport portRange, which MediaRouter also passes;
    // kept so that any transport created without one still stays inside the configured range.
    rtcMinPort: opts.rtcMinPort,
    rtcMaxPort: opts.rtcMaxPort,
    // Ignored by a worker built without liburing.
    disableLiburing: opts.disableLiburing,
  });
  try {
    const listen = { ip: opts.rtcListenIp, announcedAddress: opts.rtcAnnouncedAddress, port };
    const webRtcServer = await worker.createWebRtcServer({
      listenInfos: [
        { protocol: 'udp', ...listen },
        { protocol: 'tcp', ...listen },
      ],
    });
    return { worker, webRtcServer };
  } catch (error) {
    worker.close();
    await subprocessClosed(worker);
    throw error;
  }
}

/** Resolves once the worker's subprocess has exited (immediately if it already has). */
export function subprocessClosed(worker: types.Worker): Promise<void> {
  if (worker.subprocessClosed) return Promise.resolve();
  return new Promise((resolve) => worker.once('subprocessclose', () => resolve()));
}
