import { css, html, type PropertyValues } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { SittingClientController, sittingClientContext } from '../context';
import { t, type MessageKey } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/** Detail of `seduta-floor-failed`: the floor could not be taken (devices refused or failed). */
export interface FloorFailedDetail {
  error: unknown;
}

/**
 * The page's explanation before the browser's own camera/microphone prompt: once the host gives
 * this operator the floor, a modal dialog says what will happen and who will see and hear them,
 * with "Allow and speak" (only then are the granted devices opened) and "Not now" (the floor is
 * given back; Escape does the same). The focus starts on "Not now", the safe answer: opening the
 * camera and microphone takes a deliberate choice. Uses the SittingClient from the context.
 *
 * @fires seduta-floor-failed - {@link FloorFailedDetail}, when opening or publishing the devices failed
 */
@customElement('seduta-floor-consent')
export class FloorConsent extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      dialog {
        max-width: 30rem;
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
        font-size: 1.2rem;
      }
      p {
        margin: 0 0 1.25rem;
        color: var(--sd-color-muted);
      }
      .actions {
        display: flex;
        justify-content: flex-end;
        flex-wrap: wrap;
        gap: 0.6rem;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  @state() private busy = false;

  @query('dialog') private dialog?: HTMLDialogElement;

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const floor = this.client?.floor;
    const grants = this.client?.hand.grants;
    const body: MessageKey =
      grants?.audio && grants.video
        ? 'consent.bodyBoth'
        : grants?.video
          ? 'consent.bodyVideo'
          : 'consent.bodyAudio';
    const starting = floor === 'starting' || this.busy;
    return html`<dialog
      aria-labelledby="consent-title"
      aria-describedby="consent-body"
      data-testid="floor-consent"
      @cancel=${this.#onCancel}
    >
      <h2 id="consent-title">${t('consent.title')}</h2>
      <p id="consent-body">${t(body)}</p>
      <div class="actions">
        <button
          class="btn btn-secondary"
          type="button"
          data-testid="consent-decline"
          autofocus
          ?disabled=${starting}
          @click=${this.#decline}
        >
          ${t('consent.notNow')}
        </button>
        <button
          class="btn btn-primary"
          type="button"
          data-testid="consent-allow"
          ?disabled=${starting}
          @click=${this.#allow}
        >
          ${starting ? t('consent.starting') : t('consent.allow')}
        </button>
      </div>
    </dialog>`;
  }

  override updated(_changed: PropertyValues<this>): void {
    const dialog = this.dialog;
    if (!dialog) return;
    const floor = this.client?.floor;
    const open = floor === 'offered' || floor === 'starting';
    if (open && !dialog.open) dialog.showModal();
    else if (!open && dialog.open) dialog.close();
  }

  #onCancel(event: Event): void {
    // Escape means "not now"; the dialog closes when the floor is given back.
    event.preventDefault();
    if (!this.busy && this.client?.floor === 'offered') void this.#decline();
  }

  #allow(): Promise<void> {
    return this.#run((client) => client.acceptFloor());
  }

  #decline(): Promise<void> {
    return this.#run((client) => client.declineFloor());
  }

  async #run(work: (client: SittingClient) => Promise<void>): Promise<void> {
    const client = this.client;
    if (!client || this.busy) return;
    this.busy = true;
    try {
      await work(client);
    } catch (error) {
      this.dispatchEvent(
        new CustomEvent<FloorFailedDetail>('seduta-floor-failed', {
          detail: { error },
          bubbles: true,
          composed: true,
        }),
      );
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-floor-consent': FloorConsent;
  }
}
