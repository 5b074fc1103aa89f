import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { currentStaff, type StaffUser } from '../access-api';
import { ApiError } from '../api';
import {
  checkDraft,
  createBooking,
  DURATION_RANGE,
  fieldOfRefusal,
  MAX_PARTICIPANTS,
  parseParticipants,
  refusalReason,
  romeInputToIso,
  type BookingField,
  type DraftProblem,
} from '../bookings-api';
import { errorText } from '../error-text';
import { t } from '../i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
import { bookingStyles } from './booking-styles';
import { SedutaElement } from './seduta-element';
import './top-bar';

/** The order the fields appear in (the first wrong one gets the focus). */
const FIELDS: readonly BookingField[] = [
  'startsAt',
  'durationMinutes',
  'subject',
  'contactName',
  'contactEmail',
  'participants',
];

/**
 * "Nuova prenotazione" (`/bookings/new`): a signed-in host asks the office for a sitting (date and
 * time, duration, subject, contact, participants, recording, public or reserved); without a
 * session, the public form, whose request waits for the e-mailed confirmation link (when the
 * server allows public requests). The form's own checks and the server's refusals (notice too
 * short, capacity) are shown next to their field, tied to it with aria-describedby; the outcome
 * is announced in a live region.
 */
@customElement('seduta-booking-form')
export class BookingForm extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    bookingStyles,
    css`
      form {
        display: grid;
        gap: 1rem;
      }
      .pair {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
        gap: 1rem;
      }
    `,
  ];

  /** undefined while checking the session, null for the public form. */
  @state() private user?: StaffUser | null;
  @state() private problems: Partial<Record<BookingField, string>> = {};
  @state() private busy = false;
  @state() private error = '';
  @state() private outcome = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void currentStaff()
      .then((user) => (this.user = user ?? null))
      .catch(() => (this.user = null));
  }

  override render() {
    return html`<seduta-top-bar context=${t('booking.context')}></seduta-top-bar>
      <main>
        ${this.user ? html`<p><a href="/bookings" data-testid="back">← ${t('booking.back')}</a></p>` : nothing}
        <h1>${t('booking.form.title')}</h1>
        <div role="status" aria-live="polite" data-testid="booking-outcome">
          ${this.outcome ? html`<div class="alert alert-success"><p>${this.outcome}</p></div>` : nothing}
        </div>
        ${
          this.user === undefined
            ? html`<p class="muted">${t('booking.loading')}</p>`
            : this.outcome && this.user === null
              ? nothing
              : this.#renderForm(this.user)
        }
      </main>`;
  }

  #renderForm(user: StaffUser | null) {
    return html`<section class="card">
      <p class="hint">${t('booking.form.intro')}</p>
      ${user === null ? html`<p class="hint">${t('booking.form.introPublic')}</p>` : nothing}
      <form novalidate @submit=${this.#onSubmit} data-testid="booking-form">
        <div class="pair">
          ${this.#field(
            'startsAt',
            t('booking.form.startsAt'),
            html`<input
              id="booking-startsAt"
              name="startsAt"
              type="datetime-local"
              required
              aria-describedby=${this.#describedBy('startsAt')}
              aria-invalid=${this.#invalid('startsAt')}
              data-testid="booking-startsAt"
            />`,
          )}
          ${this.#field(
            'durationMinutes',
            t('booking.form.duration'),
            html`<input
              id="booking-durationMinutes"
              name="durationMinutes"
              type="number"
              inputmode="numeric"
              min=${DURATION_RANGE.min}
              max=${DURATION_RANGE.max}
              step="5"
              value="60"
              required
              aria-describedby=${this.#describedBy('durationMinutes', true)}
              aria-invalid=${this.#invalid('durationMinutes')}
              data-testid="booking-durationMinutes"
            />`,
            t('booking.form.durationHint', DURATION_RANGE),
          )}
        </div>
        ${this.#field(
          'subject',
          t('booking.form.subject'),
          html`<input
            id="booking-subject"
            name="subject"
            type="text"
            maxlength="300"
            required
            aria-describedby=${this.#describedBy('subject')}
            aria-invalid=${this.#invalid('subject')}
            data-testid="booking-subject"
          />`,
        )}
        <div class="pair">
          ${this.#field(
            'contactName',
            t('booking.form.contactName'),
            html`<input
              id="booking-contactName"
              name="contactName"
              type="text"
              maxlength="120"
              autocomplete="name"
              .value=${user?.name ?? ''}
              required
              aria-describedby=${this.#describedBy('contactName')}
              aria-invalid=${this.#invalid('contactName')}
              data-testid="booking-contactName"
            />`,
          )}
          ${this.#field(
            'contactEmail',
            t('booking.form.contactEmail'),
            html`<input
              id="booking-contactEmail"
              name="contactEmail"
              type="email"
              autocomplete="email"
              .value=${user?.email ?? ''}
              required
              aria-describedby=${this.#describedBy('contactEmail')}
              aria-invalid=${this.#invalid('contactEmail')}
              data-testid="booking-contactEmail"
            />`,
          )}
        </div>
        ${this.#field(
          'participants',
          t('booking.form.participants'),
          html`<textarea
            id="booking-participants"
            name="participants"
            rows="4"
            aria-describedby=${this.#describedBy('participants', true)}
            aria-invalid=${this.#invalid('participants')}
            data-testid="booking-participants"
          ></textarea>`,
          t('booking.form.participantsHint', { max: MAX_PARTICIPANTS }),
        )}
        <div class="pair">
          <fieldset>
            <legend>${t('booking.form.recording')}</legend>
            <label class="choice"
              ><input type="radio" name="recording" value="yes" checked data-testid="booking-recording-yes" />
              ${t('booking.form.recordingYes')}</label
            >
            <label class="choice"
              ><input type="radio" name="recording" value="no" data-testid="booking-recording-no" />
              ${t('booking.form.recordingNo')}</label
            >
          </fieldset>
          <fieldset>
            <legend>${t('booking.form.visibility')}</legend>
            <label class="choice"
              ><input type="radio" name="visibility" value="public" checked data-testid="booking-public" />
              ${t('booking.form.public')}</label
            >
            <label class="choice"
              ><input type="radio" name="visibility" value="reserved" data-testid="booking-reserved" />
              ${t('booking.form.reserved')}</label
            >
          </fieldset>
        </div>
        ${
          this.error
            ? html`<div class="alert alert-error" role="alert" data-testid="booking-error">
                <p>${this.error}</p>
              </div>`
            : nothing
        }
        <div class="row">
          <button class="btn btn-primary" type="submit" ?disabled=${this.busy} data-testid="booking-submit">
            ${this.busy ? t('booking.form.sending') : t('booking.form.submit')}
          </button>
        </div>
      </form>
    </section>`;
  }

  /** One labelled field with its hint and its error (the control refers to both, see #describedBy). */
  #field(name: BookingField, label: string, control: unknown, hint?: string) {
    const problem = this.problems[name];
    return html`<div class="field" @input=${() => this.#clear(name)}>
      <label for=${`booking-${name}`}>${label}</label>
      ${control} ${hint ? html`<p class="hint" id=${`${name}-hint`}>${hint}</p>` : nothing}
      ${
        problem
          ? html`<p class="field-error" id=${`${name}-error`} data-testid=${`booking-error-${name}`}>
              ${problem}
            </p>`
          : nothing
      }
    </div>`;
  }

  #describedBy(name: BookingField, hint = false): string | typeof nothing {
    const ids = [hint ? `${name}-hint` : '', this.problems[name] ? `${name}-error` : ''].filter(Boolean);
    return ids.length > 0 ? ids.join(' ') : nothing;
  }

  #invalid(name: BookingField): 'true' | 'false' {
    return this.problems[name] ? 'true' : 'false';
  }

  #clear(name: BookingField): void {
    if (!this.problems[name]) return;
    const { [name]: _, ...rest } = this.problems;
    this.problems = rest;
    // The summary ("fix the marked fields") goes once nothing is marked any more.
    if (Object.keys(rest).length === 0) this.error = '';
  }

  async #onSubmit(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? '');
    const input = {
      startsAt: value('startsAt'),
      durationMinutes: Number(value('durationMinutes')),
      subject: value('subject').trim(),
      contactName: value('contactName').trim(),
      contactEmail: value('contactEmail').trim(),
      participants: value('participants'),
    };
    this.error = '';
    this.outcome = '';
    const problems = checkDraft(input);
    this.problems = Object.fromEntries(
      Object.entries(problems).map(([field, problem]) => [field, problemText(problem)]),
    );
    if (Object.keys(problems).length > 0) {
      this.error = t('booking.form.fix', { n: Object.keys(problems).length });
      await this.#focusFirstProblem();
      return;
    }
    this.busy = true;
    try {
      const result = await createBooking({
        ...input,
        // checkDraft found it valid.
        startsAt: romeInputToIso(input.startsAt) ?? '',
        participants: parseParticipants(input.participants).emails,
        recording: value('recording') === 'yes',
        visibility: value('visibility') === 'reserved' ? 'reserved' : 'public',
      });
      if (result.booking) {
        this.outcome = t('booking.form.sent');
        window.location.assign(`/bookings/${encodeURIComponent(result.booking.id)}`);
      } else {
        this.outcome = t('booking.form.pending', { email: input.contactEmail });
      }
    } catch (error) {
      this.#showRefusal(error);
      await this.#focusFirstProblem();
    } finally {
      this.busy = false;
    }
  }

  /** The server's refusal, next to its field when it has one (the notice period, capacity: the start). */
  #showRefusal(error: unknown): void {
    if (this.user === null && error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      this.error = t('booking.form.publicOff');
      return;
    }
    const field = fieldOfRefusal(error);
    const reason = refusalReason(error);
    const message = error instanceof Error ? error.message : String(error);
    const text =
      reason === 'notice_too_short'
        ? t('booking.refused.notice', { message })
        : reason === 'capacity'
          ? t('booking.refused.capacity', { message })
          : errorText(error);
    if (field) this.problems = { ...this.problems, [field]: text };
    else this.error = text;
  }

  async #focusFirstProblem(): Promise<void> {
    await this.updateComplete;
    const first = FIELDS.find((field) => this.problems[field]);
    if (first) this.renderRoot.querySelector<HTMLElement>(`#booking-${first}`)?.focus();
  }
}

/** The words for one of the form's own findings. */
export function problemText(problem: DraftProblem): string {
  switch (problem.kind) {
    case 'required':
      return t('booking.problem.required');
    case 'past':
      return t('booking.problem.past');
    case 'duration':
      return t('booking.problem.duration', DURATION_RANGE);
    case 'email':
      return t('booking.problem.email');
    case 'participants_invalid':
      return t('booking.problem.participantsInvalid', { values: problem.values.join(', ') });
    case 'participants_many':
      return t('booking.problem.participantsMany', { max: MAX_PARTICIPANTS });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-booking-form': BookingForm;
  }
}
