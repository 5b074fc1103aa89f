import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { IceConfig } from '../config';
import { iceSettings, turnCredentials } from './turn';

const SECRET = 'a-turn-secret-of-at-least-32-bytes-0123456789';
const NOW = new Date('2026-12-05T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;

/** What coturn computes from the username with `static-auth-secret` (RFC 2104 HMAC, SHA-1). */
const coturnPassword = (username: string): string =>
  createHmac('sha1', SECRET).update(username, 'utf8').digest('base64');

const config = (over: Partial<IceConfig> = {}): IceConfig => ({
  turnUrls: ['turn:turn.ente.it:3478?transport=udp', 'turns:turn.ente.it:443?transport=tcp'],
  turnSecret: SECRET,
  turnCredentialTtlSeconds: 3600,
  transportPolicy: 'all',
  ...over,
});

describe('turnCredentials', () => {
  it('names the expiry then the subject, and signs the username with the shared secret', () => {
    const { username, credential, expiresAt } = turnCredentials(SECRET, 'operator:ditta-a', 3600, NOW);

    expect(username).toBe(`${NOW_S + 3600}:operator:ditta-a`);
    expect(credential).toBe(coturnPassword(username));
    expect(expiresAt).toEqual(new Date((NOW_S + 3600) * 1000));
  });

  it('matches a fixed vector (openssl dgst -sha1 -hmac … -binary | base64)', () => {
    const secret = 'secret-0123456789-0123456789-0123';

    const { username, credential } = turnCredentials(secret, 'operator:x', 100, new Date(1764999900_000));

    expect(username).toBe('1765000000:operator:x');
    expect(credential).toBe('imfvrLjwFCdC4PKoSuZpBFiySHQ=');
  });

  it('counts the expiry from whole seconds', () => {
    const { username } = turnCredentials(SECRET, 's', 60, new Date(NOW.getTime() + 999));
    expect(username).toBe(`${NOW_S + 60}:s`);
  });

  it('puts a digest in place of a subject that is long or not printable ASCII', () => {
    const long = turnCredentials(SECRET, `operator:${'x'.repeat(300)}`, 60, NOW);
    const accented = turnCredentials(SECRET, 'operator:Società Cooperativa', 60, NOW);

    expect(long.username).toMatch(/^\d+:sha256-[\w-]{22}$/);
    expect(accented.username).toMatch(/^\d+:sha256-[\w-]{22}$/);
    expect(accented.username).not.toBe(long.username);
    expect(accented.credential).toBe(coturnPassword(accented.username));
  });
});

describe('iceSettings', () => {
  const identity = { subject: 'operator:ditta-a', name: 'Ditta A', role: 'operator' as const };

  it('gives no ICE servers and policy all when there is no TURN', () => {
    const ice = iceSettings(config({ turnUrls: [], turnSecret: undefined }));
    expect(ice(identity, NOW)).toEqual({ iceServers: [], iceTransportPolicy: 'all' });
  });

  it('gives every TURN URL in one entry with credentials for the joiner, and the policy', () => {
    const ice = iceSettings(config({ transportPolicy: 'relay' }));

    const settings = ice(identity, NOW);

    const username = `${NOW_S + 3600}:operator:ditta-a`;
    expect(settings).toEqual({
      iceServers: [
        {
          urls: ['turn:turn.ente.it:3478?transport=udp', 'turns:turn.ente.it:443?transport=tcp'],
          username,
          credential: coturnPassword(username),
        },
      ],
      iceTransportPolicy: 'relay',
    });
  });

  it('makes fresh credentials at each call', () => {
    const ice = iceSettings(config());
    const first = ice(identity, NOW).iceServers[0];
    const later = ice(identity, new Date(NOW.getTime() + 60_000)).iceServers[0];
    expect(later?.username).not.toBe(first?.username);
    expect(later?.credential).not.toBe(first?.credential);
  });
});
