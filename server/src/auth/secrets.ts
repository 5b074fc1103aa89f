/**
 * The server's signing secret (join tokens, participant passes, invitation links): JOIN_TOKEN_SECRET,
 * else one generated on first start into `$DATA_DIR/join-token-secret` (mode 600). Each use gets
 * its own key derived with HMAC, so a token made for one purpose is never valid for another.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** File holding the generated secret, inside DATA_DIR. */
export const SECRET_FILE = 'join-token-secret';

/** What each derived key is for. */
export type KeyPurpose = 'join-token' | 'participant-pass' | 'invite-link';

/** The configured secret, or the one stored in DATA_DIR (created if missing). */
export function resolveSigningSecret(
  configured: string | undefined,
  dataDir: string,
): { secret: string; generated: boolean } {
  if (configured !== undefined) return { secret: configured, generated: false };
  const file = path.join(dataDir, SECRET_FILE);
  try {
    const stored = fs.readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return { secret: stored, generated: false };
    throw new Error(`${file} holds fewer than 32 characters; delete it to generate a new secret`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, generated: true };
}

/** A 32-byte key for one purpose. Join tokens use the secret itself, so platforms can mint them. */
export function deriveKey(secret: string, purpose: KeyPurpose): Uint8Array {
  if (purpose === 'join-token') return new TextEncoder().encode(secret);
  return new Uint8Array(createHmac('sha256', secret).update(`seduta:${purpose}`).digest());
}
