import { css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { t } from '../i18n';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './language-switch';

/**
 * The page header: the product mark, an optional context label (e.g. "Host console"), anything
 * slotted (the sitting's title) and the language switch.
 */
@customElement('seduta-top-bar')
export class TopBar extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        background: var(--sd-color-surface);
        border-bottom: 1px solid var(--sd-color-border);
      }
      header {
        display: flex;
        align-items: center;
        gap: 1rem;
        max-width: 1280px;
        margin: 0 auto;
        padding: 0.75rem 1.25rem;
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 0.55rem;
        font-weight: 750;
        font-size: 1.1rem;
        color: var(--sd-color-primary);
        letter-spacing: -0.01em;
        white-space: nowrap;
      }
      .mark {
        display: grid;
        place-items: center;
        width: 1.9rem;
        height: 1.9rem;
        border-radius: 8px;
        background: var(--sd-color-primary);
        color: #fff;
        font-size: 1rem;
      }
      .context {
        padding-left: 1rem;
        border-left: 1px solid var(--sd-color-border);
        color: var(--sd-color-muted);
        font-size: 0.9rem;
        white-space: nowrap;
      }
      .middle {
        flex: 1;
        min-width: 0;
      }
      @media (max-width: 640px) {
        .context {
          display: none;
        }
      }
    `,
  ];

  /** Short label after the product name, e.g. "Host console". */
  @property() context = '';

  override render() {
    return html`<header>
      <div class="brand"><span class="mark" aria-hidden="true">S</span><span>${t('app.name')}</span></div>
      ${this.context ? html`<span class="context">${this.context}</span>` : null}
      <div class="middle"><slot></slot></div>
      <seduta-language-switch></seduta-language-switch>
    </header>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-top-bar': TopBar;
  }
}
