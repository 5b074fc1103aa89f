import { html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { exchangeInvite } from '../access-api';
import { ApiError } from '../api';
import { errorText } from '../error-text';
import { t } from '../i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './top-bar';

/**
 * A commissioner's personal invitation link (`/i/<token>`): exchanges it for the sitting's pass
 * cookie, then goes to the sitting's page (replacing the link in the history). A revoked link, or
 * one for a sitting that is over, is explained.
 */
@customElement('seduta-invite-entry')
export class InviteEntry extends SedutaElement {
  static override styles = [sharedStyles, pageStyles];

  /** The token from the link. */
  @property() token = '';

  @state() private problem = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#enter();
  }

  override render() {
    return html`<seduta-top-bar></seduta-top-bar>
      <main>
        ${
          this.problem
            ? html`<div class="alert alert-error" role="alert" data-testid="invite-refused">
                <p>${this.problem}</p>
              </div>`
            : html`<p role="status" data-testid="entry-checking">${t('entry.checking')}</p>`
        }
      </main>`;
  }

  async #enter(): Promise<void> {
    try {
      const { sittingId } = await exchangeInvite(this.token);
      location.replace(`/s/${encodeURIComponent(sittingId)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        this.problem = error.message.includes('cancelled') ? t('details.cancelled') : t('details.ended');
      } else if (error instanceof ApiError && error.status === 401) {
        this.problem = t('entry.inviteRefused', { reason: error.message.replace(/^.*refused: /, '') });
      } else if (error instanceof ApiError && error.status === 403) {
        this.problem = t('entry.removed');
      } else {
        this.problem = errorText(error);
      }
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-invite-entry': InviteEntry;
  }
}
