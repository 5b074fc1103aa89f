/**
 * Join tokens: short-lived JWTs a procurement platform obtains (or mints itself with the shared
 * secret) for one of its users and one sitting. HS256 only (the algorithm is pinned on
 * verification, so `alg: none` and algorithm confusion are refused), `iss` = seduta,
 * `aud` = the sitting id, `sub` = the operator's identity on the platform, `name` = the display
 * name, `jti`, and a lifetime of at most 10 minutes. A token issued in the future (beyond the
 * tolerated clock skew) is refused; the access service makes each one single-use (token-uses.ts).
 */
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { AppError } from '../errors';

/** The issuer of every Seduta token. */
export const ISSUER = 'seduta';
/** Longest lifetime of a join token. */
export const MAX_JOIN_TOKEN_TTL_S = 600;
/** Default lifetime of a minted join token. */
export const DEFAULT_JOIN_TOKEN_TTL_S = 300;
/** Clock skew tolerated between the platform and this server, by default (JOIN_TOKEN_CLOCK_SKEW_S). */
export const DEFAULT_CLOCK_SKEW_S = 30;
const MAX_NAME = 80;
const MAX_SUBJECT = 200;
const MAX_JTI = 200;
/** The reason given for a token whose `iat` is ahead of this server's clock by more than the skew. */
export const ISSUED_IN_THE_FUTURE = 'issued in the future (check the clock of the system that made it)';

/** The verified content of a join token. */
export interface JoinClaims {
  sittingId: string;
  /** The operator's identity on the platform (`sub`). */
  subject: string;
  name: string;
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
}

/** A display name as shown to others: trimmed, control characters removed, 1–80 characters. */
export function cleanName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const clean = name
    // Control characters (C0, DEL, C1) and bidirectional overrides, which could disguise a name.
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length >= 1 && clean.length <= MAX_NAME ? clean : undefined;
}

/** Why a token was refused, from jose's error: the reason shown to the client. */
export function refusalReason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed (HS256 only)';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'wrong audience (the token is for another sitting)';
    if (err.claim === 'iss') return 'wrong issuer';
    if (err.claim === 'iat' || err.claim === 'nbf') return 'not valid yet';
    return `invalid claim ${err.claim}`;
  }
  if (err instanceof errors.JOSEError) return 'malformed token';
  if (err instanceof AppError) return err.message;
  return 'malformed token';
}

/** HS256 keys already imported, by their secret. */
const hmacKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

/**
 * The HS256 key of `secret`, imported once: given the bytes, jose imports a key at every sign and
 * verify, which was 5 % of the server's CPU in the benchmark's join storm.
 */
export function hmacKey(secret: Uint8Array): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', Uint8Array.from(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * Verifies an HS256 JWT issued by Seduta for `audience`, with every claim in `required`.
 * Throws `unauthorized` with the reason.
 */
export async function verifySeduta(
  what: string,
  token: string,
  key: Uint8Array,
  audience: string,
  now = new Date(),
  clockToleranceS = DEFAULT_CLOCK_SKEW_S,
): Promise<JWTPayload> {
  try {
    if (token.length > 4096) throw new AppError('unauthorized', 'too long');
    const { payload } = await jwtVerify(token, await hmacKey(key), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience,
      clockTolerance: clockToleranceS,
      currentDate: now,
      requiredClaims: ['iat', 'exp', 'sub', 'jti'],
    });
    return payload;
  } catch (err) {
    throw new AppError('unauthorized', `${what} refused: ${refusalReason(err)}`, { cause: err });
  }
}

/** Mints and verifies join tokens with one key. */
export class JoinTokens {
  #key: Uint8Array;
  #skewS: number;

  /** `clockSkewS`: how far ahead of this server's clock a token's `iat` may be. */
  constructor(key: Uint8Array, clockSkewS = DEFAULT_CLOCK_SKEW_S) {
    this.#key = key;
    this.#skewS = clockSkewS;
  }

  /** A signed join token for one operator and one sitting; `bad_request` for a lifetime over 10 min. */
  async mint(input: {
    sittingId: string;
    subject: string;
    name: string;
    ttlSeconds?: number;
    now?: Date;
  }): Promise<{ token: string; claims: JoinClaims }> {
    const ttl = input.ttlSeconds ?? DEFAULT_JOIN_TOKEN_TTL_S;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_JOIN_TOKEN_TTL_S) {
      throw new AppError(
        'bad_request',
        `ttlSeconds must be an integer between 1 and ${MAX_JOIN_TOKEN_TTL_S}`,
      );
    }
    const name = cleanName(input.name);
    if (name === undefined) throw new AppError('bad_request', `name must have 1–${MAX_NAME} characters`);
    const subject = input.subject.trim();
    if (subject.length < 1 || subject.length > MAX_SUBJECT) {
      throw new AppError('bad_request', `subject must have 1–${MAX_SUBJECT} characters`);
    }
    const iat = Math.floor((input.now ?? new Date()).getTime() / 1000);
    const jti = randomUUID();
    const token = await new SignJWT({ name })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(input.sittingId)
      .setSubject(subject)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(jti)
      .sign(await hmacKey(this.#key));
    return {
      token,
      claims: {
        sittingId: input.sittingId,
        subject,
        name,
        jti,
        issuedAt: new Date(iat * 1000),
        expiresAt: new Date((iat + ttl) * 1000),
      },
    };
  }

  /**
   * Verifies a join token for `sittingId`. Refused (401 `unauthorized`, with the reason): bad
   * signature, other algorithms (`none` included), expired, another audience or issuer, issued
   * in the future (beyond the clock skew), a lifetime over 10 minutes, missing claims or display
   * name. Single use is the caller's business (the token's `jti`, see token-uses.ts).
   */
  async verify(token: string, sittingId: string, now = new Date()): Promise<JoinClaims> {
    const payload = await verifySeduta('join token', token, this.#key, sittingId, now, this.#skewS);
    const refuse = (reason: string) => new AppError('unauthorized', `join token refused: ${reason}`);
    const { iat, exp, sub, jti } = payload as Required<Pick<JWTPayload, 'iat' | 'exp' | 'sub' | 'jti'>>;
    // jose checks `iat` only against a maximum age: a token dated tomorrow would live until then.
    if (iat > now.getTime() / 1000 + this.#skewS) throw refuse(ISSUED_IN_THE_FUTURE);
    if (exp - iat > MAX_JOIN_TOKEN_TTL_S) throw refuse('lifetime over 10 minutes');
    if (sub.length < 1 || sub.length > MAX_SUBJECT) throw refuse('invalid claim sub');
    if (typeof jti !== 'string' || jti.length < 1 || jti.length > MAX_JTI) throw refuse('invalid claim jti');
    const name = cleanName(payload.name);
    if (name === undefined) throw refuse('missing or invalid name');
    return {
      sittingId,
      subject: sub,
      name,
      jti,
      issuedAt: new Date(iat * 1000),
      expiresAt: new Date(exp * 1000),
    };
  }
}
