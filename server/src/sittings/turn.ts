/**
 * TURN credentials and the ICE settings each participant receives in its join reply. The
 * credentials follow the TURN REST scheme coturn implements (`use-auth-secret` with
 * `static-auth-secret`): username `<expiry unix seconds>:<subject>`, password
 * base64(HMAC-SHA1(secret, username)). coturn checks them with the shared secret alone, so
 * nothing is stored and nothing has to be revoked: they expire.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IceConfig } from '../config';
import type { IceServer, IceSettings } from '../protocol';
import type { Identity } from './participant';

/** A subject longer than this (or not printable ASCII) is replaced by a digest in the username. */
const MAX_PLAIN_SUBJECT = 128;

/** A TURN username and password valid until `expiresAt`. */
export interface TurnCredentials {
  username: string;
  credential: string;
  expiresAt: Date;
}

/** Credentials for `subject` that coturn accepts until now + ttlSeconds. */
export function turnCredentials(
  secret: string,
  subject: string,
  ttlSeconds: number,
  now = new Date(),
): TurnCredentials {
  const expiry = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const username = `${expiry}:${usernameSubject(subject)}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: new Date(expiry * 1000) };
}

/**
 * The subject as it appears in the TURN username (and so in coturn's logs): as is when short
 * printable ASCII, else a digest, since a STUN username must stay under 513 bytes.
 */
function usernameSubject(subject: string): string {
  if (subject.length <= MAX_PLAIN_SUBJECT && /^[\x21-\x7e]+$/.test(subject)) return subject;
  return `sha256-${createHash('sha256').update(subject).digest('base64url').slice(0, 22)}`;
}

/** What each joiner is given: no ICE servers without TURN, one TURN entry with fresh credentials with it. */
export function iceSettings(config: IceConfig): (identity: Identity, now?: Date) => IceSettings {
  return (identity, now = new Date()) => {
    const iceServers: IceServer[] = [];
    if (config.turnUrls.length > 0 && config.turnSecret !== undefined) {
      const { username, credential } = turnCredentials(
        config.turnSecret,
        identity.subject,
        config.turnCredentialTtlSeconds,
        now,
      );
      iceServers.push({ urls: [...config.turnUrls], username, credential });
    }
    return { iceServers, iceTransportPolicy: config.transportPolicy };
  };
}
