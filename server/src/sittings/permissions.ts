import type { RequestType, Role } from '../protocol';

/** Who may send a request, and whether the sender must have joined the live sitting first. */
export interface Permission {
  roles: readonly Role[];
  joined: boolean;
}

const EVERYONE: readonly Role[] = ['admin', 'host', 'commissioner', 'operator'];
const STAFF: readonly Role[] = ['admin', 'host'];
/**
 * Roles that may ask to publish media. Operators may ask, but the floor (sittings/floor.ts)
 * refuses them unless the host has approved their raised hand for that kind, at that moment.
 */
const PUBLISHERS: readonly Role[] = EVERYONE;
const OPERATORS: readonly Role[] = ['operator'];

/**
 * The one permission table for signalling: every request type × role. The signalling handler
 * consults it for every message before calling the domain; the UI only mirrors it.
 */
export const PERMISSIONS: Record<RequestType, Permission> = {
  join: { roles: EVERYONE, joined: false },
  leave: { roles: EVERYONE, joined: true },
  'sitting.start': { roles: STAFF, joined: false },
  'sitting.end': { roles: STAFF, joined: false },
  'media.capabilities': { roles: EVERYONE, joined: true },
  'media.prepare': { roles: EVERYONE, joined: false },
  'transport.create': { roles: EVERYONE, joined: true },
  'transport.connect': { roles: EVERYONE, joined: true },
  'transport.restartIce': { roles: EVERYONE, joined: true },
  produce: { roles: PUBLISHERS, joined: true },
  'producer.close': { roles: PUBLISHERS, joined: true },
  'producer.pause': { roles: PUBLISHERS, joined: true },
  'producer.resume': { roles: PUBLISHERS, joined: true },
  consume: { roles: EVERYONE, joined: true },
  'consumer.resume': { roles: EVERYONE, joined: true },
  'consumer.pause': { roles: EVERYONE, joined: true },
  'consumer.viewSize': { roles: EVERYONE, joined: true },
  'hand.raise': { roles: OPERATORS, joined: true },
  'hand.lower': { roles: OPERATORS, joined: true },
  'hand.approve': { roles: STAFF, joined: true },
  'hand.approveNext': { roles: STAFF, joined: true },
  'hand.deny': { roles: STAFF, joined: true },
  'floor.revoke': { roles: STAFF, joined: true },
  'floor.leave': { roles: OPERATORS, joined: true },
  'participant.mute': { roles: STAFF, joined: true },
  'participant.kick': { roles: STAFF, joined: true },
  'chat.send': { roles: EVERYONE, joined: true },
  'chat.delete': { roles: STAFF, joined: true },
  'stats.report': { roles: EVERYONE, joined: true },
  'recording.start': { roles: STAFF, joined: true },
  'recording.pause': { roles: STAFF, joined: true },
  'recording.resume': { roles: STAFF, joined: true },
  'recording.stop': { roles: STAFF, joined: true },
};

/** Whether `role` may send `type` at all (joined-ness is checked separately). */
export function mayRequest(role: Role, type: RequestType): boolean {
  return PERMISSIONS[type].roles.includes(role);
}
