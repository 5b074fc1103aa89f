import { css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { LOCALES, getLocale, setLocale, t, type Locale } from '../i18n';
import { SedutaElement } from './seduta-element';
import { sharedStyles } from '../styles/shared';

/**
 * Switches the interface between Italian and English (remembered in this browser).
 */
@customElement('seduta-language-switch')
export class LanguageSwitch extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: inline-flex;
      }
      .group {
        display: inline-flex;
        border: 1px solid var(--sd-color-border);
        border-radius: var(--sd-radius-small);
        overflow: hidden;
        background: var(--sd-color-surface);
      }
      button {
        border: 0;
        background: transparent;
        color: var(--sd-color-muted);
        font: inherit;
        font-size: 0.85rem;
        font-weight: 600;
        padding: 0.3rem 0.65rem;
        cursor: pointer;
        text-transform: uppercase;
        letter-spacing: 0.03em;
      }
      button + button {
        border-left: 1px solid var(--sd-color-border);
      }
      button[aria-pressed='true'] {
        background: var(--sd-color-primary);
        color: #fff;
      }
      button:focus-visible {
        outline-offset: -3px;
      }
    `,
  ];

  override render() {
    const current = getLocale();
    return html`<div class="group" role="group" aria-label=${t('lang.label')}>
      ${LOCALES.map(
        (locale) =>
          html`<button
            type="button"
            lang=${locale}
            aria-pressed=${locale === current ? 'true' : 'false'}
            title=${t(`lang.${locale}`)}
            data-testid=${`lang-${locale}`}
            @click=${() => this.#choose(locale)}
          >
            ${locale}<span class="visually-hidden"> – ${t(`lang.${locale}`)}</span>
          </button>`,
      )}
    </div>`;
  }

  #choose(locale: Locale): void {
    setLocale(locale);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-language-switch': LanguageSwitch;
  }
}
