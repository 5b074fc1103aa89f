import { css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { t } from '../i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './booking-code-entry';
import './setup-hint';
import './top-bar';

/**
 * The root page: what Seduta is and how to reach a sitting (people arrive with a link).
 */
@customElement('seduta-landing-page')
export class LandingPage extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      main {
        padding: 3rem 1.25rem;
      }
      h1 {
        margin: 0 0 0.75rem;
        font-size: 1.6rem;
      }
      p {
        margin: 0;
        color: var(--sd-color-muted);
      }
    `,
  ];

  override render() {
    return html`<seduta-top-bar></seduta-top-bar>
      <main>
        <seduta-setup-hint></seduta-setup-hint>
        <section class="card">
          <h1>${t('landing.title')}</h1>
          <p>${t('landing.body')}</p>
        </section>
        <seduta-booking-code-entry></seduta-booking-code-entry>
      </main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-landing-page': LandingPage;
  }
}
