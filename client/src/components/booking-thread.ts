import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import {
  attachmentProblem,
  attachmentType,
  attachmentUrl,
  fileToBase64,
  formatSize,
  isFinal,
  linkPieces,
  MAX_ATTACHMENT_BYTES,
  postBookingMessage,
  refusalReason,
  type BookingMessage,
  type BookingState,
} from '../bookings-api';
import { errorText } from '../error-text';
import { formatDateTime, getLocale, t } from '../i18n';
import { sharedStyles } from '../styles/shared';
import { bookingStyles } from './booking-styles';
import { SedutaElement } from './seduta-element';

/** The words for a file the thread cannot take, or undefined when it can. */
export function attachmentProblemText(file: {
  name: string;
  type: string;
  size: number;
}): string | undefined {
  switch (attachmentProblem(file)) {
    case 'too_large':
      return t('booking.thread.tooLarge', { name: file.name, size: formatSize(MAX_ATTACHMENT_BYTES) });
    case 'type':
      return t('booking.thread.badType', { name: file.name });
    case 'empty':
      return t('booking.thread.emptyFile', { name: file.name });
    default:
      return undefined;
  }
}

/**
 * A booking's thread: the messages between requester and office (the system's notices of state
 * changes set apart), their attachments (name, size, SHA-256, download), which ones were unread,
 * and the compose form with files checked in the browser (size, type) before upload; the
 * server's answer is announced in a live region. Closed, with a notice, once the booking is final.
 *
 * @fires booking-message-sent - after the server stored a new message (the page reloads the thread).
 */
@customElement('seduta-booking-thread')
export class BookingThread extends SedutaElement {
  static override styles = [
    sharedStyles,
    bookingStyles,
    css`
      :host {
        display: block;
      }
      ol {
        list-style: none;
        margin: 0 0 1rem;
        padding: 0;
        display: grid;
        gap: 0.75rem;
      }
      .message {
        border: 1px solid var(--sd-color-border);
        border-radius: var(--sd-radius-small);
        padding: 0.75rem 1rem;
        background: var(--sd-color-surface);
      }
      .message.office {
        border-left: 4px solid var(--sd-color-primary);
      }
      .message.requester {
        border-left: 4px solid var(--sd-color-success);
      }
      .message.system {
        background: #eef1f4;
        border-style: dashed;
        font-size: 0.95rem;
      }
      .message.unread {
        box-shadow: 0 0 0 2px var(--sd-color-primary-soft);
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: baseline;
        margin-bottom: 0.35rem;
      }
      .text {
        margin: 0;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .attachments {
        margin-top: 0.6rem;
        display: grid;
        gap: 0.4rem;
      }
      .attachment {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        align-items: center;
      }
      .sha {
        font-family: ui-monospace, monospace;
        font-size: 0.8rem;
        color: var(--sd-color-muted);
        overflow-wrap: anywhere;
      }
      form {
        display: grid;
        gap: 0.75rem;
        border-top: 1px solid var(--sd-color-border);
        padding-top: 1rem;
      }
      .chosen {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.3rem;
      }
    `,
  ];

  @property() bookingId = '';
  /** A public requester's key, when they follow their booking without an account. */
  @property() key = '';
  @property() bookingState: BookingState = 'open';
  @property({ attribute: false }) messages: BookingMessage[] = [];
  /** Ids of the messages that were unread when the page opened (marked for the reader). */
  @property({ attribute: false }) unreadIds: ReadonlySet<string> = new Set();

  @state() private files: File[] = [];
  @state() private fileErrors: string[] = [];
  @state() private textError = '';
  @state() private busy = false;
  @state() private outcome = '';
  @state() private error = '';

  override render() {
    const closed = isFinal(this.bookingState);
    return html`<section class="card" aria-labelledby="thread-title" data-testid="booking-thread">
      <h2 id="thread-title">${t('booking.thread.title')}</h2>
      ${
        this.messages.length === 0
          ? html`<p class="muted">${t('booking.thread.empty')}</p>`
          : html`<ol>
              ${repeat(
                this.messages,
                (m) => m.id,
                (m) => this.#renderMessage(m),
              )}
            </ol>`
      }
      <div role="status" aria-live="polite" data-testid="thread-outcome">
        ${this.outcome ? html`<div class="alert alert-success"><p>${this.outcome}</p></div>` : nothing}
      </div>
      ${
        closed
          ? html`<div class="alert alert-info" data-testid="thread-closed">
              <p>${t('booking.thread.closed', { state: t(`booking.state.${this.bookingState}`) })}</p>
            </div>`
          : this.#renderCompose()
      }
    </section>`;
  }

  #renderMessage(m: BookingMessage) {
    const unread = this.unreadIds.has(m.id);
    // Rendered inside one line of the template: the paragraph keeps white space (pre-wrap).
    const text = linkPieces(m.text, location.origin, this.key || undefined).map((piece) =>
      'href' in piece ? html`<a href=${piece.href} data-testid="thread-link">${piece.text}</a>` : piece.text,
    );
    const who =
      m.author.kind === 'system'
        ? t('booking.thread.system')
        : `${m.author.name} (${m.author.kind === 'office' ? t('booking.thread.office') : t('booking.thread.requester')})`;
    return html`<li
      class="message ${m.author.kind} ${unread ? 'unread' : ''}"
      data-testid="thread-message"
      data-kind=${m.author.kind}
    >
      <div class="meta">
        <strong>${who}</strong>
        <span class="muted">${formatDateTime(m.at)}</span>
        ${unread ? html`<span class="count">${t('booking.thread.unread')}</span>` : nothing}
      </div>
      ${m.subject ? html`<p class="text"><strong>${m.subject}</strong></p>` : nothing}
      <p class="text">${text}</p>
      ${
        m.attachments.length > 0
          ? html`<div class="attachments" role="group" aria-label=${t('booking.thread.attachments')}>
              ${m.attachments.map(
                (a) =>
                  html`<div class="attachment" data-testid="thread-attachment">
                    <a
                      class="btn btn-secondary"
                      href=${attachmentUrl(this.bookingId, a.id, this.key || undefined)}
                      download=${a.name}
                      aria-label=${t('booking.thread.downloadLabel', { name: a.name })}
                      >${t('booking.thread.download')}</a
                    >
                    <span>${a.name}</span>
                    <span class="muted">${formatSize(a.size, getLocale() === 'it' ? 'it-IT' : 'en-GB')}</span>
                    <span class="sha" title="SHA-256">SHA-256 ${a.sha256}</span>
                  </div>`,
              )}
            </div>`
          : nothing
      }
    </li>`;
  }

  #renderCompose() {
    const describedFiles = ['files-hint', ...(this.fileErrors.length > 0 ? ['files-error'] : [])].join(' ');
    return html`<form novalidate @submit=${this.#onSend} data-testid="thread-compose">
      <h3 class="visually-hidden">${t('booking.thread.compose')}</h3>
      <div class="field">
        <label for="msg-subject">${t('booking.thread.subject')}</label>
        <input id="msg-subject" name="subject" type="text" maxlength="200" data-testid="thread-subject" />
      </div>
      <div class="field">
        <label for="msg-text">${t('booking.thread.text')}</label>
        <textarea
          id="msg-text"
          name="text"
          rows="4"
          maxlength="10000"
          required
          aria-invalid=${this.textError ? 'true' : 'false'}
          aria-describedby=${this.textError ? 'msg-text-error' : nothing}
          data-testid="thread-text"
          @input=${() => (this.textError = '')}
        ></textarea>
        ${this.textError ? html`<p class="field-error" id="msg-text-error">${this.textError}</p>` : nothing}
      </div>
      <div class="field">
        <label for="msg-files">${t('booking.thread.files')}</label>
        <input
          id="msg-files"
          type="file"
          multiple
          aria-describedby=${describedFiles}
          aria-invalid=${this.fileErrors.length > 0 ? 'true' : 'false'}
          data-testid="thread-files"
          @change=${this.#onFiles}
        />
        <p class="hint" id="files-hint">
          ${t('booking.thread.filesHint', { size: formatSize(MAX_ATTACHMENT_BYTES) })}
        </p>
        ${
          this.fileErrors.length > 0
            ? html`<div class="field-error" id="files-error" role="alert" data-testid="thread-file-error">
                ${this.fileErrors.map((e) => html`<p class="field-error">${e}</p>`)}
              </div>`
            : nothing
        }
        ${
          this.files.length > 0
            ? html`<ul class="chosen">
                ${this.files.map(
                  (f, i) =>
                    html`<li class="row">
                      <span>${f.name}</span>
                      <span class="muted">${formatSize(f.size)}</span>
                      <button
                        class="btn btn-secondary"
                        type="button"
                        aria-label=${t('booking.thread.removeLabel', { name: f.name })}
                        @click=${() => (this.files = this.files.filter((_, j) => j !== i))}
                      >
                        ${t('booking.thread.remove')}
                      </button>
                    </li>`,
                )}
              </ul>`
            : nothing
        }
      </div>
      ${
        this.error
          ? html`<div class="alert alert-error" role="alert" data-testid="thread-error">
              <p>${this.error}</p>
            </div>`
          : nothing
      }
      <div class="row">
        <button class="btn btn-primary" type="submit" ?disabled=${this.busy} data-testid="thread-send">
          ${this.busy ? t('booking.thread.sending') : t('booking.thread.send')}
        </button>
      </div>
    </form>`;
  }

  /** Files are checked as they are chosen: the refused ones are named and left out. */
  #onFiles(event: Event): void {
    const input = event.target as HTMLInputElement;
    const chosen = [...(input.files ?? [])];
    const errors: string[] = [];
    const accepted: File[] = [];
    for (const file of chosen) {
      const problem = attachmentProblemText(file);
      if (problem) errors.push(problem);
      else accepted.push(file);
    }
    this.fileErrors = errors;
    this.files = [...this.files, ...accepted];
    input.value = '';
  }

  async #onSend(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const text = String(data.get('text') ?? '').trim();
    const subject = String(data.get('subject') ?? '').trim();
    this.outcome = '';
    this.error = '';
    if (!text) {
      this.textError = t('booking.thread.textRequired');
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#msg-text')?.focus();
      return;
    }
    this.busy = true;
    try {
      const attachments = await Promise.all(
        this.files.map(async (f) => ({
          name: f.name,
          type: attachmentType(f),
          dataBase64: await fileToBase64(f),
        })),
      );
      await postBookingMessage(
        this.bookingId,
        { text, ...(subject ? { subject } : {}), ...(attachments.length > 0 ? { attachments } : {}) },
        this.key || undefined,
      );
      form.reset();
      this.files = [];
      this.fileErrors = [];
      this.outcome = t('booking.thread.sent');
      this.dispatchEvent(new CustomEvent('booking-message-sent', { bubbles: true, composed: true }));
    } catch (error) {
      const reason = refusalReason(error);
      const message = error instanceof Error ? error.message : String(error);
      if (reason === 'attachment_too_large' || reason === 'attachment_type') this.fileErrors = [message];
      else this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-booking-thread': BookingThread;
  }
}
