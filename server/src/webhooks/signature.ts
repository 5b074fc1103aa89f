/**
 * The webhook signature scheme (documented for the platform's developers in README "Webhooks"):
 * `Seduta-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, where `timestamp` is
 * the `Seduta-Timestamp` header (unix seconds) and `body` the raw request body, byte for byte.
 * Receivers recompute it, compare in constant time, and refuse timestamps too far from their clock.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header with the event id (the same on every retry: de-duplicate on it). */
export const EVENT_ID_HEADER = 'Seduta-Event-Id';
/** Header with the attempt's time, unix seconds. */
export const TIMESTAMP_HEADER = 'Seduta-Timestamp';
/** Header with the signature, `v1=<hex>`. */
export const SIGNATURE_HEADER = 'Seduta-Signature';
/** How far a receiver should accept a timestamp from its own clock (the README suggests this). */
export const DEFAULT_TOLERANCE_S = 300;

/** A new endpoint secret: 32 random bytes, prefixed so it is recognisable in a vault. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The hex HMAC-SHA256 of `timestamp + "." + body` with the endpoint's secret. */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The three headers of one delivery attempt (besides Content-Type). */
export function signedHeaders(
  secret: string,
  eventId: string,
  body: string,
  now = new Date(),
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    [EVENT_ID_HEADER]: eventId,
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: `v1=${signatureOf(secret, timestamp, body)}`,
  };
}

/**
 * What a receiver does: true when `signatureHeader` holds a `v1=` signature of `timestamp.body`
 * made with `secret` (compared in constant time) and the timestamp is within `toleranceS` of now.
 */
export function verifySignature(
  secret: string,
  timestampHeader: string | undefined,
  body: string,
  signatureHeader: string | undefined,
  options: { now?: Date; toleranceS?: number } = {},
): boolean {
  if (timestampHeader === undefined || signatureHeader === undefined) return false;
  if (!/^\d{1,12}$/.test(timestampHeader)) return false;
  const timestamp = Number(timestampHeader);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceS ?? DEFAULT_TOLERANCE_S)) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  // Several comma-separated signatures may come while a secret is rotated: any v1 that matches.
  return signatureHeader.split(',').some((part) => {
    const m = /^\s*v1=([0-9a-f]{64})\s*$/.exec(part);
    return m !== null && timingSafeEqual(Buffer.from(m[1]!, 'hex'), expected);
  });
}
