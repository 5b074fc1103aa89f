import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ApiError } from '../api';
import { errorText } from '../error-text';
import { t } from '../i18n';
import { completeSetup, setupStatus } from '../setup-api';
import { pageStyles, sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './top-bar';

/** Where the page is: asking the server, the form, or nothing left to do. */
type View = 'checking' | 'form' | 'no-token' | 'done';

/**
 * First run (`/setup#<token>`, the link the server prints on its console while no administrator
 * exists): a form (name, e-mail, password twice) that creates the first administrator, signs them
 * in and opens the staff dashboard. Once an administrator exists the page says so and links to the
 * sign-in; without a token it says where the link is.
 */
@customElement('seduta-setup-page')
export class SetupPage extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      h1 {
        margin: 0 0 0.75rem;
        font-size: 1.6rem;
      }
      form {
        display: grid;
        gap: 0.4rem;
      }
      .row {
        display: flex;
        gap: 0.6rem;
        margin-top: 0.6rem;
      }
      .muted {
        color: var(--sd-color-muted);
      }
    `,
  ];

  /** The one-time setup token, from the link's fragment (or `?token=`). */
  @property() token = '';

  @state() private view: View = 'checking';
  @state() private minPasswordLength = 12;
  @state() private busy = false;
  @state() private error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  override render() {
    return html`<seduta-top-bar context=${t('setup.context')}></seduta-top-bar>
      <main>
        <section class="card">
          <h1>${t('setup.title')}</h1>
          ${this.#renderView()} ${this.#renderError()}
        </section>
      </main>`;
  }

  #renderView() {
    switch (this.view) {
      case 'checking':
        return html`<p role="status">${t('entry.checking')}</p>`;
      case 'no-token':
        return html`<p data-testid="setup-no-token">${t('setup.noToken')}</p>`;
      case 'done':
        return html`<div class="alert alert-info" role="status" data-testid="setup-done">
            <p>${t('setup.done')}</p>
          </div>
          <div class="row">
            <a class="btn btn-primary" href="/host" data-testid="setup-sign-in">${t('setup.signInLink')}</a>
          </div>`;
      case 'form':
        return this.#renderForm();
    }
  }

  #renderForm() {
    const min = this.minPasswordLength;
    return html`<p class="muted">${t('setup.intro')}</p>
      <form @submit=${this.#onSubmit} data-testid="setup-form">
        <label for="name">${t('setup.name')}</label>
        <input id="name" name="name" autocomplete="name" maxlength="80" required data-testid="setup-name" />
        <label for="email">${t('setup.email')}</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          maxlength="254"
          required
          data-testid="setup-email"
        />
        <label for="password">${t('setup.password')}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="new-password"
          aria-describedby="password-rule"
          required
          data-testid="setup-password"
        />
        <span id="password-rule" class="muted">${t('setup.passwordRule', { min })}</span>
        <label for="repeat">${t('setup.repeat')}</label>
        <input
          id="repeat"
          name="repeat"
          type="password"
          autocomplete="new-password"
          required
          data-testid="setup-repeat"
        />
        <div class="row">
          <button class="btn btn-primary" type="submit" ?disabled=${this.busy} data-testid="setup-submit">
            ${this.busy ? t('setup.submitting') : t('setup.submit')}
          </button>
        </div>
      </form>`;
  }

  #renderError() {
    if (!this.error) return nothing;
    return html`<div class="alert alert-error" role="alert" data-testid="setup-error">
      <p>${this.error}</p>
    </div>`;
  }

  async #load(): Promise<void> {
    try {
      const status = await setupStatus();
      this.minPasswordLength = status.minPasswordLength;
      this.view = status.state === 'done' ? 'done' : this.token ? 'form' : 'no-token';
    } catch (error) {
      this.view = this.token ? 'form' : 'no-token';
      this.error = errorText(error);
    }
  }

  async #onSubmit(event: Event): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const field = (name: string) => String(data.get(name) ?? '');
    const password = field('password');
    // The server applies the same rule; checked here first so the message is in the user's language.
    if (password.length < this.minPasswordLength) {
      this.error = t('setup.tooShort', { min: this.minPasswordLength });
      return;
    }
    if (password !== field('repeat')) {
      this.error = t('setup.mismatch');
      return;
    }
    this.busy = true;
    this.error = '';
    try {
      await completeSetup({
        token: this.token,
        name: field('name').trim(),
        email: field('email').trim(),
        password,
      });
      // Signed in by the session cookie: the dashboard opens as the new administrator.
      window.location.assign('/host');
    } catch (error) {
      this.busy = false;
      if (error instanceof ApiError && error.code === 'invalid_state') {
        // Either an administrator now exists, or the e-mail address already has an account.
        if (await this.#setupDone()) this.view = 'done';
        else this.error = t('setup.emailTaken');
      } else if (error instanceof ApiError && error.code === 'forbidden') {
        // The guard refuses a page opened at an address missing from PUBLIC_ORIGINS before the
        // token is looked at; every other 403 here is about the link.
        this.error = /cross-origin/.test(error.message)
          ? t('setup.otherOrigin', { origin: window.location.origin })
          : t('setup.badLink');
      } else {
        this.error = errorText(error);
      }
    }
  }

  async #setupDone(): Promise<boolean> {
    return (await setupStatus().catch(() => undefined))?.state === 'done';
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-setup-page': SetupPage;
  }
}
