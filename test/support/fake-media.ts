/**
 * What a raw-protocol client (tests, benchmarks) sends in place of a browser's media: hand-written
 * rtpParameters of one track, a DTLS identity that never completes a handshake, and the host's
 * usual opening (start, join, one camera) in one call.
 */
import type { types } from 'mediasoup';
import type { RawClient } from './raw-client';

/** rtpParameters of one VP8 (video, mid 0) or Opus (audio, mid 1) track, as a browser sends them. */
export function fakeRtpParameters(kind: types.MediaKind, ssrc: number): types.RtpParameters {
  const codec: types.RtpCodecParameters =
    kind === 'video'
      ? { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [] }
      : { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, rtcpFeedback: [] };
  return {
    mid: kind === 'video' ? '0' : '1',
    codecs: [codec],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: `test-${ssrc}` },
  };
}

/** A browser's DTLS identity as a raw client sends it (mediasoup stores it; no handshake happens). */
export const FAKE_DTLS: types.DtlsParameters = {
  role: 'client',
  fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') }],
};

/** What {@link hostStartsOnCamera} leaves behind. */
export interface PublishingHost {
  /** The host's participant id in the sitting. */
  participantId: string;
  producerId: string;
  sendTransportId: string;
  routerRtpCapabilities: types.RtpCapabilities;
}

/**
 * The host's opening over the raw protocol: starts the sitting, joins, gives its capabilities,
 * opens a send transport and publishes one camera track (VP8, `ssrc`).
 */
export async function hostStartsOnCamera(host: RawClient, ssrc = 1111): Promise<PublishingHost> {
  await host.request({ type: 'sitting.start' });
  const { routerRtpCapabilities, participantId } = await host.request({ type: 'join' });
  await host.request({ type: 'media.capabilities', rtpCapabilities: routerRtpCapabilities });
  const send = await host.request({ type: 'transport.create', direction: 'send' });
  const { producerId } = await host.request({
    type: 'produce',
    transportId: send.transportId,
    kind: 'video',
    source: 'camera',
    rtpParameters: fakeRtpParameters('video', ssrc),
  });
  return { participantId, producerId, sendTransportId: send.transportId, routerRtpCapabilities };
}
