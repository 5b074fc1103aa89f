/**
 * The cast of a public sitting in the e2e tests (issues 3 and 5): the e2e server with one sitting,
 * a host page in its own Chromium, and three operator pages: two in Chromium and the third in
 * Firefox. Each operator has a browser of its own: a sitting's pass is a cookie, and one browser
 * holds one pass per sitting (one live participant per identity: a second tab replaces the first). Also the inbound streams the web client reports, as both tests read them.
 */
import { startE2eApp, type CreatedSitting, type E2eApp } from './app';
import { launchChromium, launchFirefox, type TestBrowser, type TestPage } from './browsers';

export interface SittingCast {
  server: E2eApp;
  created: CreatedSitting;
  host: TestPage;
  /** Two Chromium pages, then the Firefox one. */
  operators: [TestPage, TestPage, TestPage];
  /**
   * The first operator's browser, for more pages (a late joiner). A page opened here takes this
   * browser's pass for the sitting: join it only after the pages already in the sitting have joined.
   */
  operatorChromium: TestBrowser;
  /** Closes the browsers, then the server; safe after a failed start. */
  close(): Promise<void>;
}

/** Starts the server, creates the sitting and opens the four pages (none navigated yet). */
export async function startSittingCast(
  sitting: Parameters<E2eApp['createSitting']>[0],
): Promise<SittingCast> {
  const browsers: TestBrowser[] = [];
  let server: E2eApp | undefined;
  const close = async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
  };
  try {
    server = await startE2eApp();
    const created = await server.createSitting(sitting);
    const launched = await Promise.allSettled([
      launchChromium(),
      launchChromium(),
      launchChromium(),
      launchFirefox(),
    ]);
    for (const r of launched) if (r.status === 'fulfilled') browsers.push(r.value);
    const failed = launched.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [hostBrowser, operatorChromium, secondChromium, operatorFirefox] = browsers as [
      TestBrowser,
      TestBrowser,
      TestBrowser,
      TestBrowser,
    ];
    const host = await hostBrowser.newPage();
    const operators: [TestPage, TestPage, TestPage] = [
      await operatorChromium.newPage(),
      await secondChromium.newPage(),
      await operatorFirefox.newPage(),
    ];
    return { server, created, host, operators, operatorChromium, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** One inbound stream as the web client names it (`window.__sedutaInbound()`). */
export interface InboundStream {
  kind: 'audio' | 'video';
  ssrc: number;
  source: 'camera' | 'microphone' | 'screen';
  participantId: string;
  framesDecoded: number;
  packetsReceived: number;
}
