import type { ParticipantInfo } from '@seduta/server/protocol';
import type { RemoteMedia } from './media/recv';

/** A participant shown as a speaker: their camera when they publish one, else just their name. */
export interface SpeakerView {
  participant: ParticipantInfo;
  /** The received camera; absent when the speaker was granted audio only (or it is starting). */
  video?: RemoteMedia;
}

const STAFF = new Set<ParticipantInfo['role']>(['host', 'admin']);

/** Whether this participant runs the sitting (their camera is the stage's main picture). */
export function isStaff(participant: ParticipantInfo | undefined): boolean {
  return participant !== undefined && STAFF.has(participant.role);
}

/**
 * Who to show as speakers, in joining order: every participant but `selfId` and the staff who
 * either holds the floor or publishes a camera (a commissioner, or a speaker whose video arrived).
 */
export function speakerViews(
  participants: readonly ParticipantInfo[],
  remote: readonly RemoteMedia[],
  selfId: string | undefined,
): SpeakerView[] {
  const views: SpeakerView[] = [];
  for (const participant of participants) {
    if (participant.id === selfId || isStaff(participant)) continue;
    const video = remote.find(
      (m) => m.participantId === participant.id && m.kind === 'video' && m.source === 'camera',
    );
    if (video || participant.hand === 'speaking') views.push({ participant, ...(video ? { video } : {}) });
  }
  return views;
}
