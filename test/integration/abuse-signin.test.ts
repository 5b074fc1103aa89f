import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../server/src/auth/staff-users';
import { startTestServer, type TestServer } from '../support/server';

const PASSWORD = 'una password lunga 0123';
const FLOOD = 200;

/**
 * A sign-in or a page load under a flood may take at most this multiple of the same request on
 * an idle server, plus a fixed allowance for a noisy 2-core machine. Before the bounded hashing
 * queue, 100 bogus sign-ins made a real one take 4.1 s (≈ 50 times an idle one) and the page 5.3 s.
 */
const bound = (idleMs: number) => 8 * idleMs + 250;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('sign-in under a flood of bogus sign-ins', () => {
  let srv: TestServer;
  let clientDir: string;
  let sittingId: string;
  let email: string;

  const signIn = (address: string, who = email, password = PASSWORD) =>
    srv.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: address,
      payload: { email: who, password },
    });
  /** The page an operator opens (the web client's index, served from disk). */
  const page = () => srv.app.inject({ url: `/s/${sittingId}`, remoteAddress: '192.0.2.50' });
  const timed = async <T>(work: () => Promise<T>) => {
    const started = performance.now();
    const result = await work();
    return { result, ms: performance.now() - started };
  };
  const bogus = (address: (i: number) => string) =>
    Array.from({ length: FLOOD }, (_, i) => signIn(address(i), `nessuno.${i}@ente.example.it`, 'indovina'));

  /** The idle figures: median of a few sign-ins and page loads with nothing else going on. */
  async function idle() {
    const signIns: number[] = [];
    const pages: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await timed(() => signIn('192.0.2.10'));
      expect(s.result.statusCode).toBe(200);
      signIns.push(s.ms);
      const p = await timed(page);
      expect(p.result.statusCode).toBe(200);
      pages.push(p.ms);
    }
    return { signIn: median(signIns), page: median(pages) };
  }

  beforeAll(async () => {
    clientDir = mkdtempSync(path.join(tmpdir(), 'seduta-client-'));
    writeFileSync(
      path.join(clientDir, 'index.html'),
      `<!doctype html><title>Seduta</title>${'<p>x</p>'.repeat(20_000)}`,
    );
    mkdirSync(path.join(clientDir, 'assets'));
    srv = await startTestServer({ clientDir });
    sittingId = (await srv.createSitting({ title: 'Apertura buste — lotto 3' })).id;
    email = `presidente.${Date.now()}@ente.example.it`;
    await createStaffUser(srv.db.db, { email, name: 'Presidente', role: 'host', password: PASSWORD });
  });

  afterAll(async () => {
    await srv?.close();
    rmSync(clientDir, { recursive: true, force: true });
  });

  it('refuses most of 200 concurrent sign-ins from one address with 429 and Retry-After, while a real sign-in and the operator page answer at once', async () => {
    const base = await idle();
    const flood = bogus(() => '198.51.100.66');
    const real = await timed(() => signIn('192.0.2.20'));
    const shown = await timed(page);
    const replies = await Promise.all(flood);
    console.info(
      `idle: sign-in ${base.signIn.toFixed(0)} ms, page ${base.page.toFixed(0)} ms; ` +
        `under the flood: sign-in ${real.ms.toFixed(0)} ms, page ${shown.ms.toFixed(0)} ms`,
    );
    expect(real.result.statusCode).toBe(200);
    expect(shown.result.statusCode).toBe(200);
    expect(real.ms).toBeLessThan(bound(base.signIn));
    expect(shown.ms).toBeLessThan(bound(base.page));
    const limited = replies.filter((r) => r.statusCode === 429);
    expect(limited.length).toBeGreaterThan(FLOOD * 0.8);
    expect(replies.every((r) => r.statusCode === 429 || r.statusCode === 401)).toBe(true);
    for (const r of limited) {
      expect(r.json().error.code).toBe('rate_limited');
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // The address stays limited: more bogus sign-ins are refused without a hash…
    const later = await signIn('198.51.100.66', 'ancora.nessuno@ente.example.it', 'x');
    expect([429, 401]).toContain(later.statusCode);
  });

  it('refuses most of 200 concurrent sign-ins from 200 addresses at once (bounded hashing queue); the page still answers, and a real sign-in gets in or is told when to retry', async () => {
    const base = await idle();
    const flood = bogus((i) => `203.0.113.${i + 1}`);
    const real = await timed(() => signIn('192.0.2.30'));
    const shown = await timed(page);
    const replies = await Promise.all(flood);
    console.info(
      `distributed flood: sign-in ${real.ms.toFixed(0)} ms (${real.result.statusCode}), page ${shown.ms.toFixed(0)} ms`,
    );
    expect(shown.result.statusCode).toBe(200);
    expect(shown.ms).toBeLessThan(bound(base.page));
    expect(real.ms).toBeLessThan(bound(base.signIn) + 10 * base.signIn);
    const limited = replies.filter((r) => r.statusCode === 429);
    expect(limited.length).toBeGreaterThan(FLOOD * 0.8);
    expect(limited[0]?.json().error.message).toMatch(/too many sign-ins right now; try again in \d+ s/);
    if (real.result.statusCode === 429) {
      // Told when to retry; once the queue has drained, the retry gets in.
      const wait = Number(real.result.headers['retry-after']);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(5);
      await new Promise((r) => setTimeout(r, wait * 1000));
      expect((await signIn('192.0.2.30')).statusCode).toBe(200);
    } else {
      expect(real.result.statusCode).toBe(200);
    }
  });

  it('answers an unknown e-mail as slowly as a wrong password (a dummy hash in the same queue)', async () => {
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 5; i++) {
      const u = await timed(() => signIn(`192.0.2.${100 + i}`, `sconosciuto.${i}@ente.example.it`, 'x'));
      const w = await timed(() => signIn(`192.0.2.${110 + i}`, email, 'sbagliata'));
      expect(u.result.statusCode).toBe(401);
      expect(w.result.statusCode).toBe(401);
      expect(u.result.json()).toEqual(w.result.json());
      unknown.push(u.ms);
      wrong.push(w.ms);
    }
    const ratio = median(unknown) / median(wrong);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
