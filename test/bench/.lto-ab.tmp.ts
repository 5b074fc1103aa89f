import { symlinkSync, rmSync } from 'node:fs';
import { WorkerPool } from '@seduta/media';
import { pin, useRealtime } from './cpu';
import { mediasoupRep } from './fanout';
import { ensureClip } from './publisher';
import { startSink } from './sink';

const LINK = process.env.MEDIASOUP_WORKER_BIN!;
const [a, b] = [process.argv[2]!, process.argv[3]!];
useRealtime(true);
pin(process.pid, 1, false);
const clip = await ensureClip();
const sink = await startSink(16, 1);
const viewers = Number(process.argv[4] ?? 200);
const reps = Number(process.argv[5] ?? 3);
for (let r = 0; r < reps; r++) {
  for (const [name, bin] of [['plain', a], ['lto', b]] as const) {
    rmSync(LINK, { force: true });
    symlinkSync(bin, LINK);
    const pool = await WorkerPool.create({
      numWorkers: 1,
      rtcListenIp: '127.0.0.1',
      spreadConsumers: Infinity,
      rtcPort: 45000 + r * 2 + (name === 'lto' ? 1 : 0),
      rtcMinPort: 46000,
      rtcMaxPort: 60999,
    });
    for (const pid of pool.workerPids()) pin(pid, 0);
    const m = await mediasoupRep({ pool, sink, clip, suite: 'AEAD_AES_256_GCM', viewers, timing: { warmupMs: 3000, windowMs: 8000 }, loadCpu: 1 });
    console.log(`${name} viewers=${viewers} cpu=${m.serverCpuPct}% pps=${m.forwardedPps} us/pkt=${m.serverUsPerPacket} loss=${m.lossPct}% sink=${m.sinkUsPerPacket}`);
    await pool.close();
  }
}
await sink.close();
