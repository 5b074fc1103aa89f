/**
 * Opens the camera (720p wanted; the top simulcast layer is sent at this size, which the server
 * assumes when it picks a viewer's layer: server/src/sittings/participant.ts CAMERA_CAPTURE_WIDTH).
 */
export async function captureCamera(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
  });
  return firstTrack(stream, 'video');
}

/** Opens the microphone with the browser's voice processing on. */
export async function captureMicrophone(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  return firstTrack(stream, 'audio');
}

/** What a speaker captured: the tracks of the kinds the host granted. */
export interface SpeakerTracks {
  microphone?: MediaStreamTrack;
  camera?: MediaStreamTrack;
}

/**
 * Opens what the host granted a speaking operator, with one browser prompt: the microphone with
 * voice processing and/or a camera at 360p (a speaker is shown as a tile, not full screen; sent as
 * 320 and 640 px wide layers, see media/send.ts CAMERA_ENCODINGS and the server's
 * CAMERA_CAPTURE_WIDTH).
 */
export async function captureSpeaker(grants: { audio: boolean; video: boolean }): Promise<SpeakerTracks> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: grants.audio ? { echoCancellation: true, noiseSuppression: true, autoGainControl: true } : false,
    video: grants.video
      ? { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } }
      : false,
  });
  return {
    ...(grants.audio ? { microphone: firstTrack(stream, 'audio') } : {}),
    ...(grants.video ? { camera: firstTrack(stream, 'video') } : {}),
  };
}

/** Asks the user for a screen, window or tab to share (needs a user gesture). */
export async function captureScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: { frameRate: { ideal: 15, max: 30 } },
    audio: false,
  });
  const track = firstTrack(stream, 'video');
  // Documents and spreadsheets are shown: keep text sharp rather than motion smooth.
  track.contentHint = 'detail';
  return track;
}

function firstTrack(stream: MediaStream, kind: 'audio' | 'video'): MediaStreamTrack {
  const track = kind === 'video' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
  if (!track) throw new Error(`the browser returned no ${kind} track`);
  return track;
}
