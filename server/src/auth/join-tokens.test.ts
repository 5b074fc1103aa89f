import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { cleanName, ISSUED_IN_THE_FUTURE, JoinTokens } from './join-tokens';
import { ParticipantPasses } from './participant-pass';
import { deriveKey } from './secrets';

const SECRET = 'unit-test-join-token-secret-0123456789abcdef';
const SITTING = '6f1c3f4e-8a53-4c4e-9a55-2f0d7a1b9c10';
const OTHER = '0b5e8a0e-2f35-4c43-8d1e-5a0f3f9c7e21';
const key = deriveKey(SECRET, 'join-token');
const tokens = new JoinTokens(key);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('join tokens', () => {
  it('carry the sitting as audience, the operator as subject, the display name, a jti and ≤ 10 min of life', async () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const { token, claims } = await tokens.mint({
      sittingId: SITTING,
      subject: 'op-42',
      name: 'Mario Bianchi — Edilizia Srl',
      now,
    });
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({
      iss: 'seduta',
      aud: SITTING,
      sub: 'op-42',
      name: 'Mario Bianchi — Edilizia Srl',
    });
    expect(payload.exp - payload.iat).toBe(300);
    await expect(tokens.verify(token, SITTING, now)).resolves.toEqual(claims);
  });

  it('refuses to mint a token living longer than 10 minutes', async () => {
    await expect(
      tokens.mint({ sittingId: SITTING, subject: 'x', name: 'X', ttlSeconds: 601 }),
    ).rejects.toMatchObject({
      code: 'bad_request',
    });
  });

  it('refuses an expired token, naming the reason', async () => {
    const { token } = await tokens.mint({
      sittingId: SITTING,
      subject: 'x',
      name: 'X',
      now: new Date(Date.now() - 20 * 60_000),
    });
    await expect(tokens.verify(token, SITTING)).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'join token refused: expired',
    });
  });

  it('refuses a token for another sitting', async () => {
    const { token } = await tokens.mint({ sittingId: OTHER, subject: 'x', name: 'X' });
    await expect(tokens.verify(token, SITTING)).rejects.toMatchObject({
      message: expect.stringMatching(/wrong audience/),
    });
  });

  it('refuses a tampered token (name changed, signature kept)', async () => {
    const { token } = await tokens.mint({ sittingId: SITTING, subject: 'x', name: 'X' });
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = [h, b64({ ...payload, name: 'Il Presidente' }), s].join('.');
    await expect(tokens.verify(forged, SITTING)).rejects.toMatchObject({
      message: 'join token refused: bad signature',
    });
  });

  it('refuses alg none and any algorithm but HS256', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'seduta', aud: SITTING, sub: 'x', name: 'X', iat: now, exp: now + 60, jti: 'j' };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    await expect(tokens.verify(none, SITTING)).rejects.toMatchObject({
      message: expect.stringMatching(/algorithm not allowed/),
    });
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(key);
    await expect(tokens.verify(hs512, SITTING)).rejects.toMatchObject({
      message: expect.stringMatching(/algorithm not allowed/),
    });
  });

  it('refuses a correctly signed token whose lifetime is over 10 minutes, or without a name', async () => {
    const now = Math.floor(Date.now() / 1000);
    const long = await new SignJWT({ name: 'X' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('seduta')
      .setAudience(SITTING)
      .setSubject('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .setJti('j')
      .sign(key);
    await expect(tokens.verify(long, SITTING)).rejects.toMatchObject({
      message: 'join token refused: lifetime over 10 minutes',
    });
    const nameless = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('seduta')
      .setAudience(SITTING)
      .setSubject('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti('j')
      .sign(key);
    await expect(tokens.verify(nameless, SITTING)).rejects.toMatchObject({
      message: 'join token refused: missing or invalid name',
    });
  });

  it('is never accepted as a participant pass, nor a pass as a join token (separate keys)', async () => {
    const passes = new ParticipantPasses(deriveKey(SECRET, 'participant-pass'));
    const { token } = await tokens.mint({ sittingId: SITTING, subject: 'x', name: 'X' });
    await expect(passes.verify(token, SITTING)).rejects.toMatchObject({
      message: 'participant pass refused: bad signature',
    });
    const pass = await passes.issue(SITTING, { subject: 'operator:x', name: 'X', role: 'operator' });
    await expect(tokens.verify(pass, SITTING)).rejects.toMatchObject({
      message: 'join token refused: bad signature',
    });
    await expect(passes.verify(pass, SITTING)).resolves.toEqual({
      subject: 'operator:x',
      name: 'X',
      role: 'operator',
    });
  });

  it('refuses a token issued in the future beyond the clock skew, with the reason', async () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const tomorrow = await tokens.mint({
      sittingId: SITTING,
      subject: 'x',
      name: 'X',
      ttlSeconds: 600,
      now: new Date(now.getTime() + 24 * 3600_000),
    });
    await expect(tokens.verify(tomorrow.token, SITTING, now)).rejects.toMatchObject({
      code: 'unauthorized',
      message: `join token refused: ${ISSUED_IN_THE_FUTURE}`,
    });
    // 31 s ahead: refused with the default 30 s of skew, accepted with 60 s configured.
    const ahead = await tokens.mint({
      sittingId: SITTING,
      subject: 'x',
      name: 'X',
      now: new Date(now.getTime() + 31_000),
    });
    await expect(tokens.verify(ahead.token, SITTING, now)).rejects.toMatchObject({
      message: `join token refused: ${ISSUED_IN_THE_FUTURE}`,
    });
    await expect(new JoinTokens(key, 60).verify(ahead.token, SITTING, now)).resolves.toMatchObject({
      jti: ahead.claims.jti,
    });
    // Within the skew (a platform clock 20 s fast): accepted.
    const slightly = await tokens.mint({
      sittingId: SITTING,
      subject: 'x',
      name: 'X',
      now: new Date(now.getTime() + 20_000),
    });
    await expect(tokens.verify(slightly.token, SITTING, now)).resolves.toMatchObject({ subject: 'x' });
  });

  it('refuses a token without a usable jti (single use needs one)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (jti: string) =>
      new SignJWT({ name: 'X' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('seduta')
        .setAudience(SITTING)
        .setSubject('x')
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .setJti(jti)
        .sign(key);
    await expect(tokens.verify(await sign('j'.repeat(201)), SITTING)).rejects.toMatchObject({
      message: 'join token refused: invalid claim jti',
    });
    const noJti = await new SignJWT({ name: 'X' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('seduta')
      .setAudience(SITTING)
      .setSubject('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key);
    await expect(tokens.verify(noJti, SITTING)).rejects.toMatchObject({
      message: expect.stringMatching(/join token refused: .*jti/),
    });
  });

  it('clean display names: no control or bidi-override characters, 1–80 characters', () => {
    expect(cleanName('  Mario\u0000 Rossi\n\u202eSrl ')).toBe('Mario Rossi Srl');
    expect(cleanName('   ')).toBeUndefined();
    expect(cleanName('x'.repeat(81))).toBeUndefined();
    expect(cleanName(42)).toBeUndefined();
  });
});
