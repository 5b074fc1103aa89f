import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { SittingInfo } from '@seduta/server/protocol';
import { currentStaff, staffSitting, type StaffUser } from '../access-api';
import { ApiError } from '../api';
import {
  acceptBooking,
  formatMeetingCode,
  getBooking,
  markBookingRead,
  refuseBooking,
  type Booking,
  type BookingMessage,
  type BookingMeeting,
} from '../bookings-api';
import { errorText } from '../error-text';
import { formatDateTime, t } from '../i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
import { bookingStyles } from './booking-styles';
import { SedutaElement } from './seduta-element';
import './booking-state';
import './register-links';
import './status-badge';
import './booking-thread';
import './top-bar';

type Answering = 'none' | 'accept' | 'refuse';

/**
 * One booking (`/bookings/<id>`), for the office and its requester: the request's data and state;
 * for admins while it is open, "Accetta" and "Non disponibile" (a reason required), each confirmed
 * before it is sent; once accepted, the sitting's join link, host link, meeting code and password
 * with copy buttons; then the thread. Opening the page marks the thread read.
 */
@customElement('seduta-booking-detail')
export class BookingDetail extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    bookingStyles,
    css`
      :host {
        --sd-page-width: 960px;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: center;
      }
      .grow {
        flex: 1;
      }
      .head h1 {
        flex: 1;
        min-width: 14rem;
      }
      .credentials {
        display: grid;
        grid-template-columns: max-content 1fr auto;
        gap: 0.6rem 0.75rem;
        align-items: center;
        margin: 0.75rem 0;
      }
      .credential {
        display: contents;
      }
      .credential input {
        font-family: ui-monospace, monospace;
        font-size: 0.9rem;
      }
      .answer form {
        display: grid;
        gap: 0.75rem;
      }
      @media (max-width: 640px) {
        .credentials {
          grid-template-columns: 1fr auto;
        }
        .credential label {
          grid-column: 1 / -1;
        }
      }
    `,
  ];

  @property() bookingId = '';
  /** A public requester's key (from the confirmation link): the page works without a session. */
  @property() key = '';

  /** undefined while checking, null when signed out. */
  @state() private user?: StaffUser | null;
  @state() private booking?: Booking;
  @state() private messages: BookingMessage[] = [];
  @state() private unreadIds: ReadonlySet<string> = new Set();
  /** The booked sitting as staff see it (its status: the register once it has ended). */
  @state() private sitting?: SittingInfo;
  @state() private answering: Answering = 'none';
  @state() private reasonError = '';
  @state() private busy = false;
  @state() private error = '';
  @state() private notice = '';
  @state() private notFound = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#start();
  }

  override render() {
    return html`<seduta-top-bar context=${t('booking.context')}></seduta-top-bar>
      <main>
        ${this.key ? nothing : html`<p><a href="/bookings" data-testid="back">← ${t('booking.back')}</a></p>`}
        <div role="status" aria-live="polite" data-testid="booking-notice">
          ${this.notice ? html`<div class="alert alert-success"><p>${this.notice}</p></div>` : nothing}
        </div>
        ${this.error ? html`<div class="alert alert-error" role="alert" data-testid="booking-error"><p>${this.error}</p></div>` : nothing}
        ${this.#renderBody()}
      </main>`;
  }

  #renderBody() {
    if (this.user === null && !this.key) {
      return html`<div class="alert alert-info" role="alert">
        <p>${t('booking.signIn')}</p>
        <a class="btn btn-secondary" href="/host">${t('booking.signInLink')}</a>
      </div>`;
    }
    if (this.notFound) return html`<p data-testid="booking-missing">${t('booking.detail.notFound')}</p>`;
    const b = this.booking;
    if (!b) return html`<p class="muted">${t('booking.loading')}</p>`;
    return html`<div class="head">
        <h1 tabindex="-1">${b.subject}</h1>
        <seduta-booking-state .state=${b.state}></seduta-booking-state>
        ${b.overdue ? html`<span class="flag" data-testid="booking-overdue">${t('booking.overdue')}</span>` : nothing}
      </div>
      ${this.#renderData(b)}
      ${this.user?.role === 'admin' && b.state === 'open' ? this.#renderAnswer() : nothing}
      ${this.#renderSitting(b)}
      <seduta-booking-thread
        .bookingId=${b.id}
        .key=${this.key}
        .bookingState=${b.state}
        .messages=${this.messages}
        .unreadIds=${this.unreadIds}
        @booking-message-sent=${() => void this.#load()}
      ></seduta-booking-thread>`;
  }

  #renderData(b: Booking) {
    const yesNo = (v: boolean) => (v ? t('booking.detail.yes') : t('booking.detail.no'));
    return html`<section class="card" aria-labelledby="data-title" data-testid="booking-data">
      <h2 id="data-title">${t('booking.detail.data')}</h2>
      <dl>
        <dt>${t('booking.detail.when')}</dt>
        <dd data-testid="booking-when">${formatDateTime(b.startsAt)}</dd>
        <dt>${t('booking.detail.duration')}</dt>
        <dd>${t('booking.detail.minutes', { n: b.durationMinutes })}</dd>
        <dt>${t('booking.detail.contact')}</dt>
        <dd>${b.contactName} · ${b.contactEmail}</dd>
        <dt>${t('booking.detail.participants')}</dt>
        <dd>${b.participants.length > 0 ? b.participants.join(', ') : t('booking.detail.noParticipants')}</dd>
        <dt>${t('booking.detail.recording')}</dt>
        <dd>${yesNo(b.recording)}</dd>
        <dt>${t('booking.detail.visibility')}</dt>
        <dd>${b.visibility === 'reserved' ? t('booking.form.reserved') : t('booking.form.public')}</dd>
        <dt>${t('booking.detail.created')}</dt>
        <dd>${formatDateTime(b.createdAt)}</dd>
        ${
          b.state === 'open'
            ? html`<dt>${t('booking.detail.answerDue')}</dt>
                <dd>${formatDateTime(b.answerDueAt)}</dd>`
            : nothing
        }
        ${
          b.reason
            ? html`<dt>${t('booking.detail.reason')}</dt>
                <dd data-testid="booking-reason">${b.reason}</dd>`
            : nothing
        }
      </dl>
    </section>`;
  }

  #renderAnswer() {
    return html`<section class="card answer" aria-labelledby="answer-title" data-testid="booking-answer">
      <h2 id="answer-title">${t('booking.answer.title')}</h2>
      ${
        this.answering === 'none'
          ? html`<div class="row">
              <button
                class="btn btn-primary"
                type="button"
                data-testid="booking-accept"
                @click=${() => this.#ask('accept')}
              >
                ${t('booking.answer.accept')}
              </button>
              <button
                class="btn btn-secondary"
                type="button"
                data-testid="booking-refuse"
                @click=${() => this.#ask('refuse')}
              >
                ${t('booking.answer.unavailable')}
              </button>
            </div>`
          : nothing
      }
      ${
        this.answering === 'accept'
          ? html`<form @submit=${this.#onAccept} data-testid="accept-confirm">
              <p id="accept-what">${t('booking.answer.acceptConfirm')}</p>
              <div class="row">
                <button
                  class="btn btn-primary"
                  type="submit"
                  aria-describedby="accept-what"
                  ?disabled=${this.busy}
                  data-testid="booking-accept-confirm"
                >
                  ${t('booking.answer.acceptYes')}
                </button>
                <button class="btn btn-secondary" type="button" @click=${() => this.#ask('none')}>
                  ${t('booking.answer.cancel')}
                </button>
              </div>
            </form>`
          : nothing
      }
      ${
        this.answering === 'refuse'
          ? html`<form novalidate @submit=${this.#onRefuse} data-testid="refuse-confirm">
              <div class="field">
                <label for="refuse-reason">${t('booking.answer.reason')}</label>
                <textarea
                  id="refuse-reason"
                  name="reason"
                  rows="3"
                  maxlength="2000"
                  required
                  aria-invalid=${this.reasonError ? 'true' : 'false'}
                  aria-describedby=${this.reasonError ? 'reason-hint reason-error' : 'reason-hint'}
                  data-testid="refuse-reason"
                  @input=${() => (this.reasonError = '')}
                ></textarea>
                <p class="hint" id="reason-hint">${t('booking.answer.reasonHint')}</p>
                ${this.reasonError ? html`<p class="field-error" id="reason-error">${this.reasonError}</p>` : nothing}
              </div>
              <div class="row">
                <button
                  class="btn btn-danger"
                  type="submit"
                  ?disabled=${this.busy}
                  data-testid="booking-refuse-confirm"
                >
                  ${t('booking.answer.unavailableYes')}
                </button>
                <button class="btn btn-secondary" type="button" @click=${() => this.#ask('none')}>
                  ${t('booking.answer.cancel')}
                </button>
              </div>
            </form>`
          : nothing
      }
    </section>`;
  }

  #renderSitting(b: Booking) {
    if (!b.sittingId) return nothing;
    const m: BookingMeeting | null | undefined = b.meeting;
    const sitting = this.sitting;
    const over = sitting?.status === 'ended' || sitting?.status === 'cancelled';
    return html`<section class="card" aria-labelledby="sitting-title" data-testid="booking-sitting">
      <div class="row">
        <h2 id="sitting-title" class="grow" tabindex="-1">${t('booking.sitting.title')}</h2>
        ${sitting ? html`<seduta-status-badge .status=${sitting.status}></seduta-status-badge>` : nothing}
      </div>
      <p data-testid="booking-sitting-when">
        ${t('booking.sitting.scheduled', { when: formatDateTime(sitting?.scheduledAt ?? b.startsAt) })}
      </p>
      ${
        m && !over
          ? html`<div class="credentials">
              ${this.#credential('join', t('booking.sitting.joinUrl'), m.joinUrl)}
              ${this.#credential('host', t('booking.sitting.hostUrl'), m.hostUrl)}
              ${this.#credential('code', t('booking.sitting.code'), formatMeetingCode(m.code))}
              ${this.#credential('password', t('booking.sitting.password'), m.password)}
            </div>`
          : nothing
      }
      ${over ? nothing : html`<p class="hint">${t('booking.sitting.roomOpens')}</p>`}
      <div class="row">
        ${
          this.user
            ? html`<a
                class="btn btn-primary"
                href=${`/host/${encodeURIComponent(b.sittingId)}`}
                data-testid="booking-open-console"
                >${t('booking.sitting.console')}</a
              >`
            : nothing
        }
        ${
          over && this.user?.canListRecordings
            ? html`<a
                class="btn btn-secondary"
                href=${`/host/${encodeURIComponent(b.sittingId)}/recordings`}
                data-testid="booking-open-recordings"
                >${t('dashboard.recordings')}</a
              >`
            : nothing
        }
        ${sitting ? html`<seduta-register-links compact .sitting=${sitting}></seduta-register-links>` : nothing}
      </div>
    </section>`;
  }

  #credential(id: string, label: string, value: string) {
    return html`<div class="credential">
      <label for=${`cred-${id}`}>${label}</label>
      <input id=${`cred-${id}`} type="text" readonly .value=${value} data-testid=${`booking-sitting-${id}`} />
      <button
        class="btn btn-secondary"
        type="button"
        aria-label=${t('booking.sitting.copyLabel', { what: label })}
        @click=${() => this.#copy(label, value)}
      >
        ${t('booking.sitting.copy')}
      </button>
    </div>`;
  }

  async #start(): Promise<void> {
    try {
      this.user = (await currentStaff()) ?? null;
      if (this.user || this.key) await this.#load();
    } catch (error) {
      this.error = errorText(error);
    }
  }

  async #load(): Promise<void> {
    try {
      const answer = await getBooking(this.bookingId, this.key || undefined);
      const first = this.booking === undefined;
      this.booking = answer.booking;
      this.messages = answer.messages;
      if (this.user && answer.booking.sittingId) {
        this.sitting = await staffSitting(answer.booking.sittingId).catch(() => undefined);
      }
      if (first) this.unreadIds = new Set(answer.messages.filter((m) => !m.read).map((m) => m.id));
      if (answer.messages.some((m) => !m.read))
        await markBookingRead(this.bookingId, this.key || undefined).catch(() => undefined);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) this.notFound = true;
      else this.error = errorText(error);
    }
  }

  async #ask(answering: Answering): Promise<void> {
    this.answering = answering;
    this.error = '';
    await this.updateComplete;
    const target =
      answering === 'accept'
        ? '[data-testid="booking-accept-confirm"]'
        : answering === 'refuse'
          ? '#refuse-reason'
          : '[data-testid="booking-accept"]';
    this.renderRoot.querySelector<HTMLElement>(target)?.focus();
  }

  async #onAccept(event: Event): Promise<void> {
    event.preventDefault();
    await this.#answer(async () => {
      const { booking, sitting } = await acceptBooking(this.bookingId);
      this.booking = { ...booking, meeting: booking.meeting ?? { ...sitting } };
      return t('booking.answer.accepted');
    });
  }

  async #onRefuse(event: Event): Promise<void> {
    event.preventDefault();
    const reason = String(new FormData(event.target as HTMLFormElement).get('reason') ?? '').trim();
    if (!reason) {
      this.reasonError = t('booking.problem.required');
      this.renderRoot.querySelector<HTMLElement>('#refuse-reason')?.focus();
      return;
    }
    await this.#answer(async () => {
      this.booking = await refuseBooking(this.bookingId, reason);
      return t('booking.answer.refused');
    });
  }

  async #answer(action: () => Promise<string>): Promise<void> {
    this.busy = true;
    this.error = '';
    this.notice = '';
    try {
      const notice = await action();
      this.answering = 'none';
      await this.#load();
      this.notice = notice;
      // The buttons pressed are gone: the focus goes to what the answer made (the sitting), or the top.
      await this.updateComplete;
      const root = this.renderRoot;
      (root.querySelector<HTMLElement>('#sitting-title') ?? root.querySelector<HTMLElement>('h1'))?.focus();
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  async #copy(label: string, value: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(value);
      this.notice = t('booking.sitting.copied', { what: label });
    } catch {
      // Clipboard refused: the field is read-only but selectable by hand.
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-booking-detail': BookingDetail;
  }
}
