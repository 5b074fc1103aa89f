import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database } from '@seduta/server';

/** A `recordings` row as read. */
export type RecordingRow = Selectable<Database['recordings']>;
/** A `recording_segments` row as read. */
export type SegmentRow = Selectable<Database['recording_segments']>;
/** A `recording_tracks` row as read. */
export type TrackRow = Selectable<Database['recording_tracks']>;
/** A `recording_tracks` row as written. */
export type NewTrackRow = Insertable<Database['recording_tracks']>;
/** A part of the sitting a recording does not cover (`recordings.problems`). */
export type RecordingProblem = RecordingRow['problems'][number];
/** A `recording_segments` row as inserted. */
export type NewSegmentRow = Insertable<Database['recording_segments']>;
/** State of a recording: the `recordings.state` column's literals. */
export type RecordingState = RecordingRow['state'];
/** One recorded period (ISO times; `end` null while it runs). */
export type RecordingInterval = RecordingRow['intervals'][number];

/** The finalized file's metadata. */
export interface FinalFileFields {
  path: string;
  duration: number;
  size: number;
  sha256: string;
  codec: string;
}

/** Every query the recorder makes, on the `recordings` and `recording_segments` tables. */
export class RecordingsRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Inserts a recording in state 'starting', asked for at `requestedAt`, with no interval yet
   * (the first opens with the first recorded media); returns its row.
   */
  async create(sittingId: string, startedBy: string, requestedAt: Date): Promise<RecordingRow> {
    return this.#db
      .insertInto('recordings')
      .values({
        sitting_id: sittingId,
        started_by: startedBy,
        started_at: requestedAt,
        requested_at: requestedAt,
        state: 'starting',
        intervals: JSON.stringify([]),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** The recording, or undefined. */
  async get(id: string): Promise<RecordingRow | undefined> {
    return this.#db.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Recordings of a sitting, newest first. */
  async listBySitting(sittingId: string): Promise<RecordingRow[]> {
    return this.#db
      .selectFrom('recordings')
      .selectAll()
      .where('sitting_id', '=', sittingId)
      .orderBy('started_at', 'desc')
      .execute();
  }

  /** Recordings in any of the given states, oldest first. */
  async listInStates(states: RecordingState[]): Promise<RecordingRow[]> {
    return this.#db
      .selectFrom('recordings')
      .selectAll()
      .where('state', 'in', states)
      .orderBy('started_at')
      .execute();
  }

  /** Recordings whose files still exist, oldest first. */
  async listUnpurged(): Promise<RecordingRow[]> {
    return this.#db
      .selectFrom('recordings')
      .selectAll()
      .where('purged_at', 'is', null)
      .orderBy('started_at')
      .execute();
  }

  /** Finished recordings (ready or failed) stopped before `before`, whose files still exist. */
  async listExpired(before: Date): Promise<RecordingRow[]> {
    return this.#db
      .selectFrom('recordings')
      .selectAll()
      .where('purged_at', 'is', null)
      .where('state', 'in', ['ready', 'failed'])
      .where((eb) => eb(eb.fn.coalesce('stopped_at', 'started_at'), '<', before))
      .orderBy('started_at')
      .execute();
  }

  /** Sets the state, the recorded intervals and (when stopping) the stop time. */
  async update(
    id: string,
    fields: {
      state?: RecordingState;
      intervals?: RecordingInterval[];
      stoppedAt?: Date;
      startedAt?: Date;
      error?: string | null;
    },
  ): Promise<void> {
    await this.#db
      .updateTable('recordings')
      .set({
        ...(fields.state !== undefined && { state: fields.state }),
        ...(fields.startedAt !== undefined && { started_at: fields.startedAt }),
        ...(fields.intervals !== undefined && { intervals: JSON.stringify(fields.intervals) }),
        ...(fields.stoppedAt !== undefined && { stopped_at: fields.stoppedAt }),
        ...(fields.error !== undefined && { error: fields.error }),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Marks the recording degraded, with every problem known so far. */
  async setProblems(id: string, problems: RecordingProblem[]): Promise<void> {
    await this.#db
      .updateTable('recordings')
      .set({ degraded: true, problems: JSON.stringify(problems) })
      .where('id', '=', id)
      .execute();
  }

  /** Inserts or updates a track's row (its live periods grow as the recording goes on). */
  async saveTrack(track: NewTrackRow): Promise<void> {
    await this.#db
      .insertInto('recording_tracks')
      .values(track)
      .onConflict((oc) => oc.columns(['recording_id', 'producer_id']).doUpdateSet({ live: track.live }))
      .execute();
  }

  /** Tracks of a recording. */
  async tracks(recordingId: string): Promise<TrackRow[]> {
    return this.#db
      .selectFrom('recording_tracks')
      .selectAll()
      .where('recording_id', '=', recordingId)
      .orderBy('producer_id')
      .execute();
  }

  /** Stores finalize progress (0..1). */
  async setProgress(id: string, progress: number): Promise<void> {
    const clamped = Math.min(1, Math.max(0, progress));
    await this.#db.updateTable('recordings').set({ progress: clamped }).where('id', '=', id).execute();
  }

  /** Records the finalized file and moves the recording to 'ready'. */
  async finalized(id: string, final: FinalFileFields): Promise<void> {
    await this.#db
      .updateTable('recordings')
      .set({
        state: 'ready',
        progress: 1,
        error: null,
        final_path: final.path,
        final_duration: final.duration,
        final_size: final.size,
        final_sha256: final.sha256,
        final_codec: final.codec,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Records that the retention policy deleted the recording's files. */
  async markPurged(id: string, at: Date): Promise<void> {
    await this.#db.updateTable('recordings').set({ purged_at: at }).where('id', '=', id).execute();
  }

  /** Inserts one closed segment. */
  async addSegment(segment: NewSegmentRow): Promise<SegmentRow> {
    return this.#db.insertInto('recording_segments').values(segment).returningAll().executeTakeFirstOrThrow();
  }

  /** Segments of a recording in time order. */
  async segments(recordingId: string): Promise<SegmentRow[]> {
    return this.#db
      .selectFrom('recording_segments')
      .selectAll()
      .where('recording_id', '=', recordingId)
      .orderBy('started_at')
      .orderBy('file')
      .execute();
  }

  /** One segment, or undefined. */
  async segment(id: string): Promise<SegmentRow | undefined> {
    return this.#db.selectFrom('recording_segments').selectAll().where('id', '=', id).executeTakeFirst();
  }
}
