import { html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { t } from '../i18n';
import { sharedStyles } from '../styles/shared';
import { bookingStyles } from './booking-styles';
import { SedutaElement } from './seduta-element';

/**
 * The password of a booked sitting, asked on its entry page when the sitting has one (it was
 * e-mailed to the participants with the link and the meeting code). Without a personal link
 * (`askName`), also the participant's name and company, the name the sitting will show.
 *
 * @fires sitting-password - with `detail: { password, name, company }` when the form is sent.
 */
@customElement('seduta-booking-password')
export class BookingPassword extends SedutaElement {
  static override styles = [sharedStyles, bookingStyles];

  /** The last attempt was wrong: the message is tied to the field. */
  @property({ type: Boolean }) wrong = false;
  @property({ type: Boolean }) busy = false;
  /** No personal link: the participant also says who they are. */
  @property({ type: Boolean }) askName = false;

  override render() {
    return html`<section class="card" aria-labelledby="password-title">
      <h2 id="password-title">${t('booking.password.title')}</h2>
      <form class="field" @submit=${this.#onSubmit} data-testid="password-form">
        ${
          this.askName
            ? html`<label for="participant-name">${t('booking.password.name')}</label>
                <input
                  id="participant-name"
                  name="name"
                  autocomplete="name"
                  maxlength="80"
                  required
                  aria-describedby="name-hint"
                  data-testid="participant-name"
                />
                <p class="hint" id="name-hint">${t('booking.password.nameHint')}</p>
                <label for="participant-company">${t('booking.password.company')}</label>
                <input
                  id="participant-company"
                  name="company"
                  autocomplete="organization"
                  maxlength="80"
                  data-testid="participant-company"
                />`
            : nothing
        }
        <label for="sitting-password">${t('booking.password.label')}</label>
        <input
          id="sitting-password"
          name="password"
          type="password"
          autocomplete="off"
          required
          aria-describedby=${this.wrong ? 'password-hint password-error' : 'password-hint'}
          aria-invalid=${this.wrong ? 'true' : 'false'}
          data-testid="sitting-password"
        />
        <p class="hint" id="password-hint">${t('booking.password.hint')}</p>
        ${
          this.wrong
            ? html`<p
                class="field-error"
                id="password-error"
                role="alert"
                data-testid="sitting-password-wrong"
              >
                ${t('booking.password.wrong')}
              </p>`
            : nothing
        }
        <div class="row">
          <button
            class="btn btn-primary"
            type="submit"
            ?disabled=${this.busy}
            data-testid="sitting-password-submit"
          >
            ${t('booking.password.enter')}
          </button>
        </div>
      </form>
    </section>`;
  }

  override firstUpdated(): void {
    this.renderRoot
      .querySelector<HTMLInputElement>(this.askName ? '#participant-name' : '#sitting-password')
      ?.focus();
  }

  #onSubmit(event: Event): void {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const field = (key: string) => String(form.get(key) ?? '').trim();
    const password = field('password');
    if (!password || (this.askName && !field('name'))) return;
    this.dispatchEvent(
      new CustomEvent('sitting-password', {
        detail: { password, name: field('name'), company: field('company') },
      }),
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-booking-password': BookingPassword;
  }
}
