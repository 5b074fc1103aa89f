/**
 * Seduta's signalling protocol, shared by the server and the web client.
 * docs/protocol.md describes it in prose.
 */
export * from './common';
export * from './requests';
export type * from './notifications';

/** Credentials a client presents in the socket.io handshake (`auth`). */
export interface HandshakeAuth {
  sittingId: string;
  /** Host console: the sitting's host key (from the host link's fragment). */
  hostKey?: string;
  /** Operator: the display name to show (replaced by signed join tokens later). */
  name?: string;
}
