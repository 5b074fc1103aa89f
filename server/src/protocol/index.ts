/**
 * Seduta's signalling protocol, shared by the server and the web client.
 * docs/protocol.md describes it in prose.
 */
export * from './bounds';
export * from './common';
export * from './requests';
export type * from './notifications';
export type * from './recordings';

/**
 * What a client names in the socket.io handshake (`auth`): the sitting. Who it is comes from its
 * cookies: a staff session, or the participant pass for that sitting (see docs/protocol.md).
 */
export interface HandshakeAuth {
  sittingId: string;
}
