import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSecret, signatureOf, signedHeaders, verifySignature } from './signature';

describe('webhook signature', () => {
  const secret = 'whsec_test-secret';
  const body = '{"id":"e1","type":"ping","createdAt":"2026-01-01T00:00:00.000Z","data":{}}';
  const now = new Date('2026-12-05T21:00:00Z');
  const ts = Math.floor(now.getTime() / 1000);

  it('is the hex HMAC-SHA256 of "timestamp.body" with the secret', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    expect(signatureOf(secret, ts, body)).toBe(expected);
    expect(signedHeaders(secret, 'e1', body, now)).toEqual({
      'Seduta-Event-Id': 'e1',
      'Seduta-Timestamp': String(ts),
      'Seduta-Signature': `v1=${expected}`,
    });
  });

  it('verifies what it signed, and nothing else', () => {
    const h = signedHeaders(secret, 'e1', body, now);
    const ok = (s: string, t: string | undefined, b: string, sig: string | undefined, at = now) =>
      verifySignature(s, t, b, sig, { now: at });
    expect(ok(secret, h['Seduta-Timestamp'], body, h['Seduta-Signature'])).toBe(true);
    expect(ok('whsec_other', h['Seduta-Timestamp'], body, h['Seduta-Signature'])).toBe(false);
    expect(ok(secret, h['Seduta-Timestamp'], `${body} `, h['Seduta-Signature'])).toBe(false);
    expect(ok(secret, String(ts + 1), body, h['Seduta-Signature'])).toBe(false);
    expect(ok(secret, h['Seduta-Timestamp'], body, 'v1=00')).toBe(false);
    expect(ok(secret, h['Seduta-Timestamp'], body, undefined)).toBe(false);
    expect(ok(secret, undefined, body, h['Seduta-Signature'])).toBe(false);
    // Another scheme's signature next to ours (a rotation) still verifies.
    expect(ok(secret, h['Seduta-Timestamp'], body, `v0=abc, ${h['Seduta-Signature']}`)).toBe(true);
  });

  it('refuses a timestamp more than five minutes from the receiver clock (replays)', () => {
    const h = signedHeaders(secret, 'e1', body, now);
    const later = new Date(now.getTime() + 301_000);
    expect(verifySignature(secret, h['Seduta-Timestamp'], body, h['Seduta-Signature'], { now: later })).toBe(
      false,
    );
    const soon = new Date(now.getTime() + 299_000);
    expect(verifySignature(secret, h['Seduta-Timestamp'], body, h['Seduta-Signature'], { now: soon })).toBe(
      true,
    );
  });

  it('generates a new 256-bit secret each time', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateSecret()).not.toBe(a);
  });
});
