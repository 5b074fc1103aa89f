/**
 * What the recorder reads in the RTP it relays to FFmpeg: sequence numbers, and for video where a
 * frame starts, whether it is a keyframe and its VP8 picture ID. Pure functions over one datagram.
 */

/** The parts of one RTP packet the recorder needs. */
export interface RtpInfo {
  seq: number;
  timestamp: number;
  marker: boolean;
  /** The packet starts a frame (VP8: S=1 and partition 0; H.264: a NAL unit's start). */
  frameStart: boolean;
  /** The frame it starts is a keyframe (VP8 key frame; H.264 IDR or SPS). */
  keyframe: boolean;
  /** VP8 picture ID (7 or 15 bits), when present. */
  pictureId: number | undefined;
  /** Modulus of `pictureId` (128 or 32768). */
  pictureIdSpan: number;
  /** Byte offset of the picture ID in the packet (for rewriting it). */
  pictureIdOffset: number;
}

/** Writes a VP8 picture ID back where {@link parseRtp} found it (same width: 7 or 15 bits). */
export function writePictureId(packet: Buffer, info: RtpInfo, pictureId: number): void {
  if (info.pictureIdSpan === 0x8000) {
    packet[info.pictureIdOffset] = 0x80 | ((pictureId >> 8) & 0x7f);
    packet[info.pictureIdOffset + 1] = pictureId & 0xff;
  } else if (info.pictureIdSpan === 0x80) {
    packet[info.pictureIdOffset] = pictureId & 0x7f;
  }
}

/** Whether a datagram on an rtcp-mux port is RTCP (payload types 192–223 per RFC 5761). */
export function isRtcp(packet: Buffer): boolean {
  if (packet.length < 2) return false;
  const pt = packet[1]! & 0x7f;
  return pt >= 64 && pt <= 95;
}

/** Parses an RTP packet; undefined when it is too short or malformed. */
export function parseRtp(packet: Buffer, codec: string): RtpInfo | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const csrcs = packet[0]! & 0x0f;
  let offset = 12 + csrcs * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[packet.length - 1]!;
  if (end <= offset) return undefined;
  const payload = packet.subarray(offset, end);
  const info: RtpInfo = {
    seq: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    marker: (packet[1]! & 0x80) !== 0,
    frameStart: false,
    keyframe: false,
    pictureId: undefined,
    pictureIdSpan: 0,
    pictureIdOffset: 0,
  };
  if (codec === 'vp8') readVp8(payload, info, offset);
  else if (codec === 'h264') readH264(payload, info);
  return info;
}

/** RFC 7741 payload descriptor, then the VP8 payload header's P bit (0: key frame). */
function readVp8(payload: Buffer, info: RtpInfo, payloadOffset: number): void {
  let i = 0;
  const first = payload[i++];
  if (first === undefined) return;
  const start = (first & 0x10) !== 0 && (first & 0x0f) === 0;
  if (first & 0x80) {
    const ext = payload[i++];
    if (ext === undefined) return;
    if (ext & 0x80) {
      info.pictureIdOffset = payloadOffset + i;
      const b = payload[i++];
      if (b === undefined) return;
      if (b & 0x80) {
        const lo = payload[i++];
        if (lo === undefined) return;
        info.pictureId = ((b & 0x7f) << 8) | lo;
        info.pictureIdSpan = 0x8000;
      } else {
        info.pictureId = b & 0x7f;
        info.pictureIdSpan = 0x80;
      }
    }
    if (ext & 0x40) i += 1; // TL0PICIDX
    if (ext & 0x30) i += 1; // TID/Y/KEYIDX
  }
  const header = payload[i];
  if (!start || header === undefined) return;
  info.frameStart = true;
  info.keyframe = (header & 0x01) === 0;
}

/** RFC 6184: single NAL units, STAP-A and FU-A; IDR (5) or SPS (7) make a keyframe. */
function readH264(payload: Buffer, info: RtpInfo): void {
  const nal = payload[0];
  if (nal === undefined) return;
  const type = nal & 0x1f;
  if (type >= 1 && type <= 23) {
    info.frameStart = true;
    info.keyframe = type === 5 || type === 7;
  } else if (type === 24) {
    info.frameStart = true;
    for (let i = 1; i + 2 < payload.length;) {
      const size = payload.readUInt16BE(i);
      const inner = payload[i + 2]! & 0x1f;
      if (inner === 5 || inner === 7) info.keyframe = true;
      i += 2 + size;
    }
  } else if (type === 28) {
    const fu = payload[1];
    if (fu === undefined) return;
    info.frameStart = (fu & 0x80) !== 0;
    info.keyframe = info.frameStart && (fu & 0x1f) === 5;
  }
}
