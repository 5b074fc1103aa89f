/**
 * Factories for the access tests: the app (which has the sittings and access features) on a fresh
 * database (in-process, `app.inject()`), staff accounts signed in, sittings owned by a host,
 * operators' passes. Every test file builds its own app and closes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { WorkerPool } from '@seduta/media';
import { buildApp, type AppPlugin } from '../../server/src/app';
import { createStaffUser, type StaffUser } from '../../server/src/auth/staff-users';
import { loadConfig } from '../../server/src/config';
import { findFreeRtcPort } from '../e2e/harness/ports';
import { testLogger, type TestDatabase, type TestDatabaseTarget } from '../support/databases';

/** The API key of every access test app. */
export const API_KEY = 'access-test-api-key-0123456789';
/** The signing secret of every access test app (platforms may mint tokens with it). */
export const SECRET = 'access-test-join-token-secret-0123456789abcdef';
/** The origin the test app believes it is served from. */
export const ORIGIN = 'http://127.0.0.1:8080';
/** Password of every account the factories create. */
export const PASSWORD = 'correct horse battery staple';

/** A running access test app. */
export interface AccessApp {
  app: FastifyInstance;
  db: TestDatabase;
  dataDir: string;
  close(): Promise<void>;
}

/** Options: extra environment, extra feature plugins. */
export interface AccessAppOptions {
  env?: Record<string, string>;
  /** Feature plugins registered before the sittings and access features. */
  plugins?: readonly AppPlugin[];
}

/** Builds the app with the sittings and access features on a fresh database of `target`. */
export async function startAccessApp(
  target: TestDatabaseTarget,
  opts: AccessAppOptions = {},
): Promise<AccessApp> {
  const db = await target.open();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-access-'));
  const env = {
    PORT: '8080',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    PUBLIC_ORIGIN: ORIGIN,
    MEDIA_WORKERS: '1',
    MEDIA_LISTEN_IP: '127.0.0.1',
    MEDIA_RTC_PORT: String(await findFreeRtcPort('127.0.0.1', { min: 40100, max: 49999 })),
    API_KEY,
    JOIN_TOKEN_SECRET: SECRET,
    ...opts.env,
  };
  const config = loadConfig(env);
  const pool = await WorkerPool.create({
    numWorkers: 1,
    rtcListenIp: '127.0.0.1',
    rtcPort: config.media.rtcPort,
    rtcMinPort: config.media.rtcMinPort,
    rtcMaxPort: config.media.rtcMaxPort,
    logger: testLogger,
  });
  const app = await buildApp({
    config,
    db: db.handle,
    pool,
    logger: testLogger,
    plugins: opts.plugins ?? [],
    clientDir: '/nonexistent',
  });
  await app.ready();
  return {
    app,
    db,
    dataDir,
    async close() {
      await app.close();
      await pool.close();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed-in staff member: their account, session cookie and CSRF token. */
export interface SignedIn {
  user: StaffUser;
  cookie: string;
  csrf: string;
  /** Headers for a request as this person (cookie and CSRF token). */
  headers: Record<string, string>;
}

let counter = 0;

/** Creates an account and signs it in. */
export async function signedIn(
  app: FastifyInstance,
  role: 'admin' | 'host',
  name = `${role} ${++counter}`,
): Promise<SignedIn> {
  const email = `${role}.${counter}.${Date.now()}@ente.example.it`;
  const user = await createStaffUser(app.access.db, { email, name, role, password: PASSWORD });
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password: PASSWORD },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const cookie = cookieHeader(res);
  const csrf = (res.json() as { csrfToken: string }).csrfToken;
  return { user, cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}

/** The `name=value` pairs a response sets, as a Cookie request header. */
export function cookieHeader(res: LightMyRequestResponse): string {
  return res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

/** Creates a sitting through the staff API as `host`. */
export async function hostSitting(
  app: FastifyInstance,
  host: SignedIn,
  body: { title?: string; kind?: 'public' | 'reserved' } = {},
): Promise<{ id: string; kind: string; status: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/staff/sittings',
    headers: host.headers,
    payload: { title: body.title ?? 'Apertura buste — lotto 1', kind: body.kind ?? 'public' },
  });
  if (res.statusCode !== 201) throw new Error(`create sitting failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { sitting: { id: string; kind: string; status: string } }).sitting;
}

/** Mints a join token through the platform API. */
export async function mintToken(
  app: FastifyInstance,
  sittingId: string,
  body: { subject: string; name: string; ttlSeconds?: number },
): Promise<{ token: string; url: string; expiresAt: string; jti: string }> {
  const res = await app.inject({
    method: 'POST',
    url: `/api/platform/sittings/${sittingId}/join-tokens`,
    headers: { authorization: `Bearer ${API_KEY}` },
    payload: body,
  });
  if (res.statusCode !== 201) throw new Error(`mint failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Exchanges a join token for an operator's pass; returns the Cookie header holding it. */
export async function operatorPass(
  app: FastifyInstance,
  sittingId: string,
  subject: string,
  name: string,
): Promise<string> {
  const { token } = await mintToken(app, sittingId, { subject, name });
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/join-token',
    payload: { sittingId, token },
  });
  if (res.statusCode !== 200) throw new Error(`exchange failed: ${res.statusCode} ${res.body}`);
  return cookieHeader(res);
}

/** One e-mail received by the capturing SMTP server. */
export interface CapturedMail {
  from: string;
  to: string[];
  /** The raw message (headers and body). */
  raw: string;
  /** The text body, quoted-printable decoded. */
  text: string;
}

/** A local SMTP server on 127.0.0.1 that keeps every message it receives. */
export interface SmtpCapture {
  url: string;
  messages: CapturedMail[];
  /** Refuse the next `n` messages with a temporary error (451). */
  refuseNext(n: number): void;
  close(): Promise<void>;
}

/** Starts a capturing SMTP server (smtp-server package) on a free loopback port. */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const { SMTPServer } = await import('smtp-server');
  const messages: CapturedMail[] = [];
  let refuse = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse > 0) {
          refuse--;
          callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          text: decodeBody(raw),
        });
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const net = server.listen(0, '127.0.0.1', () => {
      const address = net.address();
      if (typeof address === 'object' && address !== null) resolve(address.port);
      else reject(new Error('no address'));
    });
    net.once('error', reject);
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuseNext(n) {
      refuse = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decodeBody(raw: string): string {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  if (/content-transfer-encoding:\s*quoted-printable/i.test(headers)) {
    const escaped = body
      .replace(/%/g, '%25')
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, '%$1');
    return decodeURIComponent(escaped);
  }
  if (/content-transfer-encoding:\s*base64/i.test(headers))
    return Buffer.from(body, 'base64').toString('utf8');
  return body;
}
