import { css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { SittingInfo } from '@seduta/server/protocol';
import { t } from '../i18n';
import { registerUrl } from '../register-links';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/**
 * The "Registro della seduta" downloads (HTML to read, PDF to file) of a sitting that has ended;
 * renders nothing before. The server lets admins and the sitting's host have it.
 */
@customElement('seduta-register-links')
export class RegisterLinks extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      section {
        display: grid;
        gap: 0.5rem;
      }
      h2 {
        margin: 0;
        font-size: 1.1rem;
      }
      p {
        margin: 0;
      }
      .links {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
    `,
  ];

  /** The sitting; the links show once its status is `ended`. */
  @property({ attribute: false }) sitting?: SittingInfo;

  /** Only the two links, with short labels (a sitting's card in a list). */
  @property({ type: Boolean }) compact = false;

  override render() {
    const sitting = this.sitting;
    if (!sitting || sitting.status !== 'ended') return nothing;
    const links = html`<div class="links">
      <a
        class="btn btn-secondary"
        href=${registerUrl(sitting.id, 'html')}
        target="_blank"
        rel="noopener"
        aria-label=${t('register.htmlLabel', { title: sitting.title })}
        data-testid="register-html"
        >${t(this.compact ? 'register.htmlShort' : 'register.html')}</a
      >
      <a
        class="btn btn-secondary"
        href=${registerUrl(sitting.id, 'pdf')}
        download
        aria-label=${t('register.pdfLabel', { title: sitting.title })}
        data-testid="register-pdf"
        >${t(this.compact ? 'register.pdfShort' : 'register.pdf')}</a
      >
    </div>`;
    if (this.compact) return links;
    return html`<section aria-labelledby="register-heading" data-testid="register">
      <h2 id="register-heading">${t('register.title')}</h2>
      <p class="hint">${t('register.hint')}</p>
      ${links}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-register-links': RegisterLinks;
  }
}
