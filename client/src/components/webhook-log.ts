import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { ErrorCode } from '@seduta/server/protocol';
import { ApiError } from '../api';
import { errorText } from '../error-text';
import { formatDateTime, t } from '../i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
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

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  const data = (await response.json().catch(() => undefined)) as
    T | { error?: { code?: ErrorCode; message?: string } } | undefined;
  if (!response.ok) {
    const error = data && typeof data === 'object' && 'error' in data ? data.error : undefined;
    throw new ApiError(error?.code ?? 'internal', response.status, error?.message ?? response.statusText);
  }
  return data as T;
}

type Access = 'checking' | 'signed-out' | 'forbidden' | 'admin';

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
      .filters {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: end;
      }
      .field {
        display: grid;
        gap: 0.3rem;
      }
      .muted {
        color: var(--sd-color-muted);
      }
      .table-wrap {
        overflow-x: auto;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        font-size: 0.92rem;
      }
      caption {
        text-align: left;
        padding-bottom: 0.5rem;
        color: var(--sd-color-muted);
      }
      th,
      td {
        text-align: left;
        vertical-align: top;
        padding: 0.45rem 0.5rem;
        border-bottom: 1px solid var(--sd-color-border);
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

  @state() private access: Access = 'checking';
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
    switch (this.access) {
      case 'checking':
        return html`<p role="status" class="muted">${t('entry.checking')}</p>`;
      case 'signed-out':
        return html`<div class="alert alert-error" role="alert" data-testid="webhooks-access">
          <p>${t('webhooks.signIn')}</p>
          <a class="btn btn-secondary" href="/host">${t('host.signInLink')}</a>
        </div>`;
      case 'forbidden':
        return html`<div class="alert alert-error" role="alert" data-testid="webhooks-access">
          <p>${t('webhooks.forbidden')}</p>
        </div>`;
      case 'admin':
        return html`<p class="hint">${t('webhooks.intro')}</p>
          ${this.#renderFilters()}
          ${
            this.error
              ? html`<div class="alert alert-error" role="alert" data-testid="webhooks-error">
                  <p>${this.error}</p>
                </div>`
              : nothing
          }
          ${this.#renderTable()}`;
    }
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
        <button class="btn btn-primary" type="submit" data-testid="filter-apply">
          ${t('webhooks.apply')}
        </button>
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
      ${
        rows.length === 0
          ? html`<p class="muted" data-testid="webhooks-empty">${t('webhooks.empty')}</p>`
          : html`<div class="table-wrap">
              <table data-testid="webhooks-table">
                <caption>
                  ${t('webhooks.caption')}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">${t('webhooks.col.at')}</th>
                    <th scope="col">${t('webhooks.col.type')}</th>
                    <th scope="col">${t('webhooks.col.status')}</th>
                    <th scope="col">${t('webhooks.col.attempts')}</th>
                    <th scope="col">${t('webhooks.col.last')}</th>
                    <th scope="col">${t('webhooks.col.event')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${repeat(
                    rows,
                    (d) => d.id,
                    (d) =>
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
                  )}
                </tbody>
              </table>
            </div>`
      }
      ${
        rows.length < this.total
          ? html`<p>
              <button
                class="btn btn-secondary"
                type="button"
                data-testid="webhooks-more"
                ?disabled=${this.loading}
                @click=${this.#onMore}
              >
                ${this.loading ? t('webhooks.loading') : t('webhooks.more')}
              </button>
            </p>`
          : nothing
      }
    </section>`;
  }

  async #start(): Promise<void> {
    try {
      const { user } = await getJson<{ user: { role: string } }>('/api/auth/me');
      if (user.role !== 'admin') {
        this.access = 'forbidden';
        return;
      }
      this.access = 'admin';
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        this.access = 'signed-out';
      } else {
        this.access = 'admin';
        this.error = errorText(error);
      }
      return;
    }
    await this.#load(false);
  }

  async #load(more: boolean): Promise<void> {
    const search = more ? this.#search : ++this.#search;
    const offset = more ? (this.deliveries?.length ?? 0) : 0;
    this.loading = true;
    try {
      const page = await getJson<{ deliveries: WebhookDelivery[]; total: number }>(
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
