/**
 * A live sitting's room: the connections of its joined participants, so that a notification for
 * everyone is encoded and sent in one emit rather than once per participant. Signalling provides
 * it (a socket.io room of this node's sockets, see signalling/rooms.ts); a participant whose
 * connection is not in it (on another node, or a test's own `notify`) is told one by one.
 */
import type { Notification } from '../protocol';

/** One sitting's room. */
export interface SittingRoom {
  /** Puts a connection in the room; false when it is not a connection this room can reach. */
  add(connectionId: string): boolean;
  /** Takes a connection out of the room; idempotent. */
  remove(connectionId: string): void;
  /** Sends a notification to every connection in the room but `exceptConnectionId`, encoded once. */
  emit(n: Notification, exceptConnectionId?: string): void;
}

/** The rooms of the sittings, by sitting. */
export interface SittingRooms {
  of(sittingId: string): SittingRoom;
}
