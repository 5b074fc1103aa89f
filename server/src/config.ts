/**
 * Server configuration from environment variables, validated once at startup.
 * Every problem is reported as a ConfigError whose message is one line naming the variable, the
 * offending value and what is expected. Empty variables count as unset.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LevelWithSilent } from 'pino';
import { loadAccessConfig, type AccessConfig } from './auth/config';
import { loadSignInLimits, type SignInLimits } from './auth/login-limiter';
import { loadBookingsConfig, type BookingsConfig } from './bookings/config';
import { loadClusterConfig, type ClusterConfig } from './cluster/config';
import { PASS_TTL_MS } from './auth/participant-pass';
import { expiryWarning, loadTlsFiles, type TlsFiles } from './http/tls';
import { loadLimits, type Limits } from './sittings/limits';

/** Validated server configuration. */
export interface Config {
  /** HTTP port (0 = any free port). */
  port: number;
  /** HTTP listen address. */
  host: string;
  /** HTTPS served directly (TLS_CERT_FILE + TLS_KEY_FILE, read and checked); undefined = plain HTTP. */
  tls: TlsFiles | undefined;
  /** Directory for local state: the embedded database, recordings. Absolute. */
  dataDir: string;
  /** PostgreSQL URL; when absent the embedded PGlite database in `$dataDir/db` is used. */
  databaseUrl: string | undefined;
  logLevel: LevelWithSilent;
  /** LOG_FORMAT: `json` lines, `pretty` one-line text, or `auto` (pretty when stdout is a terminal). */
  logFormat: LogFormat;
  /** Origins allowed to open the signalling socket (CORS), normalised (no trailing slash). */
  publicOrigins: string[];
  media: MediaConfig;
  /** How long a graceful shutdown may take before the process exits with status 1. */
  shutdownGraceMs: number;
  /**
   * How long a live sitting waits for its host when nobody who runs it is connected (the host's
   * connection dropped, or the server restarted) before it ends by itself (HOST_GRACE_SECONDS).
   */
  hostGraceMs: number;
  /** Key for the server-to-server API (API_KEY); when unset the sittings feature generates one. */
  apiKey: string | undefined;
  /** Access control: join-token secret, proxy trust, first admin, SMTP (see auth/config.ts). */
  access: AccessConfig;
  /** TURN relays and the ICE transport policy every participant is given (sittings/turn.ts). */
  ice: IceConfig;
  /** Webhooks to the procurement platform: attempt timeout and retry schedule (webhooks/). */
  webhooks: WebhooksConfig;
  /** What one participant and one connection may hold and send (sittings/limits.ts). */
  limits: Limits;
  /** Sign-in limits and the password-hashing queue (auth/login-limiter.ts). */
  signIn: SignInLimits;
  /** Bookings: notice, answer deadline, capacity, room opening, public form, attachments (bookings/config.ts). */
  bookings: BookingsConfig;
  /** Multi-node mode (REDIS_URL and its tunables, cluster/config.ts); undefined = one node. */
  cluster: ClusterConfig | undefined;
  /** Non-fatal remarks about the configuration, to be logged at startup. */
  warnings: string[];
}

/** How log lines are written (see logger.ts). */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** mediasoup worker pool settings. */
export interface MediaConfig {
  numWorkers: number;
  /** IP the workers' WebRTC servers and plain transports bind to. */
  listenIp: string;
  /** IP or hostname put in ICE candidates; undefined = the listen IP. */
  announcedAddress: string | undefined;
  /** Worker i listens for WebRTC (UDP and TCP) on rtcPort + i. */
  rtcPort: number;
  /** Port range for plain transports (recorder). */
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Consumers one sitting's router carries before new viewers go to another worker. */
  spreadConsumers: number;
}

/** TURN relays (coturn's `use-auth-secret` scheme) and the ICE transport policy. */
export interface IceConfig {
  /** TURN_URLS: `turn:`/`turns:` URLs handed to every participant; empty = no TURN. */
  turnUrls: string[];
  /** TURN_SECRET, coturn's `static-auth-secret`; set exactly when turnUrls is not empty. */
  turnSecret: string | undefined;
  /** Lifetime of the credentials given at each join (TURN_CREDENTIAL_TTL_SECONDS). */
  turnCredentialTtlSeconds: number;
  /** ICE_TRANSPORT_POLICY: `relay` makes browsers use only the TURN relays. */
  transportPolicy: 'all' | 'relay';
}

/** Webhook delivery settings (server/src/webhooks/backoff.ts has the schedule). */
export interface WebhooksConfig {
  /** WEBHOOK_TIMEOUT_MS: how long one attempt waits for the receiver's answer (default 10 s). */
  timeoutMs: number;
  /** WEBHOOK_RETRY_FIRST_MS: the first retry's delay; later ones are multiples (default 10 s). */
  retryFirstMs: number;
  /** WEBHOOK_RETRY_WINDOW_SECONDS: how long after the event it is retried (default 24 h). */
  retryWindowMs: number;
}

/** A configuration problem; the message is one line fit for stderr. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly variable: string,
    value: string | undefined,
    expected: string,
  ) {
    super(`Invalid ${variable}=${JSON.stringify(value ?? '')}: expected ${expected}`);
  }
}

const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MAX_WORKERS = 64;
/** Shortest TURN_SECRET, in bytes: an HMAC-SHA1 key weaker than this is guessable offline. */
export const MIN_TURN_SECRET_BYTES = 32;
/** TURN credentials never outlive the participant's pass (auth/participant-pass.ts). */
export const MAX_TURN_CREDENTIAL_TTL_SECONDS = PASS_TTL_MS / 1000;

/** Reads and validates the configuration; throws ConfigError on the first problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const read = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const warnings: string[] = [];

  const port = integer(read, 'PORT', 8080, 0, 65535);
  const host = read('HOST') ?? '0.0.0.0';
  if (!isHost(host)) throw new ConfigError('HOST', host, 'an IP address or a hostname');

  const tls = tlsFiles(read, warnings);

  const dataDir = path.resolve(read('DATA_DIR') ?? './data');
  const databaseUrl = postgresUrl(read('DATABASE_URL'));

  const logLevel = (read('LOG_LEVEL') ?? 'info') as LevelWithSilent;
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError('LOG_LEVEL', logLevel, `one of ${LOG_LEVELS.join(', ')}`);

  const logFormat = read('LOG_FORMAT') ?? 'auto';
  if (logFormat !== 'auto' && logFormat !== 'json' && logFormat !== 'pretty')
    throw new ConfigError('LOG_FORMAT', logFormat, 'json, pretty or auto (pretty when stdout is a terminal)');

  const publicOrigins = origins(read, port, tls === undefined ? 'http' : 'https');

  const numWorkers = integer(
    read,
    'MEDIA_WORKERS',
    Math.min(os.availableParallelism(), MAX_WORKERS),
    1,
    MAX_WORKERS,
  );
  const listenIp = read('MEDIA_LISTEN_IP') ?? '0.0.0.0';
  if (net.isIP(listenIp) === 0) throw new ConfigError('MEDIA_LISTEN_IP', listenIp, 'an IPv4 or IPv6 address');
  let announcedAddress = read('MEDIA_ANNOUNCED_ADDRESS');
  if (announcedAddress !== undefined && !isHost(announcedAddress)) {
    throw new ConfigError('MEDIA_ANNOUNCED_ADDRESS', announcedAddress, 'an IP address or a hostname');
  }
  if (announcedAddress === undefined && (listenIp === '0.0.0.0' || listenIp === '::')) {
    // ICE candidates must carry a reachable address; loopback is the only one that is safe to guess.
    announcedAddress = '127.0.0.1';
    warnings.push(
      `MEDIA_LISTEN_IP is ${listenIp} and MEDIA_ANNOUNCED_ADDRESS is not set: announcing 127.0.0.1, ` +
        'so only browsers on this machine can receive media; set MEDIA_ANNOUNCED_ADDRESS to the public IP',
    );
  }

  const rtcPort = integer(read, 'MEDIA_RTC_PORT', 40000, 1, 65535 - (numWorkers - 1));
  const rtcMinPort = integer(read, 'MEDIA_RTC_MIN_PORT', 40100, 1, 65535);
  const rtcMaxPort = integer(read, 'MEDIA_RTC_MAX_PORT', 49999, rtcMinPort, 65535);
  const rtcLast = rtcPort + numWorkers - 1;
  if (rtcPort <= rtcMaxPort && rtcLast >= rtcMinPort) {
    throw new ConfigError(
      'MEDIA_RTC_PORT',
      String(rtcPort),
      `ports ${rtcPort}-${rtcLast} (one per worker) outside MEDIA_RTC_MIN_PORT-MEDIA_RTC_MAX_PORT (${rtcMinPort}-${rtcMaxPort})`,
    );
  }

  // Default: @seduta/media's DEFAULT_SPREAD_CONSUMERS (not imported: config loads before mediasoup).
  const spreadConsumers = integer(read, 'MEDIA_SPREAD_CONSUMERS', 300, 1, 1_000_000);

  const shutdownGraceMs = integer(read, 'SHUTDOWN_GRACE_MS', 10_000, 100, 600_000);
  const hostGraceMs = integer(read, 'HOST_GRACE_SECONDS', 60, 5, 3600) * 1000;

  const apiKey = read('API_KEY');
  if (apiKey !== undefined && (apiKey.length < 24 || /\s/.test(apiKey))) {
    // Not echoed: the message names the variable but must not leak a secret into logs.
    throw new ConfigError('API_KEY', '(hidden)', 'at least 24 characters without spaces');
  }

  const access = loadAccessConfig(env);
  if (access.trustProxy === true && !isLoopback(host)) {
    warnings.push(
      `TRUST_PROXY=true believes X-Forwarded-* from any peer and HOST is ${host}: ` +
        "set TRUST_PROXY to the proxy's address, or HOST to 127.0.0.1 behind a local proxy",
    );
  }

  return {
    port,
    host,
    tls,
    dataDir,
    databaseUrl,
    logLevel,
    logFormat,
    publicOrigins,
    media: { numWorkers, listenIp, announcedAddress, rtcPort, rtcMinPort, rtcMaxPort, spreadConsumers },
    shutdownGraceMs,
    hostGraceMs,
    apiKey,
    access,
    ice: iceConfig(read, warnings),
    limits: loadLimits(read),
    signIn: loadSignInLimits(read),
    webhooks: {
      timeoutMs: integer(read, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
      retryFirstMs: integer(read, 'WEBHOOK_RETRY_FIRST_MS', 10_000, 10, 3_600_000),
      retryWindowMs: integer(read, 'WEBHOOK_RETRY_WINDOW_SECONDS', 86_400, 1, 7 * 86_400) * 1000,
    },
    bookings: loadBookingsConfig(read),
    cluster: loadClusterConfig(read),
    warnings,
  };
}

function iceConfig(read: (name: string) => string | undefined, warnings: string[]): IceConfig {
  const turnUrls =
    read('TURN_URLS')
      ?.split(',')
      .map((url) => turnUrl(url.trim())) ?? [];
  let turnSecret = read('TURN_SECRET');
  if (turnUrls.length > 0 && turnSecret === undefined) {
    throw new ConfigError('TURN_SECRET', undefined, "coturn's static-auth-secret (TURN_URLS is set)");
  }
  if (turnSecret !== undefined && Buffer.byteLength(turnSecret) < MIN_TURN_SECRET_BYTES) {
    // Not echoed: the message names the variable but must not leak a secret into logs.
    throw new ConfigError('TURN_SECRET', '(hidden)', `at least ${MIN_TURN_SECRET_BYTES} bytes`);
  }
  if (turnUrls.length === 0 && turnSecret !== undefined) {
    warnings.push('TURN_SECRET is set but TURN_URLS is not: no TURN relay is offered');
    turnSecret = undefined;
  }
  const turnCredentialTtlSeconds = integer(
    read,
    'TURN_CREDENTIAL_TTL_SECONDS',
    MAX_TURN_CREDENTIAL_TTL_SECONDS,
    60,
    MAX_TURN_CREDENTIAL_TTL_SECONDS,
  );
  const policy = read('ICE_TRANSPORT_POLICY') ?? 'all';
  if (policy !== 'all' && policy !== 'relay') {
    throw new ConfigError('ICE_TRANSPORT_POLICY', policy, 'all or relay');
  }
  if (policy === 'relay' && turnUrls.length === 0) {
    throw new ConfigError('ICE_TRANSPORT_POLICY', policy, 'all, or relay together with TURN_URLS');
  }
  return { turnUrls, turnSecret, turnCredentialTtlSeconds, transportPolicy: policy };
}

/** One TURN_URLS item: `turn:host[:port][?transport=udp|tcp]` or `turns:host[:port][?transport=tcp]`. */
function turnUrl(raw: string): string {
  const m = /^(turns?):(\[[0-9a-f:.]+\]|[^:?[\]]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i.exec(raw);
  const scheme = m?.[1]?.toLowerCase();
  const host = m?.[2]?.replace(/^\[(.*)\]$/, '$1');
  const port = m?.[3] === undefined ? 1 : Number(m[3]);
  const valid =
    host !== undefined &&
    isHost(host) &&
    port >= 1 &&
    port <= 65535 &&
    // turns: is TLS over TCP; browsers do not speak DTLS to a TURN server.
    !(scheme === 'turns' && m?.[4]?.toLowerCase() === 'udp');
  if (!valid) {
    throw new ConfigError(
      'TURN_URLS',
      raw,
      'comma-separated URLs like turn:turn.example.org:3478?transport=udp or turns:turn.example.org:443?transport=tcp',
    );
  }
  return raw;
}

/** DATABASE_URL with its password replaced by `***`, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** An integer setting in [min, max], or `fallback` when unset; ConfigError naming the variable otherwise. */
export function integer(
  read: (name: string) => string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = read(name);
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, raw, `an integer between ${min} and ${max}`);
  }
  return n;
}

function postgresUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const expected = 'a URL like postgres://user:password@host:5432/database';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', redactUrl(raw), expected);
  }
  if ((url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || url.hostname === '') {
    throw new ConfigError('DATABASE_URL', redactUrl(raw), expected);
  }
  return raw;
}

/** TLS_CERT_FILE and TLS_KEY_FILE: both or neither; read and checked now (see http/tls.ts). */
function tlsFiles(read: (name: string) => string | undefined, warnings: string[]): TlsFiles | undefined {
  const certFile = read('TLS_CERT_FILE');
  const keyFile = read('TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (keyFile === undefined) {
    throw new ConfigError(
      'TLS_KEY_FILE',
      undefined,
      "the certificate's private key file (TLS_CERT_FILE is set)",
    );
  }
  if (certFile === undefined) {
    throw new ConfigError(
      'TLS_CERT_FILE',
      undefined,
      'the certificate file of TLS_KEY_FILE (TLS_KEY_FILE is set)',
    );
  }
  const tls = loadTlsFiles(certFile, keyFile);
  const warning = expiryWarning(tls);
  if (warning !== undefined) warnings.push(warning);
  return tls;
}

function origins(
  read: (name: string) => string | undefined,
  port: number,
  scheme: 'http' | 'https',
): string[] {
  const plural = read('PUBLIC_ORIGINS');
  const singular = read('PUBLIC_ORIGIN');
  if (plural !== undefined && singular !== undefined && plural !== singular) {
    throw new ConfigError('PUBLIC_ORIGIN', singular, 'to be unset when PUBLIC_ORIGINS is set');
  }
  const name = plural !== undefined ? 'PUBLIC_ORIGINS' : 'PUBLIC_ORIGIN';
  const raw = plural ?? singular;
  if (raw === undefined) {
    // With PORT=0 the real port is only known after listening: there is no origin to guess.
    return port === 0 ? [] : [`${scheme}://localhost:${port}`, `${scheme}://127.0.0.1:${port}`];
  }
  return raw.split(',').map((item) => {
    let url: URL | undefined;
    try {
      url = new URL(item.trim());
    } catch {
      url = undefined;
    }
    const bare =
      url !== undefined &&
      url.pathname === '/' &&
      url.search === '' &&
      url.hash === '' &&
      url.username === '';
    if (url === undefined || !bare || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigError(
        name,
        item.trim(),
        'comma-separated origins like https://seduta.example.org (no path)',
      );
    }
    return url.origin;
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function isHost(value: string): boolean {
  return (
    net.isIP(value) !== 0 ||
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value)
  );
}
