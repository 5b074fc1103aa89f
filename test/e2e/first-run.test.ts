/**
 * Issue 12, item 6 (first run), as a newcomer meets it: the real server process started with
 * nothing but ports and an empty data directory prints a setup link on its console; the sign-in
 * page says where that link is; opening the link in Chromium, filling the form lands on the staff
 * dashboard signed in as the new administrator; opening the same link again is refused on the page,
 * which links to the sign-in.
 *
 * Runs inside the test network namespace:
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/first-run.test.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureClientBuilt } from './harness/app';
import { launchChromium, type TestBrowser } from './harness/browsers';
import { findFreeRtcPort } from './harness/ports';
import { fill } from './harness/sign-in';
import { seen, waitFor } from './harness/testids';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const RESULTS_DIR = path.join(ROOT, '.test-results');
const LINK = /^\s+(http:\/\/localhost:\d+\/setup#[\w-]+)\s*$/m;
const ADMIN = {
  name: 'Maria Rossi',
  email: 'maria.rossi@comune.example.it',
  password: 'prima password sicura',
};

describe('issue 12: first run, from the console link to the staff dashboard in Chromium', () => {
  let server: ChildProcess | undefined;
  let dataDir: string;
  let browser: TestBrowser | undefined;
  let origin: string;
  let output = '';
  let link: string;

  beforeAll(async () => {
    await ensureClientBuilt();
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'seduta-first-run-'));
    const port = await findFreeRtcPort('127.0.0.1');
    origin = `http://localhost:${port}`;
    // What a newcomer has: no administrator, no secrets, no PUBLIC_ORIGIN. Ports and the data
    // directory are set only so the test cannot collide with anything else on the machine.
    server = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['server/src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        MEDIA_WORKERS: '1',
        MEDIA_LISTEN_IP: '127.0.0.1',
        MEDIA_RTC_PORT: String(await findFreeRtcPort('127.0.0.1', { min: 40100, max: 49999 })),
        LOG_FORMAT: 'pretty',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 90_000;
    while (!LINK.test(output) || !output.includes('seduta is listening')) {
      if (server.exitCode !== null) throw new Error(`server exited ${server.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`no setup link printed in 90 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    link = LINK.exec(output)![1]!;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('prints the setup link on the console, and the sign-in page says it is there', async () => {
    expect(link.startsWith(`${origin}/setup#`)).toBe(true);
    expect(output).toMatch(/WARN {2}\[setup\] No administrator account exists yet/);
    const page = await browser!.newPage();
    await page.goto(`${origin}/host`);
    // The Italian interface, whatever the browser's language (remembered for the other pages).
    await page.evaluate(() => localStorage.setItem('seduta.locale', 'it'));
    await page.goto(`${origin}/host`);
    const hint = await waitFor(page, (n) => n.testid === 'setup-hint');
    expect(hint.text).toContain('console del server');
    await page.screenshot(path.join(RESULTS_DIR, 'first-run-sign-in.png'));
    await page.close();
  });

  it('creates the first administrator from the link and lands on the dashboard signed in', async () => {
    const page = await browser!.newPage();
    await page.goto(link);
    await page.locate('[data-testid="setup-name"]').waitFor({ timeout: 15_000 });
    await fill(page, 'setup-name', ADMIN.name);
    await fill(page, 'setup-email', ADMIN.email);
    await fill(page, 'setup-password', ADMIN.password);
    await fill(page, 'setup-repeat', ADMIN.password);
    await page.screenshot(path.join(RESULTS_DIR, 'first-run-setup.png'));
    await page.click('[data-testid="setup-submit"]');
    const signedIn = await waitFor(page, (n) => n.testid === 'signed-in-as');
    expect(signedIn.text).toContain(ADMIN.name);
    expect(await page.evaluate(() => window.location.pathname)).toBe('/host');
    // An administrator's dashboard: every sitting, and the form to create one.
    const shown = (await seen(page)).map((n) => n.testid);
    expect(shown).toContain('create-form');
    expect(shown).not.toContain('setup-hint');
    await page.close();
  });

  it('refuses a second use of the link on the page, and links to the sign-in', async () => {
    const page = await browser!.newPage();
    await page.goto(link);
    const done = await waitFor(page, (n) => n.testid === 'setup-done');
    expect(done.text).toContain('esiste un amministratore');
    const signIn = await waitFor(page, (n) => n.testid === 'setup-sign-in');
    expect(signIn.href).toBe('/host');
    expect((await seen(page)).map((n) => n.testid)).not.toContain('setup-form');
    await page.screenshot(path.join(RESULTS_DIR, 'first-run-link-used.png'));
    await page.close();
  });
});
