import type { Server, Socket } from 'socket.io';
import { EVENTS, type Notification } from '../protocol';
import type { RosterView, SittingRoom, SittingRooms } from '../sittings/room';

/**
 * The sittings' rooms on socket.io: one room per sitting (`joined:<id>`) holding the sockets of
 * its joined participants on this node, and within it one per roster view (`joined:<id>:full`,
 * `joined:<id>:public`). A broadcast is one `io.local.to(room).emit`, which
 * socket.io encodes once (JSON and WebSocket frame) and writes to each socket; local, because
 * a participant connected to another node is told by its own `notify` (cluster/edge.ts), and the
 * room's members are by construction the sockets of this node.
 */
export class SocketRooms implements SittingRooms {
  readonly #io: Server;
  /** This node's open sockets, by their connection's id. */
  readonly #sockets = new Map<string, Socket>();

  constructor(io: Server) {
    this.#io = io;
  }

  /** A connection opened on this node. */
  opened(connectionId: string, socket: Socket): void {
    this.#sockets.set(connectionId, socket);
  }

  /** A connection closed (socket.io has taken its socket out of every room). */
  closed(connectionId: string): void {
    this.#sockets.delete(connectionId);
  }

  of(sittingId: string): SittingRoom {
    const name = `joined:${sittingId}`;
    const views = [`${name}:full`, `${name}:public`];
    return {
      add: (connectionId, view: RosterView) => {
        const socket = this.#sockets.get(connectionId);
        if (!socket || socket.disconnected) return false;
        void socket.join([name, `${name}:${view}`]);
        return true;
      },
      remove: (connectionId) => {
        const socket = this.#sockets.get(connectionId);
        if (!socket) return;
        for (const room of [name, ...views]) void socket.leave(room);
      },
      emit: (n: Notification, exceptConnectionId?: string, view?: RosterView) => {
        const except = exceptConnectionId === undefined ? undefined : this.#sockets.get(exceptConnectionId);
        const to = this.#io.local.to(view === undefined ? name : `${name}:${view}`);
        (except ? to.except(except.id) : to).emit(EVENTS.notification, n);
      },
    };
  }
}
