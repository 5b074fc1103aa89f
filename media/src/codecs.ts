import type { types } from 'mediasoup';

/**
 * The codecs every sitting's router offers: Opus for audio; VP8, VP9 (profile 0) and H.264
 * constrained baseline for video, which together cover current Chrome, Firefox and Safari.
 */
export const MEDIA_CODECS: types.RouterRtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
  },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
  },
  {
    kind: 'video',
    mimeType: 'video/VP9',
    clockRate: 90000,
    parameters: { 'profile-id': 0 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
    },
  },
];

/**
 * Minimum time in milliseconds between two keyframe requests forwarded to one video producer
 * (mediasoup counts it per simulcast layer).
 *
 * Every viewer that joins, loses packets or switches layers asks for a keyframe; without a delay a
 * sitting with hundreds of operators would make the host's encoder send keyframes back to back and
 * starve its bitrate. A viewer whose request falls inside the delay waits for its end; issue 15
 * reconsidered it for join storms and kept 1 s, the bound issue 7 sets on requests reaching a
 * publisher (docs/decisions/0033-fast-join.md). The signalling layer passes this as
 * `keyFrameRequestDelay` to `transport.produce()` for video producers (see {@link producerDefaults}).
 */
export const KEY_FRAME_REQUEST_DELAY_MS = 1000;

/** The `transport.produce()` options Seduta sets on every producer of the given kind. */
export function producerDefaults(kind: types.MediaKind): Pick<types.ProducerOptions, 'keyFrameRequestDelay'> {
  return kind === 'video' ? { keyFrameRequestDelay: KEY_FRAME_REQUEST_DELAY_MS } : {};
}
