import dgram from 'node:dgram';
import { pino } from 'pino';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRtp } from './rtp-packet';
import { RtpRelay } from './rtp-relay';

const logger = pino({ level: 'silent' });

/** One VP8 RTP packet: 15-bit picture ID, S=1 on a frame's first packet, P=0 for a keyframe. */
function vp8(seq: number, pictureId: number, opts: { start?: boolean; key?: boolean } = {}): Buffer {
  const { start = true, key = false } = opts;
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = 96;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(seq * 3000, 4);
  header.writeUInt32BE(0x1234, 8);
  const descriptor = Buffer.from([
    0x80 | (start ? 0x10 : 0),
    0x80,
    0x80 | (pictureId >> 8),
    pictureId & 0xff,
  ]);
  const payload = Buffer.from([key ? 0x00 : 0x01, 0, 0, 0]);
  return Buffer.concat([header, descriptor, payload]);
}

function opus(seq: number): Buffer {
  const packet = Buffer.alloc(20);
  packet[0] = 0x80;
  packet[1] = 111;
  packet.writeUInt16BE(seq, 2);
  return packet;
}

/** A socket standing for FFmpeg: collects what the relay forwards. */
async function ffmpegStandIn(): Promise<{ port: number; got: Buffer[]; close: () => void }> {
  const socket = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, got, close: () => socket.close() };
}

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function setup(kind: 'audio' | 'video') {
  const relay = await RtpRelay.open({ kind, codec: kind === 'video' ? 'vp8' : 'opus', logger });
  const ffmpeg = await ffmpegStandIn();
  const sender = dgram.createSocket('udp4');
  open.push(relay, ffmpeg, { close: () => sender.close() });
  const send = (packet: Buffer) =>
    new Promise<void>((resolve) => sender.send(packet, relay.port, '127.0.0.1', () => resolve()));
  const keyframeRequests: string[] = [];
  relay.on('keyframe', (reason) => keyframeRequests.push(reason));
  return { relay, ffmpeg, send, keyframeRequests };
}

describe('RtpRelay', () => {
  it('holds what arrives while FFmpeg starts and hands it over, from the first keyframe on', async () => {
    const { relay, ffmpeg, send } = await setup('video');
    relay.beginRun();
    await send(vp8(1, 10));
    await send(vp8(2, 11, { key: true }));
    await send(vp8(3, 11, { start: false }));
    await send(vp8(4, 12));
    await vi.waitFor(() => expect(relay.stats.packets).toBe(4));
    expect(ffmpeg.got).toHaveLength(0);
    const startedAt = relay.runStartedAt;
    expect(startedAt).toBeDefined();

    relay.forwardTo(ffmpeg.port);
    await vi.waitFor(() => expect(ffmpeg.got).toHaveLength(3));
    expect(ffmpeg.got.map((p) => parseRtp(p, 'vp8')!.seq)).toEqual([2, 3, 4]);
    await send(vp8(5, 13));
    await vi.waitFor(() => expect(ffmpeg.got).toHaveLength(4));
  });

  it('starts an audio run at its first packet', async () => {
    const { relay, ffmpeg, send } = await setup('audio');
    relay.beginRun();
    relay.forwardTo(ffmpeg.port);
    await send(opus(7));
    await vi.waitFor(() => expect(ffmpeg.got).toHaveLength(1));
    expect(relay.runStartedAt).toBeDefined();
  });

  it('renumbers picture IDs around frames the SFU left out on purpose (no packet lost)', async () => {
    const { relay, ffmpeg, send, keyframeRequests } = await setup('video');
    relay.beginRun();
    relay.forwardTo(ffmpeg.port);
    // Temporal-layer filtering: mediasoup keeps sequence numbers contiguous but, without TL0PICIDX
    // (Firefox), leaves the picture IDs of the frames it dropped as holes.
    await send(vp8(100, 500, { key: true }));
    await send(vp8(101, 502));
    await send(vp8(102, 504));
    await send(vp8(103, 504, { start: false }));
    await vi.waitFor(() => expect(ffmpeg.got).toHaveLength(4));
    expect(ffmpeg.got.map((p) => parseRtp(p, 'vp8')!.pictureId)).toEqual([500, 501, 502, 502]);
    expect(relay.stats.pictureIdsRenumbered).toBe(2);
    expect(keyframeRequests).toEqual(['recording starts']);
    expect(relay.awaitingKeyframeSince).toBeUndefined();
  });

  it('asks for a keyframe at once when a frame is lost, and keeps asking until one comes', async () => {
    const { relay, ffmpeg, send, keyframeRequests } = await setup('video');
    relay.beginRun();
    relay.forwardTo(ffmpeg.port);
    await send(vp8(1, 1, { key: true }));
    await send(vp8(2, 2));
    // Packet 3 (picture 3) lost.
    await send(vp8(4, 4));
    await vi.waitFor(() => expect(relay.stats.pictureGaps).toBe(1));
    expect(relay.awaitingKeyframeSince).toBeDefined();
    expect(keyframeRequests.at(-1)).toMatch(/picture 3 missing/);
    await vi.waitFor(() => expect(keyframeRequests.at(-1)).toBe('still no keyframe'), { timeout: 2_000 });
    await send(vp8(5, 5, { key: true }));
    await vi.waitFor(() => expect(relay.awaitingKeyframeSince).toBeUndefined());
    expect(relay.stats.seqGaps).toBe(1);
  });

  it('asks for a keyframe when a packet inside a frame never comes, but not when a retransmission fills the hole', async () => {
    const { relay, ffmpeg, send, keyframeRequests } = await setup('video');
    relay.beginRun();
    relay.forwardTo(ffmpeg.port);
    await send(vp8(10, 1, { key: true }));
    await send(vp8(11, 2));
    // 12 comes late (a retransmission): nothing is lost.
    await send(vp8(13, 2, { start: false }));
    await send(vp8(12, 2, { start: false }));
    await send(vp8(14, 3));
    await delay(600);
    expect(keyframeRequests).toEqual(['recording starts']);
    // 16 never comes.
    await send(vp8(15, 4));
    await send(vp8(17, 4, { start: false }));
    await vi.waitFor(() => expect(keyframeRequests.at(-1)).toBe('packets lost'), { timeout: 2_000 });
    expect(relay.stats.packetsLost).toBe(1);
  });

  it('counts a broken sequence that FFmpeg reports as a wait for a keyframe', async () => {
    const { relay, send, keyframeRequests } = await setup('video');
    relay.beginRun();
    await send(vp8(1, 1, { key: true }));
    await vi.waitFor(() => expect(relay.runStartedAt).toBeDefined());
    relay.sequenceBroken('[sdp] [warning] Missed a picture, sequence broken');
    expect(relay.awaitingKeyframeSince).toBeDefined();
    expect(keyframeRequests.at(-1)).toMatch(/sequence broken/);
  });
});
