import { css, html, type PropertyValues } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { consume } from '@lit/context';
import { CHAT_MAX_CHARS, type ChatMessage } from '@seduta/server/protocol';
import { ChatRateLimitedError } from '../chat-log';
import { SittingClientController, sittingClientContext } from '../context';
import { errorText } from '../error-text';
import { getLocale, t } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/** The counter turns to a warning this close to the limit. */
const NEAR_LIMIT = 200;
/** Scrolled this close to the bottom, the list follows new lines. */
const FOLLOW_PX = 48;

/**
 * The sitting's chat, for everyone (operators without camera or microphone too): the notice that
 * everyone reads it, the lines (plain text, rendered as text nodes — never as markup), the box to
 * write one (capped, with a counter), the rate-limit wait, and for the host a delete button per
 * line. Uses the SittingClient from the context.
 */
@customElement('seduta-chat-panel')
export class ChatPanel extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .card {
        display: flex;
        flex-direction: column;
        gap: 0.75rem;
        padding: 1rem 1.25rem;
      }
      .card h2 {
        margin: 0;
      }
      .notice {
        margin: 0;
        padding: 0.4rem 0.6rem;
        border-radius: var(--sd-radius-small);
        background: var(--sd-color-warning-soft);
        color: var(--sd-color-warning);
        font-size: 0.85rem;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      /* The chat's live region (role log, polite): scrolls, and takes the focus to scroll by keyboard. */
      .log {
        min-height: 6rem;
        max-height: 22rem;
        overflow-y: auto;
        overscroll-behavior: contain;
      }
      .log.none {
        min-height: 0;
      }
      li {
        padding: 0.45rem 0;
        border-top: 1px solid var(--sd-color-border);
      }
      li:first-child {
        border-top: 0;
      }
      .meta {
        display: flex;
        align-items: baseline;
        gap: 0.5rem;
        font-size: 0.8rem;
        color: var(--sd-color-muted);
      }
      .name {
        font-weight: 650;
        color: var(--sd-color-text);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .staff .name {
        color: var(--sd-color-primary);
      }
      .meta .spacer {
        flex: 1;
      }
      .text {
        margin: 0.1rem 0 0;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        font-size: 0.95rem;
      }
      .delete {
        min-height: 1.75rem;
        padding: 0.1rem 0.5rem;
        font-size: 0.8rem;
      }
      .empty {
        margin: 0;
        color: var(--sd-color-muted);
        font-size: 0.9rem;
      }
      form {
        display: grid;
        gap: 0.4rem;
      }
      textarea {
        width: 100%;
        min-height: 3.5rem;
        resize: vertical;
        padding: 0.5rem 0.65rem;
        border: 1px solid var(--sd-color-border);
        border-radius: var(--sd-radius-small);
        font: inherit;
        color: inherit;
        background: var(--sd-color-surface);
      }
      textarea:focus-visible {
        border-color: var(--sd-color-primary);
        box-shadow: var(--sd-focus-ring);
      }
      .row {
        display: flex;
        align-items: center;
        gap: 0.75rem;
      }
      .counter {
        flex: 1;
        color: var(--sd-color-muted);
        font-size: 0.8rem;
      }
      .counter.near {
        color: var(--sd-color-warning);
        font-weight: 600;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  @state() private draft = '';
  @state() private sending = false;
  @state() private error = '';
  /** While rate-limited: how long the server said to wait, and until when (ms since epoch). */
  @state() private waitS = 0;
  #retryAt = 0;

  @query('.log') private list?: HTMLDivElement;
  @query('textarea') private input?: HTMLTextAreaElement;

  protected readonly clientController = new SittingClientController(this, () => this.client);
  #ticker: ReturnType<typeof setInterval> | undefined;
  #follow = true;
  #shown = 0;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  override render() {
    const messages = this.client?.chat ?? [];
    const staff = this.client?.role === 'host' || this.client?.role === 'admin';
    const waitS = this.waitS;
    const length = this.draft.length;
    return html`<section class="card" aria-labelledby="chat-heading" data-testid="chat-panel">
      <h2 id="chat-heading">${t('chat.title')}</h2>
      <p class="notice" data-testid="chat-notice">${t('chat.notice')}</p>
      <div
        class=${messages.length === 0 ? 'log none' : 'log'}
        role="log"
        aria-labelledby="chat-heading"
        tabindex="0"
        data-testid="chat-messages"
        @scroll=${this.#onScroll}
      >
        <ol>
          ${repeat(
            messages,
            (m) => m.id,
            (m) => this.#renderMessage(m, staff),
          )}
        </ol>
      </div>
      ${messages.length === 0 ? html`<p class="empty">${t('chat.empty')}</p>` : null}
      ${
        waitS > 0
          ? html`<div class="alert alert-warning" role="alert" data-testid="chat-rate-limited">
              <p>${t('chat.rateLimited', { seconds: waitS })}</p>
            </div>`
          : null
      }
      ${
        this.error
          ? html`<div class="alert alert-error" role="alert" data-testid="chat-error">
              <p>${this.error}</p>
            </div>`
          : null
      }
      <form @submit=${this.#onSubmit} novalidate>
        <label class="visually-hidden" for="chat-input">${t('chat.label')}</label>
        <textarea
          id="chat-input"
          data-testid="chat-input"
          rows="2"
          maxlength=${CHAT_MAX_CHARS}
          placeholder=${t('chat.label')}
          aria-describedby="chat-counter chat-hint"
          .value=${this.draft}
          @input=${this.#onInput}
          @keydown=${this.#onKeyDown}
        ></textarea>
        <span class="visually-hidden" id="chat-hint">${t('chat.hint')}</span>
        <div class="row">
          <span
            id="chat-counter"
            class=${length > CHAT_MAX_CHARS - NEAR_LIMIT ? 'counter near' : 'counter'}
            data-testid="chat-counter"
            >${t('chat.counter', { count: length, max: CHAT_MAX_CHARS })}</span
          >
          <button
            class="btn btn-primary"
            type="submit"
            data-testid="chat-send"
            ?disabled=${this.sending || waitS > 0 || this.draft.trim() === ''}
          >
            ${t('chat.send')}
          </button>
        </div>
      </form>
    </section>`;
  }

  #renderMessage(m: ChatMessage, staff: boolean) {
    const fromStaff = m.role === 'host' || m.role === 'admin';
    // m.name and m.text are bound as text: whatever they contain is shown, never interpreted.
    return html`<li data-testid="chat-message" data-id=${m.id} class=${fromStaff ? 'staff' : ''}>
      <div class="meta">
        <span class="name" data-testid="chat-name">${m.name}</span>
        ${fromStaff ? html`<span>${t(`role.${m.role}`)}</span>` : null}
        <time datetime=${m.at}>${formatTime(m.at)}</time>
        <span class="spacer"></span>
        ${
          staff
            ? html`<button
                class="btn btn-secondary delete"
                type="button"
                data-testid="chat-delete"
                aria-label=${t('chat.deleteLabel', { name: m.name })}
                @click=${() => this.#delete(m.id)}
              >
                ${t('chat.delete')}
              </button>`
            : null
        }
      </div>
      <p class="text" data-testid="chat-text">${m.text}</p>
    </li>`;
  }

  protected override willUpdate(_changed: PropertyValues<this>): void {
    const list = this.list;
    if (list) this.#follow = list.scrollHeight - list.scrollTop - list.clientHeight < FOLLOW_PX;
  }

  protected override updated(_changed: PropertyValues<this>): void {
    const count = this.client?.chat.length ?? 0;
    if (count > this.#shown && this.#follow && this.list) this.list.scrollTop = this.list.scrollHeight;
    this.#shown = count;
  }

  #onScroll(): void {
    const list = this.list;
    if (list) this.#follow = list.scrollHeight - list.scrollTop - list.clientHeight < FOLLOW_PX;
  }

  #onInput(event: Event): void {
    this.draft = (event.target as HTMLTextAreaElement).value;
  }

  #onKeyDown(event: KeyboardEvent): void {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    void this.#send();
  }

  #onSubmit(event: Event): void {
    event.preventDefault();
    void this.#send();
  }

  async #send(): Promise<void> {
    const client = this.client;
    const text = this.draft;
    if (!client || this.sending || text.trim() === '' || this.waitS > 0) return;
    this.sending = true;
    this.error = '';
    try {
      await client.sendChat(text);
      // Whatever was typed while the line was on its way stays in the box.
      if (this.draft === text) this.draft = '';
      this.#follow = true;
    } catch (error) {
      if (error instanceof ChatRateLimitedError) this.#waitFor(error.retryAfterS);
      else this.error = errorText(error);
    } finally {
      this.sending = false;
      await this.updateComplete;
      this.input?.focus();
    }
  }

  async #delete(messageId: string): Promise<void> {
    this.error = '';
    try {
      await this.client?.deleteChat(messageId);
      // The line (and the focused button) is gone: keep the keyboard user in the panel.
      this.input?.focus();
    } catch (error) {
      this.error = errorText(error);
    }
  }

  /**
   * Shows the wait once (a live countdown would be re-announced every second) and keeps "send"
   * disabled until it is over.
   */
  #waitFor(seconds: number): void {
    this.waitS = seconds;
    this.#retryAt = Date.now() + seconds * 1000;
    clearInterval(this.#ticker);
    this.#ticker = setInterval(() => {
      if (Date.now() < this.#retryAt) return;
      this.waitS = 0;
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }, 250);
  }
}

function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(getLocale() === 'it' ? 'it-IT' : 'en-GB', {
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-chat-panel': ChatPanel;
  }
}
