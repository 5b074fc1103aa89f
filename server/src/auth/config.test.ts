import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config';
import { loadAccessConfig } from './config';

describe('access configuration', () => {
  it('reads every variable', () => {
    expect(
      loadAccessConfig({
        JOIN_TOKEN_SECRET: 's'.repeat(32),
        TRUST_PROXY: 'true',
        ADMIN_EMAIL: ' Admin@Ente.IT ',
        ADMIN_PASSWORD: ' a long password ',
        ADMIN_NAME: 'Responsabile',
        SMTP_URL: 'smtp://user:pw@mail.ente.it:587',
        MAIL_FROM: 'Sedute <sedute@ente.it>',
        JOIN_TOKEN_CLOCK_SKEW_S: '5',
        MAX_CONNECTIONS_PER_PASS: '2',
      }),
    ).toEqual({
      joinTokenSecret: 's'.repeat(32),
      trustProxy: true,
      firstAdmin: { email: 'admin@ente.it', name: 'Responsabile', password: ' a long password ' },
      smtpUrl: 'smtp://user:pw@mail.ente.it:587',
      mailFrom: 'Sedute <sedute@ente.it>',
      joinTokenClockSkewS: 5,
      maxConnectionsPerPass: 2,
    });
  });

  it('has safe defaults: no secret (generated later), no proxy trust, no first admin, no SMTP', () => {
    expect(loadAccessConfig({})).toEqual({
      joinTokenSecret: undefined,
      trustProxy: false,
      firstAdmin: undefined,
      smtpUrl: undefined,
      mailFrom: 'Seduta <seduta@localhost>',
      joinTokenClockSkewS: 30,
      maxConnectionsPerPass: 4,
    });
  });

  it.each([
    [{ JOIN_TOKEN_SECRET: 'short' }, /JOIN_TOKEN_SECRET="\(hidden\)".*at least 32/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
    [{ ADMIN_EMAIL: 'admin@ente.it' }, /ADMIN_PASSWORD/],
    [{ ADMIN_PASSWORD: 'a long enough password' }, /ADMIN_EMAIL/],
    [{ ADMIN_EMAIL: 'admin@ente.it', ADMIN_PASSWORD: 'short' }, /ADMIN_PASSWORD="\(hidden\)"/],
    [{ SMTP_URL: 'http://mail.ente.it' }, /SMTP_URL="\(hidden\)"/],
    [{ MAIL_FROM: 'nobody' }, /MAIL_FROM/],
    [{ JOIN_TOKEN_CLOCK_SKEW_S: '3600' }, /JOIN_TOKEN_CLOCK_SKEW_S="3600".*between 0 and 300/],
    [{ MAX_CONNECTIONS_PER_PASS: '0' }, /MAX_CONNECTIONS_PER_PASS="0".*between 1 and 50/],
  ])('refuses %j with a one-line ConfigError that hides secrets', (env, message) => {
    let error: unknown;
    try {
      loadAccessConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/short|a long enough/);
    expect((error as Error).message).not.toContain('\n');
  });
});
