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
  // The worker inherits this environment. The ring send-time history (patch 0003) is off unless
  // asked for: with it, the lossy-link e2e saw the bandwidth estimate climb back too slowly after a
  // cap (ADR 0035), so libwebrtc's map stays the default until that is understood.
  process.env.SEDUTA_WORKER_SEND_HISTORY ??= 'map';
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
