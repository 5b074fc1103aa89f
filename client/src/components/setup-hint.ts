import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { t } from '../i18n';
import { setupStatus } from '../setup-api';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/**
 * A notice shown while the server has no administrator yet (first run): the link that creates the
 * first one is printed on the server's console. Renders nothing otherwise, or if the server
 * cannot say.
 */
@customElement('seduta-setup-hint')
export class SetupHint extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .alert {
        margin-bottom: 1rem;
      }
    `,
  ];

  @state() private pending = false;

  override connectedCallback(): void {
    super.connectedCallback();
    setupStatus().then(
      (status) => (this.pending = status.state === 'pending'),
      () => (this.pending = false),
    );
  }

  override render() {
    if (!this.pending) return nothing;
    return html`<div class="alert alert-info" role="status" data-testid="setup-hint">
      <p>${t('setup.hint')}</p>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-setup-hint': SetupHint;
  }
}
