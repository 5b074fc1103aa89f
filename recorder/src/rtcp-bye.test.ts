import { describe, expect, it } from 'vitest';
import { rtcpBye, sdpRtpPort } from './rtcp-bye';

describe('rtcpBye', () => {
  it('is an RTCP BYE for one source whose length field matches its size, padded to 32 bits', () => {
    const packet = rtcpBye(0x01020304, 'stop');
    expect(packet[0]! >> 6).toBe(2); // version
    expect(packet[0]! & 0x1f).toBe(1); // one SSRC
    expect(packet[1]).toBe(203);
    expect(packet.length % 4).toBe(0);
    expect((packet.readUInt16BE(2) + 1) * 4).toBe(packet.length);
    expect(packet.readUInt32BE(4)).toBe(0x01020304);
    expect(packet.subarray(9, 9 + packet[8]!).toString()).toBe('stop');
  });

  it('is never shorter than the 12 bytes FFmpeg requires of any RTP or RTCP packet', () => {
    expect(rtcpBye(1, '').length).toBeGreaterThanOrEqual(12);
    expect(rtcpBye().length).toBeGreaterThanOrEqual(12);
  });

  it('cuts a reason longer than the 255 bytes its length byte can say', () => {
    const packet = rtcpBye(1, 'x'.repeat(400));
    expect(packet[8]).toBe(255);
    expect((packet.readUInt16BE(2) + 1) * 4).toBe(packet.length);
  });
});

describe('sdpRtpPort', () => {
  it("reads the port of the SDP's first media section", () => {
    expect(sdpRtpPort('v=0\nc=IN IP4 127.0.0.1\nm=audio 40000 RTP/AVP 100\na=rtcp-mux\n')).toBe(40000);
    expect(sdpRtpPort('v=0\r\nm=video 50002 RTP/AVP 101\r\n')).toBe(50002);
  });

  it('says nothing for an SDP without a usable media line', () => {
    expect(sdpRtpPort('')).toBeUndefined();
    expect(sdpRtpPort('m=audio 0 RTP/AVP 100')).toBeUndefined();
    expect(sdpRtpPort('m=audio 70000 RTP/AVP 100')).toBeUndefined();
  });
});
