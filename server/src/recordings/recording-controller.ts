import { RecorderError, type Actor, type Recorder, type Recording, type TrackGap } from '@seduta/recorder';
import { AppError } from '../errors';
import type { RecordingGap, RecordingIndicator } from '../protocol';
import type { LiveSitting } from '../sittings/live-sitting';
import type { Identity } from '../sittings/participant';
import type { RecordingControls } from './controls';

const actorOf = (by: Identity): Actor => ({ actor: by.subject, role: by.role });
/** The recorder's gaps (live tracks not recorded now) as the indicator carries them. */
export const gapsOnTheWire = (gaps: TrackGap[]): RecordingGap[] =>
  gaps.map((g) => ({ participantName: g.participantName, source: g.source, since: g.since.toISOString() }));

const indicatorOf = (r: Recording): RecordingIndicator => ({
  state: r.state,
  degraded: r.degraded,
  gaps: gapsOnTheWire(r.gaps),
});

/** The recorder's refusals become the server's errors with the same stable code. */
async function mapped<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof RecorderError) throw new AppError(err.code, err.message, { cause: err });
    throw err;
  }
}

/**
 * The host's recording controls on top of the server's Recorder: one recording per live sitting,
 * consuming the sitting's `recordable` producers. The Recorder audit-logs every control.
 */
export class RecordingController implements RecordingControls {
  readonly #recorder: Recorder;

  constructor(recorder: Recorder) {
    this.#recorder = recorder;
  }

  /** Starts recording the sitting; `invalid_state` if it is already recorded. */
  async start(live: LiveSitting, by: Identity): Promise<RecordingIndicator> {
    return indicatorOf(await mapped(() => this.#recorder.start(live.recordable, actorOf(by))));
  }

  /** Pauses the sitting's recording. */
  async pause(live: LiveSitting, by: Identity): Promise<RecordingIndicator> {
    const recording = this.#active(live);
    await mapped(() => this.#recorder.pause(recording.id, actorOf(by)));
    return indicatorOf(recording);
  }

  /** Resumes the sitting's paused recording. */
  async resume(live: LiveSitting, by: Identity): Promise<RecordingIndicator> {
    const recording = this.#active(live);
    await mapped(() => this.#recorder.resume(recording.id, actorOf(by)));
    return indicatorOf(recording);
  }

  /** Stops the sitting's recording; the final file is made in the background. */
  async stop(live: LiveSitting, by: Identity): Promise<RecordingIndicator> {
    const recording = this.#active(live);
    await mapped(() => this.#recorder.stop(recording.id, actorOf(by)));
    return indicatorOf(recording);
  }

  #active(live: LiveSitting): Recording {
    const recording = this.#recorder.active(live.id);
    if (!recording) throw new AppError('invalid_state', 'the sitting is not being recorded');
    return recording;
  }
}
