/**
 * Issue 6 item 5, in a real browser: the administrators' recordings page. A host records a few
 * seconds of a live sitting from the host console (fake camera and microphone, the real recorder
 * and FFmpeg); an administrator signs in, follows the sitting's "Recordings" link from the
 * dashboard, watches the recording become ready without reloading, plays it (metadata, seeking to
 * the middle through Range requests), and finds the download link and the per-track originals,
 * whose SHA-256 matches the file the link serves. A host without the right to download is told
 * who may; an empty list and an unknown sitting are explained.
 *
 * Runs inside the test network namespace:
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/recordings-page.test.ts
 * Screenshots go to .test-results/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_HOST, startE2eApp, type CreatedSitting, type E2eApp } from './harness/app';
import { launchChromium, type TestBrowser, type TestPage } from './harness/browsers';
import { signInAsHost } from './harness/sign-in';
import { seen, waitFor } from './harness/testids';

const RESULTS_DIR = path.resolve('.test-results');
/** How long the host records. */
const RECORD_MS = 4_000;
/** Stop, then the finalize (FFmpeg, libx264 ultrafast) of a few seconds, on 2 shared cores. */
const READY_WITHIN_MS = 45_000;
/** The first admin, created by the server at start from ADMIN_EMAIL and ADMIN_PASSWORD. */
const ADMIN = {
  email: 'amministratore@comune.example.it',
  password: 'e2e admin password 2026',
  name: 'Amministratore',
};

describe('issue 6: an administrator finds, plays and downloads a recording in the web client', () => {
  let server: E2eApp;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let host: TestPage;
  let admin: TestPage;
  let recordingId = '';
  let listedSize = 0;
  let recordingSince = 0;

  beforeAll(async () => {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    server = await startE2eApp({
      env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ADMIN_NAME: ADMIN.name },
    });
    created = await server.createSitting({ title: 'Apertura buste – Fornitura di arredi scolastici' });
    // One browser each: the host's and the admin's sessions are separate cookies.
    const launched = await Promise.all([launchChromium(), launchChromium()]);
    browsers.push(...launched);
    host = await launched[0]!.newPage();
    admin = await launched[1]!.newPage();
  });

  afterAll(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
  });

  it('lets the host start recording the live sitting', async () => {
    await signInAsHost(host, server.url, E2E_HOST);
    await host.goto(created.hostUrl);
    await waitFor(host, (n) => n.testid === 'start' && !n.disabled);
    await host.click('[data-testid="start"]');
    await waitFor(host, (n) => n.testid === 'recording-start' && !n.disabled, 20_000);
    await host.click('[data-testid="recording-start"]');
    await waitFor(host, (n) => n.testid === 'recording-state' && /in corso|^Recording/.test(n.text));
    recordingSince = Date.now();
  });

  it('takes the admin from the dashboard to the sitting’s recordings, where the one in progress shows', async () => {
    await signInAsHost(admin, server.url, ADMIN);
    const link = await waitFor(admin, (n) => n.testid === 'open-recordings');
    expect(link.href).toBe(`/host/${created.sitting.id}/recordings`);
    await admin.click(`[data-sitting-id="${created.sitting.id}"] [data-testid="open-recordings"]`);
    const card = await waitFor(admin, (n) => n.testid === 'recording');
    expect(await admin.evaluate(() => location.pathname)).toBe(`/host/${created.sitting.id}/recordings`);
    expect(card.data.state).toBe('recording');
    const shown = await seen(admin);
    expect(shown.find((n) => n.testid === 'recording-when')?.text).toMatch(/ancora in corso|still going/);
    expect(shown.find((n) => n.testid === 'recording-size')?.text).toMatch(
      /quando il file è pronto|when the file/,
    );
    // Nothing to play or download yet.
    expect(shown.some((n) => n.testid === 'recording-video' || n.testid === 'recording-download')).toBe(
      false,
    );
    await admin.screenshot(path.join(RESULTS_DIR, 'recordings-page-recording.png'));
  });

  it('follows the recording, once the host stops it, until it is ready, without a reload', async () => {
    // Marks this document: if it is still there when the recording is ready, polling did the work.
    await admin.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    await delay(Math.max(0, recordingSince + RECORD_MS - Date.now()));
    await host.click('[data-testid="recording-stop"]');
    // Stopping asks for confirmation.
    await host.click('[data-testid="recording-stop-confirm"]');
    const stopped = Date.now();
    await waitFor(host, (n) => n.testid === 'recording-state' && !/in corso|^Recording/.test(n.text));

    const states: string[] = [];
    const ready = await waitFor(
      admin,
      (n) => {
        if (n.testid === 'recording' && n.data.state && states.at(-1) !== n.data.state)
          states.push(n.data.state);
        return n.testid === 'recording' && n.data.state === 'ready';
      },
      READY_WITHIN_MS,
    );
    console.log(
      `[recordings-page] states seen: ${states.join(' → ')}; ready ${Date.now() - stopped} ms after stop`,
    );
    expect(
      await admin.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    expect(states[0]).not.toBe('ready');
    recordingId = ready.data.recordingId ?? '';
    expect(recordingId).toMatch(/^[0-9a-f-]{36}$/);

    const shown = await seen(admin);
    expect(shown.filter((n) => n.testid === 'recording')).toHaveLength(1);
    expect(shown.find((n) => n.testid === 'sitting-title')?.text).toBe(created.sitting.title);
    expect(shown.find((n) => n.testid === 'recording-state')?.text).toMatch(
      /^(Registrazione pronta|Recording ready)$/,
    );
    expect(shown.find((n) => n.testid === 'recording-duration')?.text).toMatch(/^00:0[2-9]$/);
    expect(shown.find((n) => n.testid === 'recording-size')?.text).toMatch(/^\d+[.,]\d\d MB$/);
    expect(shown.some((n) => n.testid === 'recording-progress')).toBe(false);

    const list = await admin.evaluate(async (id) => {
      const response = await fetch(`/api/sittings/${id}/recordings`);
      return (await response.json()) as { recordings: { size: number | null }[] };
    }, created.sitting.id);
    listedSize = list.recordings[0]?.size ?? 0;
    expect(listedSize).toBeGreaterThan(0);
    await admin.screenshot(path.join(RESULTS_DIR, 'recordings-page-ready.png'));
  });

  it('plays the recording: the player loads its metadata and seeks to the middle', async () => {
    const played = await admin.evaluate(async () => {
      const find = (root: Document | ShadowRoot): HTMLVideoElement | null => {
        const hit = root.querySelector<HTMLVideoElement>('[data-testid="recording-video"]');
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
          const inner = el.shadowRoot ? find(el.shadowRoot) : null;
          if (inner) return inner;
        }
        return null;
      };
      const video = find(document);
      if (!video) throw new Error('no recording-video on the page');
      const once = (type: string, timeout: number) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no ${type} within ${timeout} ms (error ${video.error?.code ?? '-'})`)),
            timeout,
          );
          video.addEventListener(
            type,
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      if (video.readyState < HTMLMediaElement.HAVE_METADATA) await once('loadedmetadata', 15_000);
      const duration = video.duration;
      const seeked = once('seeked', 15_000);
      video.currentTime = duration / 2;
      await seeked;
      return {
        src: video.getAttribute('src'),
        preload: video.getAttribute('preload'),
        controls: video.controls,
        duration,
        currentTime: video.currentTime,
        width: video.videoWidth,
      };
    });
    console.log(
      `[recordings-page] video: duration ${played.duration.toFixed(2)} s, seeked to ${played.currentTime.toFixed(2)} s, ${played.width} px wide`,
    );
    expect(played.src).toBe(`/api/recordings/${recordingId}/file`);
    expect(played.preload).toBe('metadata');
    expect(played.controls).toBe(true);
    expect(played.duration).toBeGreaterThan(1);
    expect(played.duration).toBeLessThan(30);
    expect(played.width).toBeGreaterThan(0);
    expect(Math.abs(played.currentTime - played.duration / 2)).toBeLessThan(0.5);
    await admin.screenshot(path.join(RESULTS_DIR, 'recordings-page-seeked.png'));
  });

  it('offers the download at the file’s URL, which the server sends as an attachment', async () => {
    const link = (await seen(admin)).find((n) => n.testid === 'recording-download');
    expect(link?.href).toBe(`/api/recordings/${recordingId}/file?download=1`);
    const response = await admin.evaluate(async (href) => {
      const r = await fetch(href);
      return {
        status: r.status,
        type: r.headers.get('content-type'),
        disposition: r.headers.get('content-disposition'),
        bytes: (await r.arrayBuffer()).byteLength,
      };
    }, link!.href!);
    expect(response.status).toBe(200);
    expect(response.type).toBe('video/mp4');
    expect(response.disposition).toMatch(/^attachment/);
    expect(response.bytes).toBe(listedSize);
  });

  it('lists the host’s original tracks, each with a SHA-256 that matches the file its link serves', async () => {
    const shown = await seen(admin);
    const rows = shown.filter((n) => n.testid === 'recording-track');
    const hashes = shown.filter((n) => n.testid === 'track-sha256');
    const links = shown.filter((n) => n.testid === 'track-download');
    // The host's camera and microphone at least.
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(hashes).toHaveLength(rows.length);
    expect(links).toHaveLength(rows.length);
    for (const row of rows) expect(row.text).toContain(E2E_HOST.name);
    for (const hash of hashes) {
      expect(hash.title).toMatch(/^[0-9a-f]{64}$/);
      expect(hash.text).toBe(`${hash.title!.slice(0, 12)}…`);
    }
    for (const link of links) {
      expect(link.href).toMatch(
        new RegExp(`^/api/recordings/${recordingId}/tracks/[0-9a-f-]{36}/file\\?download=1$`),
      );
    }
    const digest = await admin.evaluate(async (href) => {
      const bytes = await (await fetch(href)).arrayBuffer();
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      return [...hash].map((b) => b.toString(16).padStart(2, '0')).join('');
    }, links[0]!.href!);
    expect(digest).toBe(hashes[0]!.title);

    await admin.click('[data-testid="recording-tracks"] summary');
    await admin.locate('[data-testid="track-download"]').waitFor();
    await admin.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await admin.screenshot(path.join(RESULTS_DIR, 'recordings-page-tracks.png'));
  });

  it('explains an empty list and an unknown sitting', async () => {
    const empty = await server.createSitting({ title: 'Seduta senza registrazioni' });
    await admin.goto(`${server.url}/host/${empty.sitting.id}/recordings`);
    const none = await waitFor(admin, (n) => n.testid === 'recordings-empty');
    expect(none.text).toMatch(
      /^(Nessuna registrazione per questa seduta\.|No recordings for this sitting\.)$/,
    );

    await admin.goto(`${server.url}/host/00000000-0000-4000-8000-000000000000/recordings`);
    const missing = await waitFor(admin, (n) => n.testid === 'recordings-error');
    expect(missing.data.failure).toBe('not-found');
  });

  it('tells a host who may not download recordings who may', async () => {
    await host.goto(`${server.url}/host/${created.sitting.id}/recordings`);
    const refused = await waitFor(host, (n) => n.testid === 'recordings-error');
    expect(refused.data.failure).toBe('forbidden');
    expect(refused.text).toMatch(/amministratori|Administrators/);
    expect((await seen(host)).some((n) => n.testid === 'recording')).toBe(false);
    await host.screenshot(path.join(RESULTS_DIR, 'recordings-page-forbidden.png'));
  });
});
