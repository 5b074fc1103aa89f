import type { types } from 'mediasoup';

/** Container of a codec's live segments: WebM where the codec allows it, Matroska otherwise. */
export interface SegmentContainer {
  format: 'webm' | 'matroska';
  extension: 'webm' | 'mkv';
}

/** Codec name as FFmpeg and the metadata spell it, from a mediasoup mimeType ('video/VP8' → 'vp8'). */
export function codecName(mimeType: string): string {
  return mimeType.split('/')[1]!.toLowerCase();
}

/** WebM for VP8, VP9 and Opus; Matroska for anything else (H.264). */
export function containerFor(codec: string): SegmentContainer {
  return ['vp8', 'vp9', 'opus'].includes(codec)
    ? { format: 'webm', extension: 'webm' }
    : { format: 'matroska', extension: 'mkv' };
}

/**
 * The SDP that tells FFmpeg what a mediasoup consumer sends to 127.0.0.1:port (plain RTP with
 * rtcp-mux, one media section for the consumer's first codec).
 */
export function consumerSdp(kind: types.MediaKind, rtpParameters: types.RtpParameters, port: number): string {
  const codec = rtpParameters.codecs[0];
  if (!codec) throw new Error('consumer has no codec');
  const [, name] = codec.mimeType.split('/');
  const pt = codec.payloadType;
  const rtpmap =
    kind === 'audio' ? `${name}/${codec.clockRate}/${codec.channels ?? 1}` : `${name}/${codec.clockRate}`;
  const fmtp = Object.entries(codec.parameters ?? {})
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(';');
  return [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=seduta-recorder',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=${kind} ${port} RTP/AVP ${pt}`,
    `a=rtpmap:${pt} ${rtpmap}`,
    ...(fmtp ? [`a=fmtp:${pt} ${fmtp}`] : []),
    'a=rtcp-mux',
    'a=recvonly',
    '',
  ].join('\n');
}
