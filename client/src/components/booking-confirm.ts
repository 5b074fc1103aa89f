import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { confirmBooking, type Booking } from '../bookings-api';
import { errorText } from '../error-text';
import { formatDateTime, t } from '../i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
import { bookingStyles } from './booking-styles';
import { SedutaElement } from './seduta-element';
import './top-bar';

/**
 * The page of the link e-mailed to a public requester (`/bookings/confirm#<token>`): confirms the
 * request, which then reaches the office, and says by when the office answers.
 */
@customElement('seduta-booking-confirm')
export class BookingConfirm extends SedutaElement {
  static override styles = [sharedStyles, pageStyles, bookingStyles];

  /** The confirmation token from the e-mailed link. */
  @property() token = '';

  @state() private booking?: Booking;
  @state() private key = '';
  @state() private error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.token) {
      this.error = t('booking.confirm.missing');
      return;
    }
    confirmBooking(this.token)
      .then(({ booking, key }) => {
        this.booking = booking;
        this.key = key;
        // The token has done its job: out of the address bar and the history.
        history.replaceState(null, '', '/bookings/confirm');
      })
      .catch((error: unknown) => (this.error = t('booking.confirm.failed', { message: errorText(error) })));
  }

  override render() {
    return html`<seduta-top-bar context=${t('booking.context')}></seduta-top-bar>
      <main>
        <h1>${t('booking.confirm.title')}</h1>
        <div role="status" aria-live="polite" data-testid="booking-confirm">
          ${
            this.booking
              ? html`<div class="alert alert-success">
                    <p>${t('booking.confirm.done', { when: formatDateTime(this.booking.answerDueAt) })}</p>
                  </div>
                  <p>
                    <a
                      class="btn btn-primary"
                      href=${`/bookings/${encodeURIComponent(this.booking.id)}#key=${encodeURIComponent(this.key)}`}
                      data-testid="booking-follow"
                      >${t('booking.confirm.follow')}</a
                    >
                  </p>
                  <p class="hint">${t('booking.confirm.keep')}</p>`
              : this.error
                ? nothing
                : html`<p class="muted">${t('booking.confirm.working')}</p>`
          }
        </div>
        ${this.error ? html`<div class="alert alert-error" role="alert" data-testid="booking-confirm-error"><p>${this.error}</p></div>` : nothing}
      </main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-booking-confirm': BookingConfirm;
  }
}
