import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { sittingClientContext } from '../context';
import { formatTime, t } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/**
 * What every page of a live sitting says about the connection, above everything else: the page
 * is reconnecting by itself ("Riconnessione…"), the server is restarting, or the host is gone
 * and the sitting waits for them until a given time. Nothing to click: it all recovers alone.
 * Uses the SittingClient from the context.
 */
@customElement('seduta-connection-status')
export class ConnectionStatusElement extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      :host([hidden]) {
        display: none;
      }
      .alert {
        margin-bottom: 0.75rem;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  #off: (() => void)[] = [];
  #subscribed: SittingClient | undefined;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.#off) off();
    this.#off = [];
    this.#subscribed = undefined;
  }

  override willUpdate(): void {
    if (this.client === this.#subscribed) return;
    for (const off of this.#off) off();
    this.#subscribed = this.client;
    const update = () => this.requestUpdate();
    this.#off = this.client
      ? [
          this.client.on('connection', update),
          this.client.on('sitting', update),
          this.client.on('phase', update),
        ]
      : [];
  }

  override render() {
    const client = this.client;
    const sitting = client?.sitting;
    if (!client || sitting?.status !== 'live') return nothing;
    if (client.serverRestarting) {
      return html`<div class="alert alert-warning" role="status" data-testid="server-restarting">
        <p>${t('connection.restarting')}</p>
      </div>`;
    }
    if (client.reconnecting) {
      return html`<div class="alert alert-warning" role="status" data-testid="reconnecting">
        <p>${t('connection.reconnecting')}</p>
      </div>`;
    }
    // The host's own page does not need to be told the host is away: it is the host coming back.
    const away = sitting.hostAway;
    if (away && client.phase === 'joined' && client.role !== 'host' && client.role !== 'admin') {
      return html`<div class="alert alert-warning" role="status" data-testid="host-away">
        <p>${t('connection.hostAway', { time: formatTime(away.deadline) })}</p>
      </div>`;
    }
    return nothing;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-connection-status': ConnectionStatusElement;
  }
}
