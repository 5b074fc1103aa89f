/**
 * The recordings HTTP API's answers (`GET /api/sittings/:id/recordings`,
 * `GET /api/recordings/:id/tracks`), shared by the server routes and the web client's
 * recordings page. Plain types: these are responses, never validated input.
 */

/**
 * A recording's state: starting (until every live track has media on disk), recording, paused,
 * then stopping, finalizing (making the MP4), ready or failed.
 */
export type RecordingFileState =
  'starting' | 'recording' | 'paused' | 'stopping' | 'finalizing' | 'ready' | 'failed';

/**
 * A part of the sitting the recording does not cover. 'no-media': the participant's track was
 * live but not recorded from `from` to `to` (null: until the end); 'failure': the recorder lost or
 * could not store something (`text` says what).
 */
export interface RecordingProblemItem {
  kind: 'no-media' | 'failure';
  participantName: string | null;
  source: 'camera' | 'microphone' | 'screen' | null;
  from: string;
  to: string | null;
  /** English, for API clients; the web client words it from the fields. */
  text: string;
}

/** One recording as the admin list shows it. */
export interface RecordingListItem {
  id: string;
  state: RecordingFileState;
  /** Time of the first recorded media. */
  startedAt: string;
  /** When the host pressed "record" (null for recordings made before this was kept). */
  requestedAt: string | null;
  /** Milliseconds from the host's click to the first recorded media. */
  startDelayMs: number | null;
  stoppedAt: string | null;
  /** Seconds: the final file's, else the time recorded so far (pauses excluded). */
  duration: number;
  /** Bytes of the final file (null until it is ready). */
  size: number | null;
  /** Part of the sitting is not in the recording: `problems` says what and why. */
  degraded: boolean;
  problems: RecordingProblemItem[];
  /** Finalize progress, 0..1. */
  progress: number;
  error: string | null;
  /** The files were deleted by the retention policy. */
  purged: boolean;
}

/** One original (per-track) segment file of a recording. */
export interface RecordingTrackItem {
  id: string;
  kind: 'audio' | 'video';
  source: 'camera' | 'microphone' | 'screen';
  participantName: string;
  isHost: boolean;
  codec: string;
  startedAt: string;
  endedAt: string;
  size: number;
  sha256: string;
  /** False when the segment was cut short (a crash): it plays up to where it stops. */
  complete: boolean;
}
