/** @seduta/recorder: records a sitting's media with FFmpeg, finalizes one file, verifies and expires files. */

/** The server's recorder: start/pause/resume/stop, state events, finalize queue, status. */
export { Recorder, resumePendingFinalizations } from './recorder';
/** Types of the recorder's deps, status and events. */
export type {
  RecorderDeps,
  RecorderEvents,
  RecordingStateEvent,
  RecordingStatus,
  ResumeDeps,
} from './recorder';
/** One recording in progress: a server-side participant consuming every producer of a sitting. */
export { Recording } from './recording';
/** Types of a recording's events. */
export type { RecordingEvents, TrackGap } from './recording';
/** What a recording consumes, and the adapter a LiveSitting owns to provide it. */
export { ProducerRegistry } from './source';
/** Types of recordable sources. */
export type { ProducerRef, RecordableSource, RecordableSourceEvents } from './source';
/** Lookup of recording files by id, confined to RECORDINGS_DIR (for the download routes). */
export { RecordingFiles } from './recording-files';
/** Type of a file ready to serve. */
export type { RecordingFile } from './recording-files';
/** Background finalize jobs. */
export { Finalizer, FINAL_FILE } from './finalizer';
/** Types of the finalizer. */
export type { FinalizerDeps, FinalizerEvents } from './finalizer';
/** Checksum verification of every stored file. */
export { verifyRecordings, COVERAGE_MIN_RATIO } from './verify';
export { recordingCoverage } from './coverage';
/** Types of a verification report. */
export type { VerifyMismatch, VerifyReport, RecordingCoverageReport } from './verify';
export type { TrackCoverage } from './coverage';
/** Retention: deletion of expired recording files, audit-logged. */
export { purgeExpiredRecordings } from './retention';
/** Types of retention. */
export type { PurgedRecording, RetentionDeps } from './retention';
/** Recorder settings from the environment. */
export { recorderConfigFromEnv, RecorderConfigError, DEFAULT_OUTPUT } from './config';
/** Types of the recorder settings. */
export type { RecorderConfig, OutputSettings } from './config';
/** Errors the recorder throws for refused requests. */
export { RecorderError } from './errors';
/** Codes of recorder errors. */
export type { RecorderErrorCode } from './errors';
/** The audit sink the server injects, and the system actor. */
export { SYSTEM_ACTOR } from './audit';
/** Types of audit wiring. */
export type { Actor, AuditSink } from './audit';
/** The metadata rows and the states of a recording. */
export type {
  RecordingRow,
  SegmentRow,
  RecordingState,
  RecordingInterval,
  RecordingProblem,
  TrackRow,
} from './recordings-repo';
/** The supervised FFmpeg wrapper. */
export { FfmpegProcess } from './ffmpeg-process';
/** Types of the FFmpeg wrapper. */
export type { FfmpegExit, FfmpegProcessEvents, FfmpegProcessOptions } from './ffmpeg-process';
