/**
 * Participant passes: what an operator or commissioner holds after exchanging a join token or an
 * invitation link. A pass is an HS256 JWT (its own derived key, so a join token is never a
 * pass) kept in an HttpOnly cookie named after the sitting, valid for PASS_TTL_MS; reconnecting
 * after the 10-minute join token has expired still works.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Identity } from '../sittings/participant';
import { AppError } from '../errors';
import { cleanName, hmacKey, ISSUER, verifySeduta } from './join-tokens';

/** How long a pass lasts. */
export const PASS_TTL_MS = 12 * 3600_000;
/** Roles that hold passes (staff use sessions). */
export type PassRole = 'operator' | 'commissioner';

/** The cookie holding the pass for one sitting. */
export function passCookieName(sittingId: string): string {
  return `seduta_p_${sittingId.toLowerCase()}`;
}

/** A valid pass: who it is for, its id and its expiry. */
export interface VerifiedPass {
  identity: Identity & { role: PassRole };
  /** The pass's `jti`. */
  id: string;
  expiresAt: Date;
}

/** Issues and verifies passes with one key. */
export class ParticipantPasses {
  #key: Uint8Array;

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  /** A pass for `identity` in `sittingId`. */
  async issue(sittingId: string, identity: Identity & { role: PassRole }, now = new Date()): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ name: identity.name, role: identity.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(sittingId)
      .setSubject(identity.subject)
      .setIssuedAt(iat)
      .setExpirationTime(iat + PASS_TTL_MS / 1000)
      .setJti(randomUUID())
      .sign(await hmacKey(this.#key));
  }

  /** The identity a pass carries for `sittingId`; `unauthorized` if it is not a valid pass for it. */
  async verify(token: string, sittingId: string, now = new Date()): Promise<Identity & { role: PassRole }> {
    return (await this.verifyPass(token, sittingId, now)).identity;
  }

  /** {@link verify}, with the pass's id (`jti`) and expiry. */
  async verifyPass(token: string, sittingId: string, now = new Date()): Promise<VerifiedPass> {
    const payload = await verifySeduta('participant pass', token, this.#key, sittingId, now);
    const name = cleanName(payload.name);
    const role = payload.role;
    const { sub, jti, exp } = payload;
    if (
      name === undefined ||
      (role !== 'operator' && role !== 'commissioner') ||
      sub === undefined ||
      jti === undefined ||
      exp === undefined
    ) {
      throw new AppError('unauthorized', 'participant pass refused: malformed');
    }
    return { identity: { subject: sub, name, role }, id: jti, expiresAt: new Date(exp * 1000) };
  }
}
