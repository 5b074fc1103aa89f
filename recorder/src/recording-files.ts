import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RecorderConfig } from './config';
import type { RecordingsRepo } from './recordings-repo';

/** A recording file ready to be served: everything a download route needs. */
export interface RecordingFile {
  recordingId: string;
  sittingId: string;
  /** Absolute path, always inside RECORDINGS_DIR. */
  absolutePath: string;
  size: number;
  /** SHA-256 recorded when the file was closed. */
  sha256: string;
  contentType: string;
  /** File name for `Content-Disposition: attachment`. */
  downloadName: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Finds recording files by id. Paths come only from the database and must resolve (symlinks
 * included) inside RECORDINGS_DIR; a client never supplies a path, and anything that is not a
 * known id of an existing file is simply not found.
 */
export class RecordingFiles {
  readonly #repo: RecordingsRepo;
  readonly #root: string;

  constructor(repo: RecordingsRepo, config: Pick<RecorderConfig, 'recordingsDir'>) {
    this.#repo = repo;
    this.#root = config.recordingsDir;
  }

  /** The finalized file of a ready recording, or undefined. */
  async final(recordingId: string): Promise<RecordingFile | undefined> {
    if (!UUID.test(recordingId)) return undefined;
    const row = await this.#repo.get(recordingId);
    if (!row || row.state !== 'ready' || row.purged_at !== null || !row.final_path || !row.final_sha256)
      return undefined;
    const absolutePath = await this.resolve(row.final_path);
    if (!absolutePath) return undefined;
    const day = row.started_at.toISOString().slice(0, 10);
    return {
      recordingId: row.id,
      sittingId: row.sitting_id,
      absolutePath,
      size: (await stat(absolutePath)).size,
      sha256: row.final_sha256,
      contentType: 'video/mp4',
      downloadName: `seduta-${day}-${row.id.slice(0, 8)}.mp4`,
    };
  }

  /** One original segment file (per-track, as recorded live), or undefined. */
  async segment(segmentId: string): Promise<RecordingFile | undefined> {
    if (!UUID.test(segmentId)) return undefined;
    const segment = await this.#repo.segment(segmentId);
    if (!segment) return undefined;
    const row = await this.#repo.get(segment.recording_id);
    if (!row || row.purged_at !== null) return undefined;
    const absolutePath = await this.resolve(segment.file);
    if (!absolutePath) return undefined;
    const ext = path.extname(segment.file);
    return {
      recordingId: row.id,
      sittingId: row.sitting_id,
      absolutePath,
      size: (await stat(absolutePath)).size,
      sha256: segment.sha256,
      contentType:
        ext === '.mkv' ? 'video/x-matroska' : segment.kind === 'audio' ? 'audio/webm' : 'video/webm',
      downloadName: `seduta-${row.id.slice(0, 8)}-${segment.kind}-${segment.source}-${path.basename(segment.file)}`,
    };
  }

  /** The absolute path of a stored relative path if it is an existing file inside the root, else undefined. */
  async resolve(relative: string): Promise<string | undefined> {
    if (path.isAbsolute(relative)) return undefined;
    try {
      const root = await realpath(this.#root);
      const absolute = await realpath(path.join(root, relative));
      const inside = path.relative(root, absolute);
      if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return undefined;
      return (await stat(absolute)).isFile() ? absolute : undefined;
    } catch {
      return undefined;
    }
  }
}
