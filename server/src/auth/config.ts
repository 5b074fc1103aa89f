/**
 * Access-control settings from environment variables, validated like the rest of the
 * configuration (one-line ConfigError naming the variable). Secrets are never echoed.
 */
import net from 'node:net';
import { ConfigError, integer } from '../config';

/** Validated access-control settings. */
export interface AccessConfig {
  /** Secret for join tokens (JOIN_TOKEN_SECRET); when unset one is generated into DATA_DIR. */
  joinTokenSecret: string | undefined;
  /**
   * TRUST_PROXY, Fastify's `trustProxy`: which peers' X-Forwarded-For/-Proto/-Host are believed
   * (request.ip, request.protocol: `Secure` cookies and HSTS). `true` = every peer; a list =
   * those addresses, CIDR ranges or proxy-addr names (loopback, linklocal, uniquelocal).
   */
  trustProxy: boolean | string[];
  /** First admin, created at startup when no admin exists (ADMIN_EMAIL + ADMIN_PASSWORD). */
  firstAdmin: { email: string; name: string; password: string } | undefined;
  /** SMTP server for invitations (SMTP_URL, smtp:// or smtps://); unset = links are only shown. */
  smtpUrl: string | undefined;
  /** Sender of e-mails (MAIL_FROM). */
  mailFrom: string;
  /** How far ahead of this server's clock a join token's `iat` may be (JOIN_TOKEN_CLOCK_SKEW_S). */
  joinTokenClockSkewS: number;
  /**
   * Signalling connections one person may have open to one sitting at once, all their tabs and
   * devices together (MAX_CONNECTIONS_PER_PASS); only one of them is in the sitting at a time.
   */
  maxConnectionsPerPass: number;
}

/** Shortest accepted password (staff accounts). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password: scrypt hashes anything, but a cap keeps requests small. */
export const MAX_PASSWORD_LENGTH = 256;
const MIN_SECRET_LENGTH = 32;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Reads the access settings; throws ConfigError on the first problem. */
export function loadAccessConfig(env: NodeJS.ProcessEnv = process.env): AccessConfig {
  const read = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };

  const joinTokenSecret = read('JOIN_TOKEN_SECRET');
  if (joinTokenSecret !== undefined && joinTokenSecret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError('JOIN_TOKEN_SECRET', '(hidden)', `at least ${MIN_SECRET_LENGTH} characters`);
  }

  const trustProxy = proxyTrust(read('TRUST_PROXY'));

  const adminEmail = read('ADMIN_EMAIL')?.toLowerCase();
  // Not trimmed: a password may begin or end with a space.
  const adminPassword = env.ADMIN_PASSWORD === '' ? undefined : env.ADMIN_PASSWORD;
  let firstAdmin: AccessConfig['firstAdmin'];
  if (adminEmail !== undefined || adminPassword !== undefined) {
    if (adminEmail === undefined || !EMAIL.test(adminEmail)) {
      throw new ConfigError('ADMIN_EMAIL', adminEmail, 'an e-mail address (ADMIN_PASSWORD is set)');
    }
    if (adminPassword === undefined || adminPassword.length < MIN_PASSWORD_LENGTH) {
      throw new ConfigError('ADMIN_PASSWORD', '(hidden)', `at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    if (adminPassword.length > MAX_PASSWORD_LENGTH) {
      throw new ConfigError('ADMIN_PASSWORD', '(hidden)', `at most ${MAX_PASSWORD_LENGTH} characters`);
    }
    const name = read('ADMIN_NAME') ?? 'Administrator';
    if (name.length > 80) throw new ConfigError('ADMIN_NAME', name, 'at most 80 characters');
    firstAdmin = { email: adminEmail, name, password: adminPassword };
  }

  const smtpUrl = read('SMTP_URL');
  if (smtpUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(smtpUrl);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') {
      throw new ConfigError('SMTP_URL', '(hidden)', 'a URL like smtp://user:password@mail.example.org:587');
    }
  }

  const mailFrom = read('MAIL_FROM') ?? 'Seduta <seduta@localhost>';
  if (!/@/.test(mailFrom))
    throw new ConfigError('MAIL_FROM', mailFrom, 'an address like "Seduta <seduta@ente.it>"');

  const joinTokenClockSkewS = integer(read, 'JOIN_TOKEN_CLOCK_SKEW_S', 30, 0, 300);
  const maxConnectionsPerPass = integer(read, 'MAX_CONNECTIONS_PER_PASS', 4, 1, 50);

  return {
    joinTokenSecret,
    trustProxy,
    firstAdmin,
    smtpUrl,
    mailFrom,
    joinTokenClockSkewS,
    maxConnectionsPerPass,
  };
}

const PROXY_ADDR_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUST_PROXY: a boolean, or comma-separated addresses, CIDR ranges and proxy-addr names. */
function proxyTrust(raw: string | undefined): boolean | string[] {
  const value = (raw ?? 'false').toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  return value.split(',').map((item) => {
    const entry = item.trim();
    const [address = '', prefix, extra] = entry.split('/');
    const family = net.isIP(address);
    const bits = family === 4 ? 32 : 128;
    const valid =
      extra === undefined &&
      (PROXY_ADDR_NAMES.includes(entry) ||
        (family !== 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))));
    if (!valid) {
      throw new ConfigError(
        'TRUST_PROXY',
        raw,
        "true, false, or the proxy's addresses like 127.0.0.1,10.0.0.0/8 (comma-separated IPs, CIDR ranges, loopback)",
      );
    }
    return entry;
  });
}
