import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { call, listSittings, type StaffSitting } from '../access-api';
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

/** An audit entry as `GET /api/admin/audit` gives it. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  sittingId: string | null;
  details: unknown;
  prevHash: string;
  hash: string;
}

/** What `POST /api/admin/audit/verify` answers. */
export type VerifyResult =
  | { ok: true; entries: number; lastHash: string | null; lastId: number | null; verifiedAt: string }
  | {
      ok: false;
      entries: number;
      brokenAtId: number;
      reason: string;
      entry: { id: number; at: string; action: string; actor: string } | null;
      verifiedAt: string;
    };

/** The filters as the form holds them (dates as `YYYY-MM-DD`, the end date included). */
export interface AuditFormFilters {
  fromDate: string;
  toDate: string;
  actor: string;
  action: string;
  sittingId: string;
}

const NO_FILTERS: AuditFormFilters = { fromDate: '', toDate: '', actor: '', action: '', sittingId: '' };
const PAGE_SIZE = 50;
const DETAILS_MAX = 140;

/**
 * The API's query for the form's filters: local midnight of the first day, local midnight after
 * the last day (the API's `to` is exclusive), the other fields as typed.
 */
export function auditQuery(f: AuditFormFilters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.fromDate) q.set('from', new Date(`${f.fromDate}T00:00:00`).toISOString());
  if (f.toDate) {
    const end = new Date(`${f.toDate}T00:00:00`);
    end.setDate(end.getDate() + 1);
    q.set('to', end.toISOString());
  }
  if (f.actor.trim()) q.set('actor', f.actor.trim());
  if (f.action) q.set('action', f.action);
  if (f.sittingId.trim()) q.set('sittingId', f.sittingId.trim());
  return q;
}

/** A one-line summary of an entry's details: `key: value` pairs, cut to a readable length. */
export function summariseDetails(details: unknown): string {
  if (details === null || typeof details !== 'object') return details === undefined ? '' : String(details);
  const parts = Object.entries(details as Record<string, unknown>).map(
    ([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  const text = parts.join(' · ');
  return text.length > DETAILS_MAX ? `${text.slice(0, DETAILS_MAX - 1)}…` : text;
}

/**
 * The audit log for administrators (`/admin/audit`): filters (dates, actor, action, sitting), the
 * entries newest first with "show more", CSV and JSON export links carrying the same filters,
 * and "Verify now", whose result is announced in a live region and marks the broken row.
 */
@customElement('seduta-audit-page')
export class AuditPage extends SedutaElement {
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
      h2 {
        margin: 0 0 0.5rem;
        font-size: 1.1rem;
      }
      td.details {
        max-width: 28rem;
        overflow-wrap: anywhere;
      }
      code {
        font-size: 0.85rem;
      }
      tr.broken {
        background: var(--sd-color-danger-soft);
        outline: 2px solid var(--sd-color-danger);
      }
      .hash {
        overflow-wrap: anywhere;
      }
    `,
  ];

  @state() private access: AdminAccess = 'checking';
  @state() private actions: string[] = [];
  /** The sittings offered in the sitting filter (an id typed by hand works too). */
  @state() private sittings: StaffSitting[] = [];
  @state() private filters: AuditFormFilters = { ...NO_FILTERS };
  /** undefined until the first answer. */
  @state() private entries?: AuditEntry[];
  @state() private nextCursor: number | null = null;
  @state() private loading = false;
  @state() private error = '';
  @state() private verifying = false;
  @state() private verify?: VerifyResult;

  /** Bumped by each new search: a page arriving for an older one is dropped. */
  #search = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#start();
  }

  override render() {
    return html`<seduta-top-bar context=${t('audit.context')}></seduta-top-bar>
      <main>
        <p><a href="/host" data-testid="back">← ${t('audit.back')}</a></p>
        <h1>${t('audit.title')}</h1>
        ${this.#renderBody()}
      </main>`;
  }

  #renderBody() {
    return (
      accessNotice(this.access, 'audit-access', { signIn: 'audit.signIn', forbidden: 'audit.forbidden' }) ??
      html`<p class="hint">${t('audit.intro')}</p>
        ${this.#renderVerify()} ${this.#renderFilters()} ${this.#renderError()} ${this.#renderTable()}`
    );
  }

  #renderVerify() {
    const v = this.verify;
    return html`<section class="card" aria-labelledby="verify-title">
      <h2 id="verify-title">${t('audit.verifyTitle')}</h2>
      <p class="hint">${t('audit.verifyHint')}</p>
      <div class="row">
        <button
          class="btn btn-primary"
          type="button"
          data-testid="verify"
          ?disabled=${this.verifying}
          @click=${this.#onVerify}
        >
          ${this.verifying ? t('audit.verifying') : t('audit.verify')}
        </button>
      </div>
      <div aria-live="polite" data-testid="verify-result" data-ok=${v ? String(v.ok) : nothing}>
        ${
          v === undefined
            ? nothing
            : v.ok
              ? html`<div class="alert alert-success">
                  <p>${t('audit.intact', { entries: v.entries })}</p>
                  ${v.lastHash ? html`<p>${t('audit.lastHash')} <code class="hash">${v.lastHash}</code></p>` : nothing}
                </div>`
              : html`<div class="alert alert-error">
                  <p data-testid="verify-broken" data-entry-id=${v.brokenAtId}>
                    ${
                      v.entry
                        ? t('audit.broken', {
                            id: v.brokenAtId,
                            action: v.entry.action,
                            at: formatDateTime(v.entry.at),
                          })
                        : t('audit.brokenNoEntry', { id: v.brokenAtId })
                    }
                  </p>
                  <p>${t('audit.brokenReason', { reason: v.reason, entries: v.entries })}</p>
                </div>`
        }
      </div>
    </section>`;
  }

  #renderFilters() {
    const f = this.filters;
    const query = auditQuery(f).toString();
    const exportHref = (format: 'csv' | 'json') =>
      `/api/admin/audit/export?format=${format}${query ? `&${query}` : ''}`;
    return html`<section class="card" aria-labelledby="filters-title">
      <h2 id="filters-title">${t('audit.filters')}</h2>
      <form @submit=${this.#onSearch} data-testid="audit-filters">
        <div class="filters">
          <div class="field">
            <label for="from">${t('audit.from')}</label>
            <input id="from" name="fromDate" type="date" .value=${f.fromDate} data-testid="filter-from" />
          </div>
          <div class="field">
            <label for="to">${t('audit.to')}</label>
            <input id="to" name="toDate" type="date" .value=${f.toDate} data-testid="filter-to" />
          </div>
          <div class="field">
            <label for="actor">${t('audit.actor')}</label>
            <input
              id="actor"
              name="actor"
              maxlength="254"
              .value=${f.actor}
              aria-describedby="actor-hint"
              data-testid="filter-actor"
            />
            <span id="actor-hint" class="hint">${t('audit.actorHint')}</span>
          </div>
          <div class="field">
            <label for="action">${t('audit.action')}</label>
            <select id="action" name="action" data-testid="filter-action">
              <option value="" ?selected=${f.action === ''}>${t('audit.anyAction')}</option>
              ${this.actions.map((a) => html`<option value=${a} ?selected=${f.action === a}>${a}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="sitting">${t('audit.sitting')}</label>
            <input
              id="sitting"
              name="sittingId"
              maxlength="36"
              list="sitting-options"
              autocomplete="off"
              .value=${f.sittingId}
              aria-describedby="sitting-hint"
              data-testid="filter-sitting"
            />
            <datalist id="sitting-options">
              ${this.sittings.map(
                (s) =>
                  html`<option value=${s.id}>
                    ${s.title}${s.scheduledAt ? ` · ${formatDateTime(s.scheduledAt)}` : ''}
                  </option>`,
              )}
            </datalist>
            <span id="sitting-hint" class="hint">${t('audit.sittingHint')}</span>
          </div>
        </div>
        <div class="row" style="margin-top: 0.75rem">
          <button class="btn btn-primary" type="submit" data-testid="filter-apply">
            ${t('audit.apply')}
          </button>
          <button class="btn btn-secondary" type="button" data-testid="filter-clear" @click=${this.#onClear}>
            ${t('audit.clear')}
          </button>
          <a class="btn btn-secondary" href=${exportHref('csv')} download data-testid="export-csv">
            ${t('audit.exportCsv')}
          </a>
          <a class="btn btn-secondary" href=${exportHref('json')} download data-testid="export-json">
            ${t('audit.exportJson')}
          </a>
        </div>
        <p class="hint">${t('audit.exportHint')}</p>
      </form>
    </section>`;
  }

  #renderError() {
    if (!this.error) return nothing;
    return html`<div class="alert alert-error" role="alert" data-testid="audit-error">
      <p>${this.error}</p>
    </div>`;
  }

  #renderTable() {
    const entries = this.entries;
    if (entries === undefined) {
      return this.error ? nothing : html`<p class="muted" role="status">${t('audit.loading')}</p>`;
    }
    const broken = this.verify && !this.verify.ok ? this.verify.brokenAtId : undefined;
    return html`<section aria-labelledby="entries-title">
      <h2 id="entries-title">${t('audit.entries')}</h2>
      <p role="status" class="muted" data-testid="audit-count">${t('audit.shown', { n: entries.length })}</p>
      ${dataTable({
        testid: 'audit-table',
        caption: t('audit.caption'),
        headers: [
          t('audit.col.id'),
          t('audit.col.at'),
          t('audit.col.actor'),
          t('audit.col.action'),
          t('audit.col.sitting'),
          t('audit.col.details'),
          t('audit.col.hash'),
        ],
        rows: entries,
        key: (e) => e.id,
        row: (e) =>
          html`<tr data-testid="audit-row" data-entry-id=${e.id} class=${e.id === broken ? 'broken' : ''}>
            <td>${e.id}${e.id === broken ? html` <strong>${t('audit.brokenMark')}</strong>` : nothing}</td>
            <td>${formatDateTime(e.at)}</td>
            <td>${e.actor}<br /><span class="muted">${e.role}</span></td>
            <td><code>${e.action}</code></td>
            <td>${e.sittingId ? html`<code title=${e.sittingId}>${e.sittingId.slice(0, 8)}</code>` : '—'}</td>
            <td class="details">${summariseDetails(e.details)}</td>
            <td><code title=${e.hash}>${e.hash.slice(0, 12)}</code></td>
          </tr>`,
        empty: html`<p class="muted" data-testid="audit-empty">${t('audit.empty')}</p>`,
      })}
      ${showMore({
        testid: 'audit-more',
        more: this.nextCursor !== null,
        loading: this.loading,
        label: t('audit.more'),
        loadingLabel: t('audit.loading'),
        onMore: () => this.#onMore(),
      })}
    </section>`;
  }

  async #start(): Promise<void> {
    const { access, error } = await adminAccess();
    this.access = access;
    this.error = error;
    if (access !== 'admin' || error) return;
    // The sitting filter's suggestions; without them an id typed by hand still works.
    void listSittings()
      .then((sittings) => (this.sittings = sittings))
      .catch(() => undefined);
    await this.#load(false);
  }

  async #load(more: boolean): Promise<void> {
    const search = more ? this.#search : ++this.#search;
    const q = auditQuery(this.filters);
    q.set('limit', String(PAGE_SIZE));
    if (more && this.nextCursor !== null) q.set('before', String(this.nextCursor));
    this.loading = true;
    try {
      const page = await call<{ entries: AuditEntry[]; nextCursor: number | null; actions: string[] }>(
        'GET',
        `/api/admin/audit?${q.toString()}`,
      );
      if (search !== this.#search) return;
      this.entries = more ? [...(this.entries ?? []), ...page.entries] : page.entries;
      this.nextCursor = page.nextCursor;
      this.actions = page.actions;
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
    const field = (name: keyof AuditFormFilters) => String(data.get(name) ?? '');
    this.filters = {
      fromDate: field('fromDate'),
      toDate: field('toDate'),
      actor: field('actor'),
      action: field('action'),
      sittingId: field('sittingId'),
    };
    void this.#load(false);
  }

  #onClear(): void {
    this.filters = { ...NO_FILTERS };
    void this.#load(false);
  }

  #onMore(): void {
    void this.#load(true);
  }

  async #onVerify(): Promise<void> {
    this.verifying = true;
    this.verify = undefined;
    try {
      this.verify = await call<VerifyResult>('POST', '/api/admin/audit/verify');
      this.error = '';
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.verifying = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-audit-page': AuditPage;
  }
}
