import { css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { SittingInfo } from '@seduta/server/protocol';
import { formatDateTime, t } from '../i18n';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './status-badge';

/**
 * The sitting's details page card: kind, title, status and scheduled time. Whatever is slotted
 * (messages, the join form) goes below.
 */
@customElement('seduta-sitting-details')
export class SittingDetails extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .card {
        padding: 2rem;
      }
      .kind {
        margin: 0;
        color: var(--sd-color-muted);
        font-size: 0.85rem;
        font-weight: 600;
        text-transform: uppercase;
        letter-spacing: 0.05em;
      }
      h1 {
        margin: 0.35rem 0 1rem;
        font-size: clamp(1.35rem, 2.5vw, 1.75rem);
        line-height: 1.25;
        overflow-wrap: anywhere;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.5rem 1.25rem;
        margin: 0 0 1.5rem;
        align-items: center;
      }
      dt {
        color: var(--sd-color-muted);
        font-size: 0.9rem;
      }
      dd {
        margin: 0;
      }
    `,
  ];

  @property({ attribute: false }) sitting?: SittingInfo;

  override render() {
    const s = this.sitting;
    if (!s) return html`<div class="card" aria-busy="true"><p>${t('details.loading')}</p></div>`;
    return html`<section class="card" aria-labelledby="title">
      <p class="kind">${t(`kind.${s.kind}`)}</p>
      <h1 id="title" data-testid="sitting-title">${s.title}</h1>
      <dl>
        <dt>${t('details.scheduledAt')}</dt>
        <dd>${s.scheduledAt ? formatDateTime(s.scheduledAt) : t('details.notScheduled')}</dd>
        <dt>${t('details.status')}</dt>
        <dd><seduta-status-badge data-testid="status" .status=${s.status}></seduta-status-badge></dd>
      </dl>
      <slot></slot>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-sitting-details': SittingDetails;
  }
}
