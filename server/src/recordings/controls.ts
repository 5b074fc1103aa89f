import type { RecordingIndicator } from '../protocol';
import type { LiveSitting } from '../sittings/live-sitting';
import type { Identity } from '../sittings/participant';

/**
 * The host's recording controls as the signalling handlers call them. The recordings feature
 * provides them (recordings/recording-controller.ts); without it every control is refused.
 */
export interface RecordingControls {
  start(live: LiveSitting, by: Identity): Promise<RecordingIndicator>;
  pause(live: LiveSitting, by: Identity): Promise<RecordingIndicator>;
  resume(live: LiveSitting, by: Identity): Promise<RecordingIndicator>;
  stop(live: LiveSitting, by: Identity): Promise<RecordingIndicator>;
}
