import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkerPool, producerDefaults } from '@seduta/media';
import type { MediaRouter } from '@seduta/media';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const FFPROBE = process.env.FFPROBE_PATH ?? 'ffprobe';
const RTC_PORT = 45000 + randomInt(0, 900);
const SUITE = 'AES_CM_128_HMAC_SHA1_80';
const VP8_PT = 101;
const VP8_SSRC = 31_415_926;
const RECORD_SECONDS = 3;

const started: { child: ChildProcess; exited: Promise<number | null>; stderr: () => string }[] = [];
let pool: WorkerPool;
let router: MediaRouter;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'seduta-media-ffmpeg-'));
  pool = await WorkerPool.create({
    numWorkers: 1,
    rtcPort: RTC_PORT,
    rtcListenIp: '127.0.0.1',
    rtcMinPort: 46000,
    rtcMaxPort: 46999,
  });
  router = await pool.createRouter('sitting-ffmpeg');
});

afterAll(async () => {
  for (const { child } of started)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(started.map((p) => p.exited));
  await pool?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('PlainTransport with SRTP between FFmpeg and mediasoup', () => {
  it('forwards an FFmpeg VP8 stream through a producer and a consumer into a decodable recording', async () => {
    // FFmpeg → mediasoup: comedia learns FFmpeg's address; SRTP with FFmpeg's key. FFmpeg sends RTP
    // and RTCP from two different sockets, so RTCP gets its own port (with rtcp-mux, comedia would
    // latch onto whichever socket spoke first and drop the other's packets).
    const sourceKey = randomBytes(30).toString('base64');
    const source = await router.createPlainTransport({
      participantId: 'ffmpeg-source',
      comedia: true,
      rtcpMux: false,
      enableSrtp: true,
    });
    await source.connect({ srtpParameters: { cryptoSuite: SUITE, keyBase64: sourceKey } });
    const producer = await source.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: VP8_PT, clockRate: 90000 }],
        encodings: [{ ssrc: VP8_SSRC }],
      },
      ...producerDefaults('video'),
    });
    const rtpPort = source.tuple.localPort;
    const rtcpPort = source.rtcpTuple!.localPort;
    run(
      'sender',
      [
        '-hide_banner -loglevel error -re',
        '-f lavfi -i testsrc=size=320x240:rate=30',
        '-t 30', // bound the sender even if the test hangs
        '-c:v libvpx -deadline realtime -cpu-used 8 -b:v 500k -g 30',
        `-payload_type ${VP8_PT} -ssrc ${VP8_SSRC}`,
        `-f rtp -srtp_out_suite ${SUITE} -srtp_out_params ${sourceKey}`,
        `srtp://127.0.0.1:${rtpPort}?rtcpport=${rtcpPort}&pkt_size=1200`,
      ].flatMap(words),
    );
    await vi.waitFor(async () => expect(await receivedBytes(producer)).toBeGreaterThan(0), {
      timeout: 10_000,
    });

    // mediasoup → FFmpeg: the consumer's RTP goes to a port FFmpeg reads through an SDP file.
    const sink = await router.createPlainTransport({ participantId: 'ffmpeg-sink', enableSrtp: true });
    const consumer = await sink.consume({
      producerId: producer.id,
      rtpCapabilities: {
        codecs: router.rtpCapabilities.codecs?.filter((c) => c.mimeType === 'video/VP8'),
        headerExtensions: [],
      },
      paused: true,
    });
    const sinkPort = await freeUdpPort();
    // mediasoup encrypts with its own key; FFmpeg uses the SDP key for both directions.
    const sinkKey = sink.srtpParameters!;
    await sink.connect({ ip: '127.0.0.1', port: sinkPort, srtpParameters: sinkKey });
    const codec = consumer.rtpParameters.codecs[0]!;
    const sdpPath = path.join(dir, 'consumer.sdp');
    await writeFile(
      sdpPath,
      [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=seduta-media-test',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        `m=video ${sinkPort} RTP/SAVP ${codec.payloadType}`,
        `a=rtpmap:${codec.payloadType} VP8/90000`,
        'a=rtcp-mux',
        `a=crypto:1 ${sinkKey.cryptoSuite} inline:${sinkKey.keyBase64}`,
        'a=recvonly',
        '',
      ].join('\n'),
    );
    const output = path.join(dir, 'consumer.webm');
    const receiver = run('receiver', [
      ...words('-hide_banner -loglevel error -protocol_whitelist file,udp,rtp,srtp,crypto'),
      ...['-i', sdpPath],
      ...words(`-c copy -t ${RECORD_SECONDS} -y`),
      output,
    ]);
    await vi.waitFor(async () => expect(await isUdpPortTaken(sinkPort)).toBe(true), { timeout: 10_000 });
    await consumer.resume();
    await consumer.requestKeyFrame();

    const exitCode = await Promise.race([
      receiver.exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref()),
    ]);
    expect(exitCode, receiver.stderr()).toBe(0);

    const probe = await capture(FFPROBE, [
      ...words('-v error -count_frames -select_streams v:0'),
      ...words('-show_entries stream=codec_name,width,height,nb_read_frames -of json'),
      output,
    ]);
    const stream = (JSON.parse(probe) as { streams: Record<string, unknown>[] }).streams[0];
    expect(stream).toMatchObject({ codec_name: 'vp8', width: 320, height: 240 });
    expect(Number(stream?.nb_read_frames)).toBeGreaterThan(30);

    router.closeParticipant('ffmpeg-sink');
    router.closeParticipant('ffmpeg-source');
    expect(router.transportCount()).toBe(0);
  });
});

/** Splits a command-line fragment that holds no paths into arguments. */
function words(fragment: string): string[] {
  return fragment.split(/\s+/).filter(Boolean);
}

/** Starts an FFmpeg the test tears down in afterAll. */
function run(name: string, args: string[]): (typeof started)[number] {
  const child = spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
  const entry = { child, exited, stderr: () => `${name} ffmpeg stderr:\n${stderr}` };
  started.push(entry);
  return entry;
}

/** Runs a short command to completion and returns its stdout. */
function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err}`)),
    );
  });
}

async function receivedBytes(producer: types.Producer): Promise<number> {
  const stats = await producer.getStats();
  return stats.reduce((sum, s) => sum + s.byteCount, 0);
}

/** A UDP port on 127.0.0.1 that the kernel just told us is free. */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Whether someone (the receiving FFmpeg) has bound 127.0.0.1:port. */
async function isUdpPortTaken(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  const bound = await new Promise<boolean>((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => resolve(true));
  });
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return !bound;
}
