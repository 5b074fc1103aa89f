/**
 * mediasoup fan-out: one publisher (FFmpeg, plain RTP) into a sitting's MediaRouter, N viewers as
 * SRTP PlainTransports that consume its video and audio, all sending to the counting sink.
 */
import { randomBytes } from 'node:crypto';
import type { types } from 'mediasoup';
import { producerDefaults } from '@seduta/media';
import type { MediaRouter, WorkerPool } from '@seduta/media';
import { measureWindow } from './measure';
import type { Measurement, Suite } from './measure';
import { AUDIO, VIDEO, startPublisher } from './publisher';
import type { Publisher } from './publisher';
import type { Sink } from './sink';

/** Requests to the worker in flight at once while viewers are set up. */
const SETUP_CONCURRENCY = 50;

/** Timing of one repetition. */
export interface RepTiming {
  warmupMs: number;
  windowMs: number;
}

/** A fresh SRTP master key of the right length for `suite` (the sink never decrypts with it). */
export function srtpKey(suite: Exclude<Suite, 'none'>): string {
  return randomBytes(suite === 'AEAD_AES_256_GCM' ? 44 : 30).toString('base64');
}

/** A sitting's router with the publisher's video and audio producers, fed by a running FFmpeg. */
export interface PublishedRouter {
  router: MediaRouter;
  /** Ports where the router receives the publisher's RTP and RTCP. */
  inputPorts: number[];
  video: types.Producer;
  audio: types.Producer;
  publisher: Publisher;
  close(): Promise<void>;
}

/** Creates a router on `pool`, its two producers, and starts the publisher into them. */
export async function publishInto(
  pool: WorkerPool,
  name: string,
  clip: string,
  sink: Sink,
  loadCpu?: number,
  videoOverrides: Pick<types.ProducerOptions, 'keyFrameRequestDelay'> = {},
): Promise<PublishedRouter> {
  const router = await pool.createRouter(name);
  try {
    // FFmpeg sends RTCP from another socket than RTP: without rtcp-mux, comedia latches each separately.
    const source = () =>
      router.createPlainTransport({ participantId: 'publisher', comedia: true, rtcpMux: false });
    const [vt, at] = await Promise.all([source(), source()]);
    const video = await vt.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/VP8',
            payloadType: VIDEO.payloadType,
            clockRate: 90000,
            rtcpFeedback: [
              { type: 'nack' },
              { type: 'nack', parameter: 'pli' },
              { type: 'ccm', parameter: 'fir' },
            ],
          },
        ],
        encodings: [{ ssrc: VIDEO.ssrc }],
      },
      ...producerDefaults('video'),
      ...videoOverrides,
    });
    const audio = await at.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO.payloadType, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: AUDIO.ssrc }],
      },
      ...producerDefaults('audio'),
    });
    const publisher = startPublisher({
      clip,
      video: { port: vt.tuple.localPort, rtcpPort: vt.rtcpTuple!.localPort },
      audio: { port: at.tuple.localPort, rtcpPort: at.rtcpTuple!.localPort },
      reference: { port: sink.ports[0]! },
      ...(loadCpu === undefined ? {} : { cpu: loadCpu }),
    });
    return {
      router,
      inputPorts: [vt, at].flatMap((t) => [t.tuple.localPort, t.rtcpTuple!.localPort]),
      video,
      audio,
      publisher,
      async close() {
        await publisher.close();
        router.close();
      },
    };
  } catch (error) {
    router.close();
    throw error;
  }
}

/** Adds `count` viewers (ids from `firstId`), each consuming video and audio over its own SRTP PlainTransport. */
export async function addViewers(
  sitting: PublishedRouter,
  sink: Sink,
  suite: Suite,
  count: number,
  firstId = 0,
  opts: { paused?: boolean } = {},
): Promise<types.Consumer[]> {
  const { router } = sitting;
  const consumers: types.Consumer[] = [];
  const one = async (i: number) => {
    const transport = await router.createPlainTransport({
      participantId: `viewer-${i}`,
      direction: 'recv',
      enableSrtp: suite !== 'none',
      ...(suite === 'none' ? {} : { srtpCryptoSuite: suite }),
    });
    await transport.connect({
      ip: '127.0.0.1',
      port: sink.ports[i % sink.ports.length]!,
      ...(suite === 'none' ? {} : { srtpParameters: { cryptoSuite: suite, keyBase64: srtpKey(suite) } }),
    });
    for (const producer of [sitting.video, sitting.audio]) {
      consumers.push(
        await router.consume(transport, {
          producerId: producer.id,
          // A viewer that can receive everything the router offers, as a browser does.
          rtpCapabilities: router.rtpCapabilities,
          paused: opts.paused ?? false,
        }),
      );
    }
  };
  for (let i = firstId; i < firstId + count; i += SETUP_CONCURRENCY) {
    const batch = [];
    for (let j = i; j < Math.min(i + SETUP_CONCURRENCY, firstId + count); j++) batch.push(one(j));
    await Promise.all(batch);
  }
  return consumers;
}

/** One repetition: a fresh sitting with `viewers` viewers, measured after warm-up, then torn down. */
export async function mediasoupRep(opts: {
  pool: WorkerPool;
  sink: Sink;
  clip: string;
  suite: Suite;
  viewers: number;
  timing: RepTiming;
  loadCpu?: number;
  /** Called with the worker PIDs once media flows (e.g. to start a profiler). */
  onFlowing?: (pids: number[]) => void;
}): Promise<Measurement> {
  const sitting = await publishInto(opts.pool, `bench-${opts.viewers}`, opts.clip, opts.sink, opts.loadCpu);
  try {
    await addViewers(sitting, opts.sink, opts.suite, opts.viewers);
    opts.onFlowing?.(sitting.router.workerPids);
    return await measureWindow({
      system: 'mediasoup',
      suite: opts.suite,
      viewers: opts.viewers,
      serverPids: sitting.router.workerPids,
      sink: opts.sink,
      inputPorts: sitting.inputPorts,
      ...opts.timing,
    });
  } finally {
    await sitting.close();
  }
}
