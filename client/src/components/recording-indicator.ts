import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { sittingClientContext } from '../context';
import { t } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { reducedMotionStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/**
 * The persistent recording indicator everyone sees: a red dot with "REC" and "Registrazione in
 * corso" while the sitting is recorded ("in pausa" while paused), announced to screen readers.
 * Uses the SittingClient from the context.
 */
@customElement('seduta-recording-indicator')
export class RecordingIndicatorElement extends SedutaElement {
  static override styles = css`
    ${reducedMotionStyles}
    :host {
      display: inline-flex;
    }
    .rec {
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
      padding: 0.2rem 0.65rem;
      border-radius: 999px;
      font-size: 0.8rem;
      font-weight: 700;
      color: #b3261e;
      background: #fdecea;
      border: 1px solid #efc0bd;
    }
    .starting {
      font-weight: 600;
    }
    .rec.paused {
      color: var(--sd-color-muted, #555);
      background: #eef1f4;
      border-color: var(--sd-color-border, #ccc);
    }
    .dot {
      width: 0.6rem;
      height: 0.6rem;
      border-radius: 50%;
      background: currentColor;
    }
    .rec:not(.paused) .dot {
      animation: pulse 1.6s ease-in-out infinite;
    }
    @keyframes pulse {
      50% {
        opacity: 0.25;
      }
    }
  `;

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  #off: (() => void) | undefined;
  #subscribed: SittingClient | undefined;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#off?.();
    this.#off = undefined;
    this.#subscribed = undefined;
  }

  override willUpdate(): void {
    if (this.client === this.#subscribed) return;
    this.#off?.();
    this.#subscribed = this.client;
    this.#off = this.client?.on('recording', () => this.requestUpdate());
  }

  override render() {
    const recording = this.client?.recording;
    const on = recording?.state === 'recording' || recording?.state === 'paused';
    return html`<span role="status" aria-live="polite" data-testid="recording-indicator">
      ${
        on
          ? html`<span class="rec ${recording.state === 'paused' ? 'paused' : ''}">
              <span class="dot" aria-hidden="true"></span>
              <span aria-hidden="true">${t('recording.rec')}</span>
              <span>${t(recording.state === 'paused' ? 'recording.paused' : 'recording.live')}</span>
              ${recording.degraded ? html`<span>(${t('recording.degraded')})</span>` : nothing}
            </span>`
          : recording?.state === 'starting'
            ? html`<span class="starting">${t('recording.state.starting')}</span>`
            : nothing
      }
    </span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-recording-indicator': RecordingIndicatorElement;
  }
}
