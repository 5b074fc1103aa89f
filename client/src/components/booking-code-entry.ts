import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiError } from '../api';
import { sittingByCode } from '../bookings-api';
import { errorText } from '../error-text';
import { t } from '../i18n';
import { sharedStyles } from '../styles/shared';
import { bookingStyles } from './booking-styles';
import { SedutaElement } from './seduta-element';

/**
 * "Hai un codice riunione?" on the landing page: the meeting code of a booked sitting (e-mailed
 * to its participants) leads to the sitting's page, which asks for its password when it has one.
 */
@customElement('seduta-booking-code-entry')
export class BookingCodeEntry extends SedutaElement {
  static override styles = [
    sharedStyles,
    bookingStyles,
    css`
      :host {
        display: block;
      }
      form {
        display: grid;
        gap: 0.4rem;
      }
      .row input {
        flex: 1;
        min-width: 10rem;
        max-width: 16rem;
        letter-spacing: 0.08em;
      }
    `,
  ];

  @state() private error = '';
  @state() private busy = false;

  override render() {
    return html`<section class="card" aria-labelledby="code-title">
      <h2 id="code-title">${t('booking.code.title')}</h2>
      <form novalidate @submit=${this.#onSubmit} data-testid="code-form">
        <label for="meeting-code">${t('booking.code.label')}</label>
        <div class="row">
          <input
            id="meeting-code"
            name="code"
            type="text"
            inputmode="numeric"
            autocomplete="off"
            maxlength="20"
            required
            aria-describedby=${this.error ? 'code-hint code-error' : 'code-hint'}
            aria-invalid=${this.error ? 'true' : 'false'}
            data-testid="meeting-code"
            @input=${() => (this.error = '')}
          />
          <button
            class="btn btn-primary"
            type="submit"
            ?disabled=${this.busy}
            data-testid="meeting-code-submit"
          >
            ${t('booking.code.go')}
          </button>
        </div>
        <p class="hint" id="code-hint">${t('booking.code.hint')}</p>
        ${
          this.error
            ? html`<p class="field-error" id="code-error" role="alert" data-testid="meeting-code-error">
                ${this.error}
              </p>`
            : nothing
        }
      </form>
    </section>`;
  }

  async #onSubmit(event: Event): Promise<void> {
    event.preventDefault();
    const code = String(new FormData(event.target as HTMLFormElement).get('code') ?? '').replace(
      /[\s-]/g,
      '',
    );
    if (!/^\d{4,}$/.test(code)) {
      this.error = t('booking.code.invalid');
      return;
    }
    this.busy = true;
    try {
      const sittingId = await sittingByCode(code);
      window.location.assign(`/s/${encodeURIComponent(sittingId)}`);
    } catch (error) {
      this.error =
        error instanceof ApiError && (error.status === 404 || error.status === 400)
          ? t('booking.code.unknown')
          : errorText(error);
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-booking-code-entry': BookingCodeEntry;
  }
}
