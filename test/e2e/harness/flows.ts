/**
 * Steps several end-to-end tests take the same way, as a person does them: the host signs in,
 * opens the console and starts (or resumes) the sitting; an operator opens the platform's link and
 * joins; anyone types a chat line and sends it.
 */
import { E2E_HOST, type CreatedSitting, type E2eApp } from './app';
import type { TestPage } from './browsers';
import { signInAsHost } from './sign-in';
import { waitFor } from './testids';

/** Signs the host in, opens the console and presses "start"; resolves once the camera is previewed. */
export async function hostStartsSitting(
  host: TestPage,
  server: E2eApp,
  created: CreatedSitting,
): Promise<void> {
  await signInAsHost(host, server.url, E2E_HOST);
  await host.goto(created.hostUrl);
  await waitFor(host, (n) => n.testid === 'start' && !n.disabled);
  await host.click('[data-testid="start"]');
  await waitFor(host, (n) => n.testid === 'preview-camera', 20_000);
}

/** Opens an operator's link (a fresh join token) and joins; resolves once the hand button works. */
export async function operatorJoins(
  page: TestPage,
  server: E2eApp,
  sittingId: string,
  name: string,
): Promise<void> {
  await page.goto(await server.joinUrl(sittingId, name));
  await waitFor(page, (n) => n.testid === 'join' && !n.disabled, 20_000);
  await page.click('[data-testid="join"]');
  await waitFor(page, (n) => n.testid === 'hand-toggle' && !n.disabled, 20_000);
}

/** Types `text` into the chat box (as an input event, like typing) and presses "send". */
export async function sendChat(page: TestPage, text: string): Promise<void> {
  await page.evaluate((value: string) => {
    const find = (root: Document | ShadowRoot): HTMLTextAreaElement | null => {
      for (const el of root.querySelectorAll('*')) {
        if (el.getAttribute('data-testid') === 'chat-input') return el as HTMLTextAreaElement;
        const inner = el.shadowRoot ? find(el.shadowRoot) : null;
        if (inner) return inner;
      }
      return null;
    };
    const input = find(document);
    if (!input) throw new Error('no chat input on the page');
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  }, text);
  await page.click('[data-testid="chat-send"]');
}
