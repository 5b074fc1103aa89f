import { css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { t } from '../i18n';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/**
 * The notice shown before joining a recorded sitting (GDPR): what is recorded, and the button that
 * acknowledges it and joins. The server refuses a join without the acknowledgement and logs it.
 *
 * @fires accept - the person read the notice and wants to join
 */
@customElement('seduta-recording-notice')
export class RecordingNotice extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .notice {
        display: grid;
        gap: 0.75rem;
        padding: 0.9rem 1rem;
        border: 1px solid #efc0bd;
        border-left: 4px solid #b3261e;
        border-radius: 6px;
        background: #fdecea;
      }
      p {
        margin: 0;
      }
    `,
  ];

  override render() {
    return html`<div class="notice" role="alert" data-testid="recording-notice">
      <seduta-recording-indicator></seduta-recording-indicator>
      <p>${t('recording.notice')}</p>
      <button
        class="btn btn-primary btn-large"
        type="button"
        data-testid="recording-notice-accept"
        @click=${this.#accept}
      >
        ${t('recording.noticeAccept')}
      </button>
    </div>`;
  }

  readonly #accept = (): void => {
    this.dispatchEvent(new CustomEvent('accept', { bubbles: true, composed: true }));
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-recording-notice': RecordingNotice;
  }
}
