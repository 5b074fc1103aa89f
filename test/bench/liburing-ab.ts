/**
 * A/B of the worker's io_uring sending (docs/decisions/0012-worker-liburing.md): the same
 * liburing-enabled worker binary with io_uring on and off (mediasoup's `disableLiburing`),
 * alternately, one worker pinned to CPU 0, the fan-out of the benchmark with GCM SRTP.
 *
 *   media/worker-build/liburing/build.sh /tmp/mediasoup-worker-liburing
 *   MEDIASOUP_WORKER_BIN=/tmp/mediasoup-worker-liburing npx tsx test/bench/liburing-ab.ts [viewers] [repetitions]
 */
import { WorkerPool } from '@seduta/media';
import { pin, useRealtime } from './cpu';
import { mediasoupRep } from './fanout';
import { ensureClip } from './publisher';
import { startSink } from './sink';

useRealtime(true);
pin(process.pid, 1, false);
const clip = await ensureClip();
const sink = await startSink(16, 1);
const viewers = Number(process.argv[2] ?? 200);
const reps = Number(process.argv[3] ?? 3);
if (!process.env.MEDIASOUP_WORKER_BIN)
  console.warn(
    'MEDIASOUP_WORKER_BIN is not set: the default worker has no io_uring, both lines are the same',
  );
for (let r = 0; r < reps; r++) {
  for (const disableLiburing of [false, true]) {
    const pool = await WorkerPool.create({
      numWorkers: 1,
      rtcListenIp: '127.0.0.1',
      spreadConsumers: Infinity,
      rtcPort: 45000 + r * 2 + (disableLiburing ? 1 : 0),
      rtcMinPort: 46000,
      rtcMaxPort: 60999,
      disableLiburing,
    });
    for (const pid of pool.workerPids()) pin(pid, 0);
    const m = await mediasoupRep({
      pool,
      sink,
      clip,
      suite: 'AEAD_AES_256_GCM',
      viewers,
      timing: { warmupMs: 3000, windowMs: 8000 },
      loadCpu: 1,
    });
    console.log(
      `uring=${!disableLiburing} viewers=${viewers} cpu=${m.serverCpuPct}% pps=${m.forwardedPps} us/pkt=${m.serverUsPerPacket} loss=${m.lossPct}% sink=${m.sinkUsPerPacket} busy=${m.coreBusyPct.join('/')}`,
    );
    await pool.close();
  }
}
await sink.close();
