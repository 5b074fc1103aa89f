/**
 * The clean way to end a recording FFmpeg whatever its input is doing.
 *
 * FFmpeg reads `q` on stdin only between packets, so it cannot stop an FFmpeg whose input went
 * quiet (a paused producer, a sitting that ended); signals can, but the second one that leaves the
 * blocked read also interrupts the writing of the last segment's trailer. An RTCP BYE on the RTP
 * port ends FFmpeg's SDP input instead: its demuxer answers the BYE with end of file, and FFmpeg
 * then finishes as at the end of any input, trailer and segment list written.
 */
import dgram from 'node:dgram';

const LOOPBACK = '127.0.0.1';
/** RTCP packet type of BYE (RFC 3550 §6.6). */
const RTCP_BYE = 203;
/** SSRC the recorder's own RTCP speaks as; FFmpeg's SDP demuxer does not check it. */
const RECORDER_SSRC = 0x5e0d07a;

/**
 * An RTCP BYE for one SSRC with a reason. The reason is not decoration: FFmpeg drops any RTP or
 * RTCP packet shorter than 12 bytes, and a bare BYE is 8.
 */
export function rtcpBye(ssrc: number = RECORDER_SSRC, reason = 'recording stopped'): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 255);
  // Header (4) + SSRC (4) + reason length (1) + reason, padded to a multiple of 4 bytes.
  const size = Math.ceil((8 + 1 + text.length) / 4) * 4;
  const packet = Buffer.alloc(size);
  packet[0] = 0x80 | 1; // version 2, no padding bit (zero-filled reason end), one source
  packet[1] = RTCP_BYE;
  packet.writeUInt16BE(size / 4 - 1, 2); // length in 32-bit words minus one
  packet.writeUInt32BE(ssrc >>> 0, 4);
  packet[8] = text.length;
  text.copy(packet, 9);
  return packet;
}

/** Sends an RTCP BYE to the FFmpeg that listens on UDP 127.0.0.1:port. */
export async function sendRtcpBye(port: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.send(rtcpBye(), port, LOOPBACK, (error) => (error ? reject(error) : resolve()));
    });
  } finally {
    socket.close();
  }
}

/** The RTP port of the first media section of an SDP (`m=audio 40000 RTP/AVP 100` → 40000). */
export function sdpRtpPort(sdp: string): number | undefined {
  const match = /^m=\w+ (\d+) /m.exec(sdp);
  const port = match ? Number(match[1]) : NaN;
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}
