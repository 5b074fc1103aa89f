import { css, html } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { t } from '../i18n';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/** What one confirmation asks. */
export interface ConfirmRequest {
  title: string;
  body: string;
  /** The confirming button's words (say what happens: "Termina la seduta", not "OK"). */
  confirm: string;
  /** The confirming button is red: the action cannot be undone. */
  destructive?: boolean;
}

/** The element focused now, looking through open shadow roots (the button that opened a dialog). */
export function deepActiveElement(root: Document | ShadowRoot = document): HTMLElement | undefined {
  let active = root.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active instanceof HTMLElement ? active : undefined;
}

/**
 * The one confirmation of ending actions (end the sitting, stop the recording, take the floor,
 * remove a participant): a modal `<dialog>`, so focus moves in (to "Cancel", the safe answer),
 * stays in, and Escape cancels; when it closes, focus goes back to the control that opened it.
 * `ask()` resolves true only when the confirming button was pressed. `testid` names the dialog;
 * `confirm-testid` its confirming button (stable for the end-to-end tests).
 */
@customElement('seduta-confirm-dialog')
export class ConfirmDialog extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      dialog {
        max-width: 28rem;
        border: 0;
        border-radius: var(--sd-radius);
        padding: 1.5rem;
        box-shadow: 0 20px 50px rgb(0 0 0 / 30%);
      }
      dialog::backdrop {
        background: rgb(13 20 28 / 55%);
      }
      h2 {
        margin: 0 0 0.5rem;
        font-size: 1.15rem;
      }
      p {
        margin: 0 0 1.25rem;
        color: var(--sd-color-muted);
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        justify-content: flex-end;
        gap: 0.6rem;
      }
    `,
  ];

  @property() testid = 'confirm-dialog';
  @property({ attribute: 'confirm-testid' }) confirmTestid = 'confirm';

  @state() private request?: ConfirmRequest;

  @query('dialog') private dialog?: HTMLDialogElement;

  #answer?: (ok: boolean) => void;
  #returnFocus?: HTMLElement;

  override render() {
    const r = this.request;
    return html`<dialog
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      data-testid=${this.testid}
      @close=${this.#onClose}
    >
      <h2 id="confirm-title">${r?.title ?? ''}</h2>
      <p id="confirm-body">${r?.body ?? ''}</p>
      <div class="actions">
        <button
          class="btn btn-secondary"
          type="button"
          autofocus
          data-testid="confirm-cancel"
          @click=${() => this.#close(false)}
        >
          ${t('confirm.cancel')}
        </button>
        <button
          class="btn ${r?.destructive ? 'btn-danger' : 'btn-primary'}"
          type="button"
          data-testid=${this.confirmTestid}
          @click=${() => this.#close(true)}
        >
          ${r?.confirm ?? ''}
        </button>
      </div>
    </dialog>`;
  }

  /** Opens the dialog; true when confirmed, false when cancelled (button, Escape, or a new ask). */
  async ask(request: ConfirmRequest): Promise<boolean> {
    this.#answer?.(false);
    this.#returnFocus = deepActiveElement();
    this.request = request;
    await this.updateComplete;
    const dialog = this.dialog;
    if (!dialog) return false;
    if (!dialog.open) dialog.showModal();
    return new Promise<boolean>((resolve) => (this.#answer = resolve));
  }

  #close(ok: boolean): void {
    const answer = this.#answer;
    this.#answer = undefined;
    this.dialog?.close();
    answer?.(ok);
  }

  /** Escape, or any close: an unanswered question is a "no"; focus returns where it was. */
  #onClose(): void {
    const answer = this.#answer;
    this.#answer = undefined;
    answer?.(false);
    const back = this.#returnFocus;
    this.#returnFocus = undefined;
    if (back?.isConnected) back.focus();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-confirm-dialog': ConfirmDialog;
  }
}
