import { css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { BookingState } from '../bookings-api';
import { t } from '../i18n';
import { SedutaElement } from './seduta-element';

/** A booking's state as a coloured pill: aperta, in elaborazione, evasa, non disponibile. */
@customElement('seduta-booking-state')
export class BookingStateBadge extends SedutaElement {
  static override styles = css`
    :host {
      display: inline-flex;
    }
    .badge {
      padding: 0.2rem 0.65rem;
      border-radius: 999px;
      font-size: 0.8rem;
      font-weight: 700;
      letter-spacing: 0.02em;
      text-transform: uppercase;
      white-space: nowrap;
      border: 1px solid;
    }
    .open {
      color: var(--sd-color-warning);
      background: var(--sd-color-warning-soft);
      border-color: #ecd49c;
    }
    .in_processing {
      color: var(--sd-color-primary-hover);
      background: var(--sd-color-primary-soft);
      border-color: #b9d3ee;
    }
    .fulfilled {
      color: var(--sd-color-success);
      background: var(--sd-color-success-soft);
      border-color: #b5dcc1;
    }
    .unavailable {
      color: var(--sd-color-muted);
      background: #eef1f4;
      border-color: var(--sd-color-border);
    }
  `;

  @property() state: BookingState = 'open';

  override render() {
    return html`<span class="badge ${this.state}" data-testid="booking-state" data-state=${this.state}
      >${t(`booking.state.${this.state}`)}</span
    >`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-booking-state': BookingStateBadge;
  }
}
