import { css, html, svg } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { SittingClientController, sittingClientContext } from '../context';
import { errorText } from '../error-text';
import { t, type MessageKey } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import type { FloorFailedDetail } from './floor-consent';
import { SedutaElement } from './seduta-element';
import './floor-consent';
import './speaker-controls';

/** What to tell an operator whose hand went down, by the server's reason. */
const OUTCOME: Record<string, MessageKey> = {
  denied: 'hand.denied',
  revoked: 'hand.revoked',
  kicked: 'hand.kicked',
  ended: 'hand.kicked',
};

/** A raised hand, drawn (emoji fonts are missing on some systems); after Lucide's "hand" (ISC). */
const HAND_ICON = svg`<g
  fill="none"
  stroke="currentColor"
  stroke-width="2"
  stroke-linecap="round"
  stroke-linejoin="round"
>
  <path d="M18 11V6a2 2 0 0 0-4 0" />
  <path d="M14 10V4a2 2 0 0 0-4 0v2" />
  <path d="M10 10.5V6a2 2 0 0 0-4 0v8" />
  <path d="M18 8a2 2 0 1 1 4 0v6a8 8 0 0 1-8 8h-2c-2.8 0-4.5-.86-5.99-2.34l-3.6-3.6a2 2 0 0 1 2.83-2.82L7 15" />
</g>`;

/**
 * An operator's way to the floor: the "raise hand" toggle and where the request stands (operators
 * are not told their place in the queue), the host's answer, the consent dialog when the floor is
 * given, and the speaking controls. Uses the SittingClient from the context.
 */
@customElement('seduta-hand-controls')
export class HandControls extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .card {
        padding: 1rem 1.25rem;
      }
      .status {
        margin: 0 0 0.75rem;
        font-size: 0.95rem;
      }
      .status.raised {
        color: var(--sd-color-primary-hover);
        font-weight: 600;
      }
      .status.outcome {
        padding: 0.5rem 0.75rem;
        border-radius: var(--sd-radius-small);
        background: var(--sd-color-warning-soft);
        color: var(--sd-color-warning);
      }
      .icon {
        width: 1.35rem;
        height: 1.35rem;
      }
      .hand[aria-pressed='true'] {
        background: var(--sd-color-primary-soft);
        border-color: var(--sd-color-primary);
      }
      .alert {
        margin-bottom: 0.75rem;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  @state() private busy = false;
  @state() private error = '';

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const client = this.client;
    if (!client || client.role !== 'operator') return null;
    const floor = client.floor;
    return html`<section
      class="card"
      aria-label=${t('hand.raise')}
      data-testid="hand-controls"
      @seduta-floor-failed=${this.#onFloorFailed}
    >
      ${
        this.error
          ? html`<div class="alert alert-error" role="alert" data-testid="hand-error">
              <p>${this.error}</p>
            </div>`
          : null
      }
      ${floor === 'speaking' ? html`<seduta-speaker-controls></seduta-speaker-controls>` : this.#renderHand()}
      <seduta-floor-consent></seduta-floor-consent>
    </section>`;
  }

  #renderHand() {
    const client = this.client!;
    const raised = client.floor === 'raised';
    const outcome = client.hand.reason ? OUTCOME[client.hand.reason] : undefined;
    const shownOutcome = !raised && client.floor === 'none' ? outcome : undefined;
    const offered = client.floor === 'offered' || client.floor === 'starting';
    const status = raised
      ? t('hand.raised')
      : offered
        ? t('consent.title')
        : shownOutcome
          ? t(shownOutcome)
          : t('hand.hint');
    const kind = raised ? 'status raised' : shownOutcome ? 'status outcome' : 'status';
    return html`<p class=${kind} role="status" data-testid="hand-status">${status}</p>
      <button
        class="btn btn-secondary btn-large hand"
        type="button"
        data-testid="hand-toggle"
        aria-pressed=${raised ? 'true' : 'false'}
        aria-disabled=${this.busy || offered ? 'true' : 'false'}
        @click=${this.#toggle}
      >
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">${HAND_ICON}</svg>
        ${raised ? t('hand.lower') : t('hand.raise')}
      </button>`;
  }

  /**
   * The button is never `disabled` while it is waited on (or while the floor is offered): a disabled
   * button drops the keyboard focus to the page's start; `aria-disabled` says it, and this ignores it.
   */
  async #toggle(): Promise<void> {
    const client = this.client;
    if (!client || this.busy || (client.floor !== 'none' && client.floor !== 'raised')) return;
    this.busy = true;
    this.error = '';
    try {
      await (client.floor === 'raised' ? client.lowerHand() : client.raiseHand());
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  #onFloorFailed(event: CustomEvent<FloorFailedDetail>): void {
    const { error } = event.detail;
    // The browser refused the devices (or has none): the floor was given back; say so plainly.
    this.error =
      error instanceof DOMException
        ? t('hand.noMedia', { message: error.message || error.name })
        : errorText(error);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-hand-controls': HandControls;
  }
}
