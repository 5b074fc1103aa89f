/**
 * What signalling reports to the metrics (server/src/http/metrics.ts implements it). Optional in
 * the handlers' deps: a server built without the metrics feature simply reports nothing.
 */
import type { ErrorCode, RequestType, Role } from '../protocol';

/** A request's type as a metric label: the protocol's types, anything else is 'unknown'. */
export type RequestLabel = RequestType | 'unknown';

/** Participants whose connection is open now, by role, and the sittings they are in. */
export interface ConnectedParticipants {
  byRole: ReadonlyMap<Role, number>;
  sittings: number;
}

/** The signalling side of the metrics. */
export interface SignallingMetrics {
  /** One request answered: `errorCode` when it was refused or failed. */
  request(type: RequestLabel, errorCode: ErrorCode | undefined): void;
  /** A client's `stats.report`: from its join to its first decoded video frame. */
  joinToFirstFrame(ms: number): void;
  /** How to count the connected participants when the metrics are read. */
  countParticipants(count: () => ConnectedParticipants): void;
}
