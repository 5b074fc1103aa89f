/**
 * Thrown when a media resource was asked for after its owner closed (the router, the pool, or the
 * participant it was for). Callers usually treat it as benign: whoever closed it is already cleaning up.
 */
export class MediaClosedError extends Error {
  override readonly name = 'MediaClosedError';
}
