import { css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { SittingStatus } from '@seduta/server/protocol';
import { t } from '../i18n';
import { reducedMotionStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/**
 * The sitting's status as a coloured pill ("In corso" pulses while live).
 */
@customElement('seduta-status-badge')
export class StatusBadge extends SedutaElement {
  static override styles = css`
    ${reducedMotionStyles}
    :host {
      display: inline-flex;
    }
    .badge {
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
      padding: 0.2rem 0.65rem;
      border-radius: 999px;
      font-size: 0.8rem;
      font-weight: 700;
      letter-spacing: 0.02em;
      text-transform: uppercase;
      white-space: nowrap;
      border: 1px solid;
    }
    .dot {
      width: 0.5rem;
      height: 0.5rem;
      border-radius: 50%;
      background: currentColor;
    }
    .scheduled {
      color: var(--sd-color-warning);
      background: var(--sd-color-warning-soft);
      border-color: #ecd49c;
    }
    .live {
      color: var(--sd-color-live);
      background: var(--sd-color-danger-soft);
      border-color: #efc0bd;
    }
    .live .dot {
      animation: pulse 1.6s ease-in-out infinite;
    }
    .ended,
    .cancelled {
      color: var(--sd-color-muted);
      background: #eef1f4;
      border-color: var(--sd-color-border);
    }
    @keyframes pulse {
      50% {
        opacity: 0.25;
      }
    }
  `;

  @property() status: SittingStatus = 'scheduled';

  override render() {
    return html`<span class="badge ${this.status}" data-status=${this.status}
      ><span class="dot" aria-hidden="true"></span>${t(`status.${this.status}`)}</span
    >`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-status-badge': StatusBadge;
  }
}
