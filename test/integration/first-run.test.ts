/**
 * Issue 12, item 6 (first run), over the real app: a server with no administrator prints a
 * one-time setup link on its console once it listens; the link's token creates the first
 * administrator (who is signed in) exactly once; wrong tokens, weak passwords and a second use are
 * refused with a reason; the creation is audit-logged. Runs on PGlite and, when reachable,
 * PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '@seduta/media';
import { buildApp } from '../../server/src/app';
import { FirstRun, SETUP_TOKEN_TTL_MS } from '../../server/src/auth/first-run';
import { loadConfig } from '../../server/src/config';
import { prettyStream } from '../../server/src/logger';
import { findFreeRtcPort } from '../e2e/harness/ports';
import { testDatabases, testLogger, type TestDatabase, type TestDatabaseTarget } from '../support/databases';

/** Starting an app (database, migrations, a media worker) takes long on a loaded machine. */
const APP_START_TIMEOUT_MS = 180_000;
const PASSWORD = 'prima password sicura';
const LINK = /(http:\/\/localhost:(\d+)\/setup#([\w-]+))/;

/** A listening app whose console (the pretty log lines) is captured. */
interface ConsoleApp {
  app: FastifyInstance;
  db: TestDatabase;
  port: number;
  console: string[];
  close(): Promise<void>;
}

async function startConsoleApp(
  target: TestDatabaseTarget,
  env: Record<string, string> = {},
): Promise<ConsoleApp> {
  const db = await target.open();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-first-run-'));
  // PORT=0 and no PUBLIC_ORIGIN: the link must carry the port the server really listens on.
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    MEDIA_WORKERS: '1',
    MEDIA_LISTEN_IP: '127.0.0.1',
    MEDIA_RTC_PORT: String(await findFreeRtcPort('127.0.0.1', { min: 40100, max: 49999 })),
    API_KEY: 'first-run-test-api-key-0123456789',
    JOIN_TOKEN_SECRET: 'first-run-test-join-token-secret-0123456789',
    ...env,
  });
  const lines: string[] = [];
  const logger = pino(
    { level: 'info' },
    prettyStream({ write: (t: string) => lines.push(t) }, { colors: false }),
  );
  const pool = await WorkerPool.create({
    numWorkers: 1,
    rtcListenIp: '127.0.0.1',
    rtcPort: config.media.rtcPort,
    rtcMinPort: config.media.rtcMinPort,
    rtcMaxPort: config.media.rtcMaxPort,
    logger: testLogger,
  });
  const app = await buildApp({ config, db: db.handle, pool, logger, clientDir: '/nonexistent' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return {
    app,
    db,
    port: typeof address === 'object' && address !== null ? address.port : 0,
    console: lines,
    async close() {
      await app.close();
      await pool.close();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The setup link printed on the console, and its token. */
function printedLink(lines: readonly string[]): { url: string; port: number; token: string } {
  const hits = lines.flatMap((l) => {
    const m = LINK.exec(l);
    return m ? [{ url: m[1]!, port: Number(m[2]), token: m[3]! }] : [];
  });
  expect(hits, 'one console entry with the setup link').toHaveLength(1);
  return hits[0]!;
}

const cookieOf = (res: LightMyRequestResponse) => res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');

describe.each(testDatabases())('first run on %s', (_kind, target) => {
  let t: ConsoleApp;
  let link: { url: string; port: number; token: string };
  const setup = (payload: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: '/api/setup', payload });
  const form = (overrides: Record<string, string> = {}) => ({
    token: link.token,
    name: 'Maria Rossi',
    email: 'Maria.Rossi@Comune.Example.it',
    password: PASSWORD,
    ...overrides,
  });

  beforeAll(async () => {
    t = await startConsoleApp(target);
    link = printedLink(t.console);
  }, APP_START_TIMEOUT_MS);
  afterAll(() => t?.close());

  it('prints one multi-line console message with the setup link on the port the server listens on', () => {
    expect(link.port).toBe(t.port);
    expect(Buffer.from(link.token, 'base64url').length).toBeGreaterThanOrEqual(16);
    const entry = t.console.find((l) => l.includes(link.url))!;
    const lines = entry.trimEnd().split('\n');
    expect(lines[0]).toMatch(/WARN {2}\[setup\] No administrator account exists yet/);
    // The link stands alone on its own line, easy to copy.
    expect(lines.map((l) => l.trim())).toContain(link.url);
    expect(entry).toMatch(/works once, until \d{4}-\d\d-\d\dT/);
    expect(entry).toContain('ADMIN_EMAIL and ADMIN_PASSWORD');
  });

  it('tells the sign-in page that setup is pending, and the link opens the setup page', async () => {
    const status = await t.app.inject('/api/setup');
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({ state: 'pending', minPasswordLength: 12 });
    // The page the link opens is served by the web client (no client here: its 404 is not an /api/ one).
    expect(new URL(link.url).pathname).toBe('/setup');
  });

  it('refuses a wrong token with 403 and a reason, creating nothing', async () => {
    const res = await setup(form({ token: `${link.token.slice(0, -2)}xx` }));
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toEqual({
      code: 'forbidden',
      message: 'this setup link is not valid (wrong, or already used)',
    });
    expect(await t.db.handle.db.selectFrom('staff_users').select('id').execute()).toEqual([]);
  });

  it('refuses a weak password with 400 naming the rule, and keeps the link usable', async () => {
    const res = await setup(form({ password: 'corta' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'bad_request',
      message: 'the password must have at least 12 characters',
    });
    const email = await setup(form({ email: 'not-an-address' }));
    expect(email.statusCode).toBe(400);
    expect(email.json().error.message).toBe('not a valid e-mail address');
    expect((await t.app.inject('/api/setup')).json().state).toBe('pending');
  });

  it('creates the first administrator with the link, signs them in, and audit-logs it', async () => {
    const res = await setup(form());
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({
      email: 'maria.rossi@comune.example.it',
      name: 'Maria Rossi',
      role: 'admin',
    });
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
    const [cookie] = res.cookies;
    expect(cookie).toMatchObject({ name: 'seduta_session', httpOnly: true, sameSite: 'Lax', path: '/' });

    // Signed in: the session answers /api/auth/me and may do what only an admin may.
    const headers = { cookie: cookieOf(res), 'x-csrf-token': body.csrfToken as string };
    const me = await t.app.inject({ url: '/api/auth/me', headers });
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({ email: 'maria.rossi@comune.example.it', role: 'admin' });
    const host = await t.app.inject({
      method: 'POST',
      url: '/api/staff/users',
      headers,
      payload: { email: 'host@comune.example.it', name: 'Luca Bianchi', role: 'host', password: PASSWORD },
    });
    expect(host.statusCode).toBe(201);
    // And with the password just chosen, through the ordinary sign-in.
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'maria.rossi@comune.example.it', password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);

    const audit = await t.db.handle.db
      .selectFrom('audit_log')
      .select(['actor', 'role', 'action', 'details'])
      .where('action', 'in', ['staff.create', 'auth.login'])
      .orderBy('id')
      .execute();
    expect(audit[0]).toMatchObject({
      actor: 'staff:maria.rossi@comune.example.it',
      role: 'admin',
      action: 'staff.create',
      details: { email: 'maria.rossi@comune.example.it', role: 'admin', via: 'setup link' },
    });
    expect(audit[1]).toMatchObject({ action: 'auth.login', details: { via: 'setup link' } });
  });

  it('refuses a second use of the link with 409 and a reason, and says setup is done', async () => {
    const again = await setup(form({ email: 'altro@comune.example.it' }));
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toEqual({
      code: 'invalid_state',
      message: 'an administrator already exists: this setup link is no longer needed; sign in at /host',
    });
    expect((await t.app.inject('/api/setup')).json().state).toBe('done');
    const admins = await t.db.handle.db
      .selectFrom('staff_users')
      .select('email')
      .where('role', '=', 'admin')
      .execute();
    expect(admins).toEqual([{ email: 'maria.rossi@comune.example.it' }]);
  });

  it(
    'lets only one of two simultaneous uses of the link through',
    async () => {
      const other = await startConsoleApp(target);
      try {
        const { token } = printedLink(other.console);
        const attempt = (email: string) =>
          other.app.inject({
            method: 'POST',
            url: '/api/setup',
            payload: { token, name: 'Concorrente', email, password: PASSWORD },
          });
        const results = await Promise.all([
          attempt('uno@comune.example.it'),
          attempt('due@comune.example.it'),
        ]);
        // The loser finds the token taken (403) or, if it came later, the administrator made (409).
        const codes = results.map((r) => r.statusCode).sort();
        expect(codes[0]).toBe(201);
        expect([403, 409]).toContain(codes[1]);
        const admins = await other.db.handle.db.selectFrom('staff_users').select('email').execute();
        expect(admins).toHaveLength(1);
      } finally {
        await other.close();
      }
    },
    APP_START_TIMEOUT_MS,
  );

  it(
    'prints no link and answers done when ADMIN_EMAIL created the administrator',
    async () => {
      const other = await startConsoleApp(target, {
        ADMIN_EMAIL: 'admin@comune.example.it',
        ADMIN_PASSWORD: PASSWORD,
      });
      try {
        expect(other.console.join('')).not.toMatch(/setup#|No administrator/);
        expect((await other.app.inject('/api/setup')).json().state).toBe('done');
      } finally {
        await other.close();
      }
    },
    APP_START_TIMEOUT_MS,
  );
});

describe.each(testDatabases())('the setup token on %s', (_kind, target) => {
  it('expires 24 hours after it was printed', async () => {
    const db = await target.open();
    try {
      let now = Date.UTC(2026, 11, 5, 9, 0);
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
      const firstRun = new FirstRun({ db: db.handle.db, logger, now: () => now });
      expect(await firstRun.prepare()).toBe(true);
      firstRun.announce('https://sedute.comune.example.it');
      firstRun.announce('https://sedute.comune.example.it');
      expect(lines).toHaveLength(1);
      // A JSON log line holds the same message, link and expiry included.
      const entry = JSON.parse(lines[0]!) as { level: number; msg: string };
      expect(entry.level).toBe(40);
      expect(entry.msg).toContain('until 2026-12-06T09:00:00.000Z');
      const token = /\n {4}https:\/\/sedute\.comune\.example\.it\/setup#([\w-]+)\n/.exec(entry.msg)![1]!;

      now += SETUP_TOKEN_TTL_MS;
      const input = { token, name: 'Tarda', email: 'tarda@comune.example.it', password: PASSWORD };
      await expect(firstRun.complete(input, '127.0.0.1')).rejects.toMatchObject({
        code: 'forbidden',
        message: 'this setup link has expired: restart the server to print a new one on its console',
      });
      // A new start issues a new token, and that one works.
      expect(await firstRun.prepare()).toBe(true);
      firstRun.announce('https://sedute.comune.example.it');
      const fresh = /\/setup#([\w-]+)/.exec((JSON.parse(lines[1]!) as { msg: string }).msg)![1]!;
      expect(fresh).not.toBe(token);
      const { session } = await firstRun.complete({ ...input, token: fresh }, '127.0.0.1');
      expect(session.user.role).toBe('admin');
      expect(await firstRun.prepare()).toBe(false);
    } finally {
      await db.close();
    }
  });
});
