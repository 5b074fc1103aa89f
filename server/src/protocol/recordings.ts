/**
 * The recordings HTTP API's answers (`GET /api/sittings/:id/recordings`,
 * `GET /api/recordings/:id/tracks`), shared by the server routes and the web client's
 * recordings page. Plain types: these are responses, never validated input.
 */

/** A recording's state: recording, paused, then stopping, finalizing (making the MP4), ready or failed. */
export type RecordingFileState = 'recording' | 'paused' | 'stopping' | 'finalizing' | 'ready' | 'failed';

/** One recording as the admin list shows it. */
export interface RecordingListItem {
  id: string;
  state: RecordingFileState;
  startedAt: string;
  stoppedAt: string | null;
  /** Seconds: the final file's, else the time recorded so far (pauses excluded). */
  duration: number;
  /** Bytes of the final file (null until it is ready). */
  size: number | null;
  /** A recorder had to restart: a few seconds may be missing. */
  degraded: boolean;
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
