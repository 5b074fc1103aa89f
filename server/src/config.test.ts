import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../../test/support/certificates';
import { ConfigError, loadConfig, redactUrl } from './config';
import { expiryWarning } from './http/tls';

const TURN_SECRET = 's'.repeat(32);

/** The ConfigError thrown for env, or a failure if none is. */
function errorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has a default for everything', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: path.resolve('data'),
      databaseUrl: undefined,
      logLevel: 'info',
      logFormat: 'auto',
      publicOrigins: ['http://localhost:8080', 'http://127.0.0.1:8080'],
      shutdownGraceMs: 10_000,
      hostGraceMs: 60_000,
      apiKey: undefined,
      ice: {
        turnUrls: [],
        turnSecret: undefined,
        turnCredentialTtlSeconds: 12 * 3600,
        transportPolicy: 'all',
      },
      media: {
        numWorkers: os.availableParallelism(),
        listenIp: '0.0.0.0',
        rtcPort: 40000,
        rtcMinPort: 40100,
        rtcMaxPort: 49999,
        spreadConsumers: 300,
      },
    });
  });

  it('reads MEDIA_SPREAD_CONSUMERS and rejects a value that is not a positive integer', () => {
    expect(loadConfig({ MEDIA_SPREAD_CONSUMERS: '120' }).media.spreadConsumers).toBe(120);
    expect(() => loadConfig({ MEDIA_SPREAD_CONSUMERS: '0' })).toThrow(/MEDIA_SPREAD_CONSUMERS="0"/);
    expect(() => loadConfig({ MEDIA_SPREAD_CONSUMERS: 'many' })).toThrow(/MEDIA_SPREAD_CONSUMERS/);
  });

  it('announces 127.0.0.1 with a warning when media listens on every interface and nothing is announced', () => {
    const config = loadConfig({});
    expect(config.media.announcedAddress).toBe('127.0.0.1');
    expect(config.warnings).toEqual([expect.stringContaining('set MEDIA_ANNOUNCED_ADDRESS')]);
  });

  it('announces nothing extra, without warning, when media listens on a specific address', () => {
    const config = loadConfig({ MEDIA_LISTEN_IP: '10.1.2.3' });
    expect(config.media.announcedAddress).toBeUndefined();
    expect(config.warnings).toEqual([]);
  });

  it('keeps an announced hostname as given', () => {
    expect(loadConfig({ MEDIA_ANNOUNCED_ADDRESS: 'media.ente.example.it' }).media.announcedAddress).toBe(
      'media.ente.example.it',
    );
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '3000',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/seduta',
      DATABASE_URL: 'postgresql://seduta:pw@db.internal:5432/seduta',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      PUBLIC_ORIGINS: 'https://seduta.ente.it, https://sedute.ente.it/',
      MEDIA_WORKERS: '4',
      MEDIA_LISTEN_IP: '10.0.0.5',
      MEDIA_ANNOUNCED_ADDRESS: '203.0.113.7',
      MEDIA_RTC_PORT: '50000',
      MEDIA_RTC_MIN_PORT: '40000',
      MEDIA_RTC_MAX_PORT: '40999',
      MEDIA_SPREAD_CONSUMERS: '500',
      SHUTDOWN_GRACE_MS: '2500',
      API_KEY: 'k'.repeat(32),
      TURN_URLS: 'turn:turn.ente.it:3478?transport=udp, turns:turn.ente.it:443?transport=tcp',
      TURN_SECRET: TURN_SECRET,
      TURN_CREDENTIAL_TTL_SECONDS: '3600',
      ICE_TRANSPORT_POLICY: 'relay',
      MAX_TRANSPORTS_PER_DIRECTION: '3',
      TRANSPORT_CONNECT_TIMEOUT_S: '20',
      SIGNALLING_RATE_PER_S: '50',
      LOGIN_MAX_PER_ADDRESS: '30',
      LOGIN_HASH_CONCURRENCY: '2',
    });
    expect(config).toEqual({
      port: 3000,
      host: '127.0.0.1',
      tls: undefined,
      dataDir: '/var/lib/seduta',
      databaseUrl: 'postgresql://seduta:pw@db.internal:5432/seduta',
      logLevel: 'debug',
      logFormat: 'json',
      publicOrigins: ['https://seduta.ente.it', 'https://sedute.ente.it'],
      media: {
        numWorkers: 4,
        listenIp: '10.0.0.5',
        announcedAddress: '203.0.113.7',
        rtcPort: 50000,
        rtcMinPort: 40000,
        rtcMaxPort: 40999,
        spreadConsumers: 500,
      },
      shutdownGraceMs: 2500,
      hostGraceMs: 60_000,
      apiKey: 'k'.repeat(32),
      access: {
        joinTokenSecret: undefined,
        trustProxy: false,
        firstAdmin: undefined,
        smtpUrl: undefined,
        mailFrom: 'Seduta <seduta@localhost>',
        joinTokenClockSkewS: 30,
        maxConnectionsPerPass: 4,
      },
      ice: {
        turnUrls: ['turn:turn.ente.it:3478?transport=udp', 'turns:turn.ente.it:443?transport=tcp'],
        turnSecret: TURN_SECRET,
        turnCredentialTtlSeconds: 3600,
        transportPolicy: 'relay',
      },
      webhooks: { timeoutMs: 10_000, retryFirstMs: 10_000, retryWindowMs: 86_400_000 },
      limits: {
        transportsPerDirection: 3,
        producersPerParticipant: 3,
        consumersPerParticipant: 100,
        transportConnectTimeoutMs: 20_000,
        requestsPerSecond: 50,
        requestBurst: 120,
      },
      signIn: {
        perAccountAddress: 10,
        perAccount: 50,
        perAddress: 30,
        global: 600,
        inFlightPerAddress: 2,
        hashConcurrency: 2,
        hashQueue: 8,
      },
      bookings: {
        minWorkingDays: 2,
        answerHours: 48,
        maxConcurrentSittings: 10,
        maxViewers: 500,
        roomOpensMinutesBefore: 30,
        publicForm: false,
        attachmentMaxBytes: 10 * 1024 * 1024,
        attachmentTypes: ['pdf', 'png', 'jpeg', 'odt', 'ods', 'docx', 'xlsx', 'p7m', 'txt', 'csv'],
      },
      warnings: [],
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '  ' })).toMatchObject({
      port: 8080,
      databaseUrl: undefined,
    });
  });

  it('accepts PUBLIC_ORIGIN as the singular spelling', () => {
    expect(loadConfig({ PUBLIC_ORIGIN: 'https://seduta.ente.it' }).publicOrigins).toEqual([
      'https://seduta.ente.it',
    ]);
  });

  it('derives no default origin when PORT is 0 (the port is only known after listening)', () => {
    expect(loadConfig({ PORT: '0' }).publicOrigins).toEqual([]);
  });

  it.each([
    [{ PORT: 'abc' }, 'Invalid PORT="abc": expected an integer between 0 and 65535'],
    [{ SIGNALLING_BURST: '0' }, 'Invalid SIGNALLING_BURST="0": expected an integer between 1 and 1000000'],
    [{ LOGIN_HASH_QUEUE: '-1' }, 'Invalid LOGIN_HASH_QUEUE="-1": expected an integer between 0 and 10000'],
    [{ PORT: '80.5' }, 'Invalid PORT="80.5": expected an integer between 0 and 65535'],
    [{ PORT: '65536' }, 'Invalid PORT="65536": expected an integer between 0 and 65535'],
    [{ PORT: '8080abc' }, 'Invalid PORT="8080abc": expected an integer between 0 and 65535'],
    [{ HOST: 'not a host' }, 'Invalid HOST="not a host": expected an IP address or a hostname'],
    [
      { LOG_LEVEL: 'verbose' },
      'Invalid LOG_LEVEL="verbose": expected one of fatal, error, warn, info, debug, trace, silent',
    ],
    [
      { LOG_FORMAT: 'text' },
      'Invalid LOG_FORMAT="text": expected json, pretty or auto (pretty when stdout is a terminal)',
    ],
    [{ MEDIA_WORKERS: '0' }, 'Invalid MEDIA_WORKERS="0": expected an integer between 1 and 64'],
    [
      { MEDIA_LISTEN_IP: 'localhost' },
      'Invalid MEDIA_LISTEN_IP="localhost": expected an IPv4 or IPv6 address',
    ],
    [
      { MEDIA_RTC_MIN_PORT: '45000', MEDIA_RTC_MAX_PORT: '44000' },
      'Invalid MEDIA_RTC_MAX_PORT="44000": expected an integer between 45000 and 65535',
    ],
    [
      { SHUTDOWN_GRACE_MS: '-1' },
      'Invalid SHUTDOWN_GRACE_MS="-1": expected an integer between 100 and 600000',
    ],
    [
      { PUBLIC_ORIGINS: 'https://a.it/path' },
      'Invalid PUBLIC_ORIGINS="https://a.it/path": expected comma-separated origins like https://seduta.example.org (no path)',
    ],
    [
      { PUBLIC_ORIGINS: 'ftp://a.it' },
      'Invalid PUBLIC_ORIGINS="ftp://a.it": expected comma-separated origins like https://seduta.example.org (no path)',
    ],
    [
      { TURN_URLS: 'stun:turn.ente.it:3478', TURN_SECRET },
      'Invalid TURN_URLS="stun:turn.ente.it:3478": expected comma-separated URLs like turn:turn.example.org:3478?transport=udp or turns:turn.example.org:443?transport=tcp',
    ],
    [
      { TURN_URLS: 'turn:turn.ente.it:3478', TURN_CREDENTIAL_TTL_SECONDS: '86400', TURN_SECRET },
      'Invalid TURN_CREDENTIAL_TTL_SECONDS="86400": expected an integer between 60 and 43200',
    ],
    [
      { TURN_URLS: 'turn:turn.ente.it:3478' },
      'Invalid TURN_SECRET="": expected coturn\'s static-auth-secret (TURN_URLS is set)',
    ],
    [{ ICE_TRANSPORT_POLICY: 'none' }, 'Invalid ICE_TRANSPORT_POLICY="none": expected all or relay'],
    [
      { TURN_URLS: 'turn:turn.ente.it:3478', TURN_SECRET: 'short' },
      'Invalid TURN_SECRET="(hidden)": expected at least 32 bytes',
    ],
    [
      { TLS_CERT_FILE: '/etc/seduta/cert.pem' },
      'Invalid TLS_KEY_FILE="": expected the certificate\'s private key file (TLS_CERT_FILE is set)',
    ],
    [
      { TLS_KEY_FILE: '/etc/seduta/key.pem' },
      'Invalid TLS_CERT_FILE="": expected the certificate file of TLS_KEY_FILE (TLS_KEY_FILE is set)',
    ],
    [
      { TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: '/nonexistent/key.pem' },
      'Invalid TLS_CERT_FILE="/nonexistent/cert.pem": expected a readable PEM certificate file (no such file)',
    ],
    [
      { TRUST_PROXY: '10.0.0.0/33' },
      'Invalid TRUST_PROXY="10.0.0.0/33": expected true, false, or the proxy\'s addresses like 127.0.0.1,10.0.0.0/8 (comma-separated IPs, CIDR ranges, loopback)',
    ],
    [
      { ICE_TRANSPORT_POLICY: 'relay' },
      'Invalid ICE_TRANSPORT_POLICY="relay": expected all, or relay together with TURN_URLS',
    ],
    [
      { PUBLIC_ORIGINS: 'https://a.it', PUBLIC_ORIGIN: 'https://b.it' },
      'Invalid PUBLIC_ORIGIN="https://b.it": expected to be unset when PUBLIC_ORIGINS is set',
    ],
  ])('rejects %o with one line naming the variable, the value and what is expected', (env, message) => {
    const err = errorFor(env);
    expect(err.message).toBe(message);
    expect(err.message).not.toContain('\n');
  });

  it.each(['mysql://x', 'postgres://', 'not a url', 'postgres:///nohost'])(
    'rejects DATABASE_URL=%s',
    (url) => {
      const err = errorFor({ DATABASE_URL: url });
      expect(err.variable).toBe('DATABASE_URL');
      expect(err.message).toMatch(/^Invalid DATABASE_URL=".*": expected a URL like postgres:\/\//);
    },
  );

  it('never prints the database password', () => {
    const err = errorFor({ DATABASE_URL: 'mysql://user:s3cret@db/x' });
    expect(err.message).not.toContain('s3cret');
    expect(err.message).toContain('mysql://user:***@db/x');
  });

  it('never prints the API key', () => {
    const err = errorFor({ API_KEY: 'short-secret' });
    expect(err.message).not.toContain('short-secret');
    expect(err.variable).toBe('API_KEY');
  });

  it.each([
    'turn:turn.ente.it',
    'turn:turn.ente.it:3478?transport=tcp',
    'turn:203.0.113.7:3478?transport=udp',
    'turn:[2001:db8::7]:3478',
    'turns:turn.ente.it:5349',
  ])('accepts TURN_URLS=%s', (url) => {
    expect(loadConfig({ TURN_URLS: url, TURN_SECRET }).ice.turnUrls).toEqual([url]);
  });

  it.each([
    'turn:turn.ente.it:70000',
    'turn:turn.ente.it:3478?transport=sctp',
    'turns:turn.ente.it:443?transport=udp',
    'turn:',
    'turn://turn.ente.it:3478',
    'turn:user@turn.ente.it',
    'https://turn.ente.it',
    'turn:turn.ente.it:3478,',
  ])('rejects TURN_URLS=%s, naming the variable', (url) => {
    const err = errorFor({ TURN_URLS: url, TURN_SECRET });
    expect(err.variable).toBe('TURN_URLS');
    expect(err.message).not.toContain('\n');
  });

  it('refuses a TURN secret shorter than 32 bytes without printing it', () => {
    const err = errorFor({ TURN_URLS: 'turn:turn.ente.it:3478', TURN_SECRET: 'short-turn-secret' });
    expect(err.variable).toBe('TURN_SECRET');
    expect(err.message).toBe('Invalid TURN_SECRET="(hidden)": expected at least 32 bytes');
    expect(err.message).not.toContain('short-turn-secret');
  });

  it('counts the TURN secret in bytes, not characters', () => {
    expect(loadConfig({ TURN_URLS: 'turn:t.it', TURN_SECRET: 'è'.repeat(16) }).ice.turnSecret).toBe(
      'è'.repeat(16),
    );
    expect(errorFor({ TURN_URLS: 'turn:t.it', TURN_SECRET: 'è'.repeat(15) }).variable).toBe('TURN_SECRET');
  });

  it('warns about a TURN secret without TURN_URLS, and offers no TURN', () => {
    const config = loadConfig({ TURN_SECRET, MEDIA_LISTEN_IP: '10.1.2.3' });
    expect(config.ice.turnSecret).toBeUndefined();
    expect(config.warnings).toEqual([expect.stringContaining('TURN_URLS is not')]);
    expect(config.warnings.join()).not.toContain(TURN_SECRET);
  });

  it('rejects WebRTC ports overlapping the plain transport range', () => {
    const err = errorFor({ MEDIA_WORKERS: '2', MEDIA_RTC_PORT: '40099' });
    expect(err.message).toBe(
      'Invalid MEDIA_RTC_PORT="40099": expected ports 40099-40100 (one per worker) outside MEDIA_RTC_MIN_PORT-MEDIA_RTC_MAX_PORT (40100-49999)',
    );
  });

  it('rejects WebRTC ports running past 65535 for the last worker', () => {
    expect(errorFor({ MEDIA_WORKERS: '4', MEDIA_RTC_PORT: '65534' }).variable).toBe('MEDIA_RTC_PORT');
  });
});

describe('redactUrl', () => {
  it('replaces the password and keeps the rest', () => {
    expect(redactUrl('postgres://seduta:pw@db:5432/seduta')).toBe('postgres://seduta:***@db:5432/seduta');
    expect(redactUrl('postgres://seduta@db/seduta')).toBe('postgres://seduta@db/seduta');
  });
});

describe('loadConfig: HTTPS and proxies', () => {
  let certs: TestCertificates;
  let other: { certFile: string; keyFile: string };
  beforeAll(async () => {
    certs = await makeTestCertificates(['seduta.ente.it', '127.0.0.1'], 365);
    other = await certs.issue('other');
  });
  afterAll(() => certs.remove());

  it('reads the certificate and key named by TLS_CERT_FILE and TLS_KEY_FILE, and defaults to https origins', () => {
    const config = loadConfig({ TLS_CERT_FILE: certs.certFile, TLS_KEY_FILE: certs.keyFile });
    expect(config.tls).toMatchObject({
      certFile: certs.certFile,
      keyFile: certs.keyFile,
      subject: 'O=Seduta tests, CN=seduta.ente.it',
    });
    expect(config.tls?.cert).toContain('-----BEGIN CERTIFICATE-----');
    expect(config.tls!.validTo.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect(config.publicOrigins).toEqual(['https://localhost:8080', 'https://127.0.0.1:8080']);
    expect(config.warnings.join()).not.toContain('TLS');
  });

  it('serves plain HTTP when neither is set', () => {
    expect(loadConfig({}).tls).toBeUndefined();
  });

  /** env for the test certificate with one of the two files replaced. */
  const withFile = (variable: 'TLS_CERT_FILE' | 'TLS_KEY_FILE', file: string) => ({
    TLS_CERT_FILE: certs.certFile,
    TLS_KEY_FILE: certs.keyFile,
    [variable]: file,
  });
  const write = (name: string, text: string) => {
    const file = `${certs.dir}/${name}`;
    fs.writeFileSync(file, text);
    return file;
  };

  it.each([
    [
      'a key that does not match the certificate',
      () => withFile('TLS_KEY_FILE', other.keyFile),
      'TLS_KEY_FILE',
      /does not match O=Seduta tests, CN=seduta.ente.it/,
    ],
    [
      'a certificate that does not match the key',
      () => withFile('TLS_CERT_FILE', other.certFile),
      'TLS_KEY_FILE',
      /this key does not match/,
    ],
    [
      'a key file that does not exist',
      () => withFile('TLS_KEY_FILE', `${certs.dir}/missing.key`),
      'TLS_KEY_FILE',
      /no such file/,
    ],
    [
      'a directory as the certificate',
      () => withFile('TLS_CERT_FILE', certs.dir),
      'TLS_CERT_FILE',
      /it is a directory/,
    ],
    [
      'a certificate file that is not PEM',
      () => withFile('TLS_CERT_FILE', write('garbage.crt', 'hello')),
      'TLS_CERT_FILE',
      /a PEM certificate/,
    ],
    [
      'a broken PEM certificate',
      () =>
        withFile(
          'TLS_CERT_FILE',
          write('broken.crt', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
        ),
      'TLS_CERT_FILE',
      /a PEM certificate \(/,
    ],
    [
      'a key file that is not a key',
      () => withFile('TLS_KEY_FILE', certs.certFile),
      'TLS_KEY_FILE',
      /a PEM private key without a passphrase/,
    ],
  ])('refuses %s with one line naming the variable', (_, env, variable, reason) => {
    const err = errorFor(env());
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(new RegExp(`^Invalid ${variable}=`));
    expect(err.message).toMatch(reason);
    expect(err.message).not.toContain('\n');
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('warns at start about a certificate that expires within 14 days', async () => {
    const soon = await certs.issue('soon', { days: 5 });
    const config = loadConfig({ TLS_CERT_FILE: soon.certFile, TLS_KEY_FILE: soon.keyFile });
    expect(config.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/TLS_CERT_FILE .* expires on .* \(in [45] days\)/)]),
    );
  });

  it('says an expired certificate has expired', () => {
    const tls = { subject: 'CN=x', validTo: new Date('2026-01-01T00:00:00Z') };
    expect(expiryWarning(tls as never, new Date('2026-01-02T00:00:00Z'))).toMatch(/expired on 2026-01-01/);
    expect(expiryWarning(tls as never, new Date('2025-12-01T00:00:00Z'))).toBeUndefined();
  });

  it.each([
    ['true', true],
    ['no', false],
    ['127.0.0.1', ['127.0.0.1']],
    [
      '127.0.0.1, 10.0.0.0/8, ::1, fd00::/8, loopback',
      ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback'],
    ],
  ])('reads TRUST_PROXY=%s', (value, trustProxy) => {
    expect(loadConfig({ TRUST_PROXY: value }).access.trustProxy).toEqual(trustProxy);
  });

  it.each(['maybe', '10.0.0.0/8/1', '300.1.1.1', '127.0.0.1,', 'proxy.ente.it'])(
    'refuses TRUST_PROXY=%s, naming the variable',
    (value) => {
      const err = errorFor({ TRUST_PROXY: value });
      expect(err.variable).toBe('TRUST_PROXY');
      expect(err.message).not.toContain('\n');
    },
  );

  it('warns when TRUST_PROXY=true and the server listens beyond loopback', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).warnings.join()).toContain(
      "set TRUST_PROXY to the proxy's address",
    );
    expect(loadConfig({ TRUST_PROXY: 'true', HOST: '127.0.0.1' }).warnings.join()).not.toContain(
      'TRUST_PROXY',
    );
    expect(loadConfig({ TRUST_PROXY: '10.0.0.2' }).warnings.join()).not.toContain('TRUST_PROXY');
  });
});
