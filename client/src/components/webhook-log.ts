import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { call } from '../access-api';
import { errorText } from '../error-text';
import { formatDateTime, t } from '../i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
import {
  accessNotice,
  adminAccess,
  dataTable,
  dataTableStyles,
  showMore,
  type AdminAccess,
} from './data-table';
import { SedutaElement } from './seduta-element';
import './top-bar';

/** One delivery as `GET /api/admin/webhooks/deliveries` gives it. */
export interface WebhookDelivery {
  id: number;
  eventId: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  url: string;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** The event types the filter offers (server/src/webhooks/events.ts, and the ping). */
export const WEBHOOK_TYPES = [
  'sitting.scheduled',
  'sitting.started',
  'sitting.ended',
  'sitting.cancelled',
  'recording.ready',
  'booking.state_changed',
  'participant.joined',
  'participant.left',
  'ping',
] as const;

const STATUSES = ['pending', 'delivered', 'failed'] as const;
const PAGE_SIZE = 50;

/** The API's query for a page of the log with the form's filters. */
export function deliveriesQuery(filters: { status: string; type: string }, offset: number): string {
  const q = new URLSearchParams();
  if (filters.status) q.set('status', filters.status);
  if (filters.type) q.set('type', filters.type);
  q.set('limit', String(PAGE_SIZE));
  q.set('offset', String(offset));
  return q.toString();
}

/**
 * The webhook delivery log for administrators (`/admin/webhooks`): every event sent to the
 * procurement platform, newest first, with its state, attempts and the last answer or error;
 * filters by state and event type, 50 at a time.
 */
@customElement('seduta-webhook-log')
export class WebhookLog extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    dataTableStyles,
    css`
      :host {
        --sd-page-width: 1180px;
      }
      main {
        display: grid;
        gap: 1.25rem;
        align-content: start;
      }
      h1 {
        margin: 0;
        font-size: 1.35rem;
      }
      td.error {
        max-width: 24rem;
        overflow-wrap: anywhere;
      }
      tr.failed td:first-child {
        border-left: 4px solid var(--sd-color-danger);
      }
    `,
  ];

  @state() private access: AdminAccess = 'checking';
  @state() private filters = { status: '', type: '' };
  @state() private deliveries?: WebhookDelivery[];
  @state() private total = 0;
  @state() private loading = false;
  @state() private error = '';

  /** Bumped by each new search: a page arriving for an older one is dropped. */
  #search = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#start();
  }

  override render() {
    return html`<seduta-top-bar context=${t('webhooks.context')}></seduta-top-bar>
      <main>
        <p><a href="/host" data-testid="back">← ${t('webhooks.back')}</a></p>
        <h1>${t('webhooks.title')}</h1>
        ${this.#renderBody()}
      </main>`;
  }

  #renderBody() {
    return (
      accessNotice(this.access, 'webhooks-access', {
        signIn: 'webhooks.signIn',
        forbidden: 'webhooks.forbidden',
      }) ??
      html`<p class="hint">${t('webhooks.intro')}</p>
        ${this.#renderFilters()}
        ${
          this.error
            ? html`<div class="alert alert-error" role="alert" data-testid="webhooks-error">
                <p>${this.error}</p>
              </div>`
            : nothing
        }
        ${this.#renderTable()}`
    );
  }

  #renderFilters() {
    const f = this.filters;
    return html`<form class="card" @submit=${this.#onSearch} data-testid="webhooks-filters">
      <div class="filters">
        <div class="field">
          <label for="status">${t('webhooks.status')}</label>
          <select id="status" name="status" data-testid="filter-status">
            <option value="" ?selected=${f.status === ''}>${t('webhooks.any')}</option>
            ${STATUSES.map(
              (s) =>
                html`<option value=${s} ?selected=${f.status === s}>${t(`webhooks.state.${s}`)}</option>`,
            )}
          </select>
        </div>
        <div class="field">
          <label for="type">${t('webhooks.type')}</label>
          <select id="type" name="type" data-testid="filter-type">
            <option value="" ?selected=${f.type === ''}>${t('webhooks.any')}</option>
            ${WEBHOOK_TYPES.map((type) => html`<option value=${type} ?selected=${f.type === type}>${type}</option>`)}
          </select>
        </div>
        <div class="row">
          <button class="btn btn-primary" type="submit" data-testid="filter-apply">
            ${t('webhooks.apply')}
          </button>
        </div>
      </div>
    </form>`;
  }

  #renderTable() {
    const rows = this.deliveries;
    if (rows === undefined) {
      return this.error ? nothing : html`<p class="muted" role="status">${t('webhooks.loading')}</p>`;
    }
    return html`<section aria-label=${t('webhooks.title')}>
      <p role="status" class="muted" data-testid="webhooks-count">
        ${t('webhooks.shown', { n: rows.length, total: this.total })}
      </p>
      ${dataTable({
        testid: 'webhooks-table',
        caption: t('webhooks.caption'),
        headers: [
          t('webhooks.col.at'),
          t('webhooks.col.type'),
          t('webhooks.col.status'),
          t('webhooks.col.attempts'),
          t('webhooks.col.last'),
          t('webhooks.col.event'),
        ],
        rows,
        key: (d) => d.id,
        row: (d) =>
          html`<tr data-testid="webhook-row" data-status=${d.status} class=${d.status}>
            <td>${formatDateTime(d.createdAt)}</td>
            <td><code>${d.type}</code></td>
            <td>
              ${t(`webhooks.state.${d.status}`)}
              ${
                d.status === 'delivered' && d.deliveredAt
                  ? html`<br /><span class="muted">${formatDateTime(d.deliveredAt)}</span>`
                  : d.status === 'pending' && d.nextAttemptAt
                    ? html`<br /><span class="muted"
                          >${t('webhooks.next', { at: formatDateTime(d.nextAttemptAt) })}</span
                        >`
                    : nothing
              }
            </td>
            <td>${d.attempts}</td>
            <td class="error">
              ${d.lastStatus !== null ? html`<code>HTTP ${d.lastStatus}</code> ` : nothing}
              ${d.lastError ?? (d.lastStatus === null ? '—' : '')}
            </td>
            <td><code title=${d.eventId}>${d.eventId.slice(0, 8)}</code></td>
          </tr>`,
        empty: html`<p class="muted" data-testid="webhooks-empty">
          ${this.filters.status || this.filters.type ? t('webhooks.empty') : t('webhooks.emptyAll')}
        </p>`,
      })}
      ${showMore({
        testid: 'webhooks-more',
        more: rows.length < this.total,
        loading: this.loading,
        label: t('webhooks.more'),
        loadingLabel: t('webhooks.loading'),
        onMore: () => this.#onMore(),
      })}
    </section>`;
  }

  async #start(): Promise<void> {
    const { access, error } = await adminAccess();
    this.access = access;
    this.error = error;
    if (access === 'admin' && !error) await this.#load(false);
  }

  async #load(more: boolean): Promise<void> {
    const search = more ? this.#search : ++this.#search;
    const offset = more ? (this.deliveries?.length ?? 0) : 0;
    this.loading = true;
    try {
      const page = await call<{ deliveries: WebhookDelivery[]; total: number }>(
        'GET',
        `/api/admin/webhooks/deliveries?${deliveriesQuery(this.filters, offset)}`,
      );
      if (search !== this.#search) return;
      this.deliveries = more ? [...(this.deliveries ?? []), ...page.deliveries] : page.deliveries;
      this.total = page.total;
      this.error = '';
    } catch (error) {
      if (search !== this.#search) return;
      this.error = errorText(error);
    } finally {
      if (search === this.#search) this.loading = false;
    }
  }

  #onSearch(event: Event): void {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    this.filters = { status: String(data.get('status') ?? ''), type: String(data.get('type') ?? '') };
    void this.#load(false);
  }

  #onMore(): void {
    void this.#load(true);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-webhook-log': WebhookLog;
  }
}
