import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { currentStaff, type StaffUser } from '../access-api';
import { BOOKING_STATES, listBookings, type Booking, type BookingState } from '../bookings-api';
import { errorText } from '../error-text';
import { formatDateTime, t } from '../i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
import { bookingStyles } from './booking-styles';
import { SedutaElement } from './seduta-element';
import './booking-state';
import './top-bar';

/** The office's order: overdue first, then open ones by answer due, then the rest by start. */
export function officeOrder(bookings: readonly Booking[]): Booking[] {
  const rank = (b: Booking) => (b.overdue ? 0 : b.state === 'open' ? 1 : 2);
  const key = (b: Booking) => (b.state === 'open' ? b.answerDueAt : b.startsAt);
  return [...bookings].sort((a, b) => rank(a) - rank(b) || key(a).localeCompare(key(b)));
}

/**
 * The bookings (`/bookings`): for admins, the office's list of every request, with filters by
 * state and overdue, the "in ritardo" flag and the unread messages; for hosts, "Le mie
 * prenotazioni" with the link to a new one. Each row opens the booking's page.
 */
@customElement('seduta-booking-list')
export class BookingList extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    bookingStyles,
    css`
      :host {
        --sd-page-width: 1100px;
      }
      .grow {
        flex: 1;
      }
      .filters {
        align-items: end;
      }
      .filters .field {
        min-width: 14rem;
      }
      .filters .choice {
        min-height: 2.75rem;
      }
      tbody th {
        white-space: normal;
      }
    `,
  ];

  /** undefined while checking, null when signed out. */
  @state() private user?: StaffUser | null;
  @state() private bookings?: Booking[];
  @state() private stateFilter: BookingState | '' = '';
  @state() private overdueOnly = false;
  @state() private error = '';

  /** Bumped by each search: an older answer arriving later is dropped. */
  #search = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#start();
  }

  override render() {
    const office = this.user?.role === 'admin';
    return html`<seduta-top-bar context=${t('booking.context')}></seduta-top-bar>
      <main>
        <p><a href="/host" data-testid="back">← ${t('booking.backToDashboard')}</a></p>
        <div class="row">
          <h1 class="grow">${office ? t('booking.officeTitle') : t('booking.mineTitle')}</h1>
          ${
            this.user && !office
              ? html`<a class="btn btn-primary" href="/bookings/new" data-testid="new-booking"
                  >${t('booking.new')}</a
                >`
              : nothing
          }
        </div>
        ${this.#renderBody(office)}
      </main>`;
  }

  #renderBody(office: boolean) {
    if (this.user === undefined) return html`<p role="status" class="muted">${t('booking.loading')}</p>`;
    if (this.user === null) {
      return html`<div class="alert alert-info" role="alert" data-testid="bookings-access">
        <p>${t('booking.signIn')}</p>
        <a class="btn btn-secondary" href="/host">${t('booking.signInLink')}</a>
      </div>`;
    }
    return html`<p class="hint">${office ? t('booking.officeIntro') : t('booking.mineIntro')}</p>
      ${office ? this.#renderFilters() : nothing}
      ${this.error ? html`<div class="alert alert-error" role="alert"><p>${this.error}</p></div>` : nothing}
      <div role="status" aria-live="polite" class="visually-hidden">
        ${this.bookings ? t('booking.shown', { n: this.bookings.length }) : ''}
      </div>
      ${this.#renderTable(office)}`;
  }

  #renderFilters() {
    return html`<form class="card row filters" @submit=${this.#onFilter} data-testid="booking-filters">
      <div class="field">
        <label for="filter-state">${t('booking.filterState')}</label>
        <select id="filter-state" name="state" data-testid="filter-state" .value=${this.stateFilter}>
          <option value="">${t('booking.filterAll')}</option>
          ${BOOKING_STATES.map(
            (s) =>
              html`<option value=${s} ?selected=${this.stateFilter === s}>
                ${t(`booking.state.${s}`)}
              </option>`,
          )}
        </select>
      </div>
      <label class="choice">
        <input type="checkbox" name="overdue" data-testid="filter-overdue" .checked=${this.overdueOnly} />
        ${t('booking.filterOverdue')}
      </label>
      <button class="btn btn-secondary" type="submit" data-testid="filter-apply">
        ${t('booking.filterApply')}
      </button>
    </form>`;
  }

  #renderTable(office: boolean) {
    const bookings = this.bookings;
    if (bookings === undefined) return html`<p class="muted">${t('booking.loading')}</p>`;
    if (bookings.length === 0) {
      const filtered = this.stateFilter !== '' || this.overdueOnly;
      return html`<p class="muted" data-testid="bookings-empty">
        ${filtered ? t('booking.emptyFiltered') : t('booking.empty')}
      </p>`;
    }
    return html`<div class="table-wrap card">
      <table data-testid="bookings-table">
        <caption>
          ${office ? t('booking.captionOffice') : t('booking.caption')}
        </caption>
        <thead>
          <tr>
            <th scope="col">${t('booking.col.when')}</th>
            <th scope="col">${t('booking.col.subject')}</th>
            ${office ? html`<th scope="col">${t('booking.col.requester')}</th>` : nothing}
            <th scope="col">${t('booking.col.state')}</th>
            <th scope="col">${t('booking.col.answer')}</th>
            <th scope="col">${t('booking.col.messages')}</th>
            <th scope="col"><span class="visually-hidden">${t('booking.openDetail')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${repeat(
            office ? officeOrder(bookings) : bookings,
            (b) => b.id,
            (b) => this.#renderRow(b, office),
          )}
        </tbody>
      </table>
    </div>`;
  }

  #renderRow(b: Booking, office: boolean) {
    return html`<tr data-testid="booking-row" data-booking-id=${b.id} data-state=${b.state}>
      <td>${formatDateTime(b.startsAt)}</td>
      <th scope="row">${b.subject}</th>
      ${
        office
          ? html`<td>
              ${b.contactName}<br /><span class="muted">${b.contactEmail}</span>
              ${b.requesterKind === 'public' ? html`<br /><span class="muted">(${t('booking.publicRequester')})</span>` : nothing}
            </td>`
          : nothing
      }
      <td>
        <seduta-booking-state .state=${b.state}></seduta-booking-state>
        ${b.overdue ? html`<span class="flag" data-testid="booking-overdue">${t('booking.overdue')}</span>` : nothing}
      </td>
      <td>${b.state === 'open' ? formatDateTime(b.answerDueAt) : html`<span class="muted">—</span>`}</td>
      <td>
        ${
          b.unread > 0
            ? html`<span class="count" data-testid="booking-unread"
                >${t('booking.unread', { n: b.unread })}</span
              >`
            : html`<span class="muted">${t('booking.noUnread')}</span>`
        }
      </td>
      <td>
        <a
          class="btn btn-secondary"
          href=${`/bookings/${encodeURIComponent(b.id)}`}
          aria-label=${t('booking.openDetailLabel', { subject: b.subject })}
          data-testid="open-booking"
          >${t('booking.openDetail')}</a
        >
      </td>
    </tr>`;
  }

  async #start(): Promise<void> {
    try {
      this.user = (await currentStaff()) ?? null;
      if (this.user) await this.#load();
    } catch (error) {
      this.user = null;
      this.error = errorText(error);
    }
  }

  async #load(): Promise<void> {
    const search = ++this.#search;
    this.error = '';
    try {
      const bookings = await listBookings({
        ...(this.stateFilter ? { state: this.stateFilter } : {}),
        overdue: this.overdueOnly,
      });
      if (search === this.#search) this.bookings = bookings;
    } catch (error) {
      if (search === this.#search) this.error = errorText(error);
    }
  }

  async #onFilter(event: Event): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const value = String(data.get('state') ?? '');
    this.stateFilter = (BOOKING_STATES as readonly string[]).includes(value) ? (value as BookingState) : '';
    this.overdueOnly = data.get('overdue') !== null;
    await this.#load();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-booking-list': BookingList;
  }
}
