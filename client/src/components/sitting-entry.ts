import { html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import {
  enterWithMeetingPassword,
  exchangeJoinToken,
  sittingEntry,
  sittingIdentity,
  type SittingIdentity,
} from '../access-api';
import { ApiError } from '../api';
import { errorText } from '../error-text';
import { formatDateTime, t } from '../i18n';
import { ISSUED_IN_THE_FUTURE } from '../revocation-i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './booking-password';
import './commissioner-view';
import './operator-view';
import './top-bar';

/**
 * The way into a sitting (`/s/<id>`): exchanges the platform's join token (`?token=`) for the
 * sitting's pass cookie and takes the token out of the address bar, then shows the operator's or
 * the commissioner's page under the name the credentials carry. Staff go to the host console.
 * Refusals (expired or tampered token, removed, no credentials) are explained in words.
 */
@customElement('seduta-sitting-entry')
export class SittingEntry extends SedutaElement {
  static override styles = [sharedStyles, pageStyles];

  @property() sittingId = '';
  /** The join token from `?token=`, or ''. */
  @property() token = '';

  @state() private identity?: SittingIdentity;
  @state() private problem = '';
  /** The link's token had been exchanged before: without a pass, that is what to explain. */
  #tokenUsed = false;
  /** A booked sitting with a password: asked for, then sent with the join token. */
  @state() private password: 'none' | 'asked' | 'wrong' | 'checking' = 'none';
  /** No link with a token and no pass, to a booked sitting: its password and a name let one in. */
  @state() private byPassword = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#enter();
  }

  override render() {
    const who = this.identity;
    if (who?.role === 'operator') {
      return html`<seduta-operator-view
        .sittingId=${this.sittingId}
        .name=${who.name}
      ></seduta-operator-view>`;
    }
    if (who?.role === 'commissioner') {
      return html`<seduta-commissioner-view
        .sittingId=${this.sittingId}
        .name=${who.name}
      ></seduta-commissioner-view>`;
    }
    return html`<seduta-top-bar></seduta-top-bar>
      <main>
        ${
          this.password !== 'none'
            ? html`<seduta-booking-password
                ?wrong=${this.password === 'wrong'}
                ?busy=${this.password === 'checking'}
                ?askName=${this.byPassword}
                @sitting-password=${(e: CustomEvent<MeetingEntry>) => void this.#enter(e.detail)}
              ></seduta-booking-password>`
            : this.problem
              ? html`<div class="alert alert-error" role="alert" data-testid="entry-refused">
                  <p>${this.problem}</p>
                </div>`
              : html`<p role="status" data-testid="entry-checking">${t('entry.checking')}</p>`
        }
      </main>`;
  }

  async #enter(entry?: MeetingEntry): Promise<void> {
    const password = entry?.password;
    try {
      if (this.byPassword && entry) {
        this.password = 'checking';
        await enterWithMeetingPassword(this.sittingId, entry.password, entry.name, entry.company);
        this.password = 'none';
      } else if (this.token) {
        if (password) this.password = 'checking';
        await exchangeJoinToken(this.sittingId, this.token, password).catch((error: unknown) => {
          // A link opened again (another tab, the back button): its pass may still be here.
          if (!(error instanceof ApiError && error.code === 'token_used')) throw error;
          this.#tokenUsed = true;
        });
        this.password = 'none';
        // The token has done its job: out of the address bar and the history.
        history.replaceState(null, '', `/s/${encodeURIComponent(this.sittingId)}`);
      }
      const identity = await sittingIdentity(this.sittingId).catch(async (error: unknown) => {
        // No pass here, and no token: a booked sitting takes its e-mailed password instead.
        if (this.token || !(error instanceof ApiError && error.status === 401)) throw error;
        const { meetingPassword } = await sittingEntry(this.sittingId).catch(() => ({
          meetingPassword: false,
        }));
        if (!meetingPassword) throw error;
        this.byPassword = true;
        this.password = 'asked';
        return undefined;
      });
      if (!identity) return;
      if (identity.role === 'host' || identity.role === 'admin') {
        location.replace(`/host/${encodeURIComponent(this.sittingId)}`);
        return;
      }
      this.identity = identity;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'wrong_password') {
        this.password = password ? 'wrong' : 'asked';
        return;
      }
      this.password = 'none';
      this.problem = this.#explain(error);
    }
  }

  #explain(error: unknown): string {
    if (!(error instanceof ApiError)) return errorText(error);
    if (error.code === 'not_open_yet') {
      // The server names the opening time as an ISO instant: said here in the page's words.
      const opens = /\d{4}-\d{2}-\d{2}T[\d:.]+Z/.exec(error.message)?.[0];
      return opens ? t('booking.notOpenYet', { when: formatDateTime(opens) }) : errorText(error);
    }
    switch (error.status) {
      case 401:
        if (error.code === 'token_used' || this.#tokenUsed) return t('entry.tokenUsed');
        if (error.message.includes(ISSUED_IN_THE_FUTURE)) return t('entry.tokenFuture');
        return this.token
          ? t('entry.tokenRefused', { reason: error.message.replace(/^.*refused: /, '') })
          : t('entry.noPass');
      case 403:
        return t('entry.removed');
      case 404:
      case 400:
        return t('details.notFound');
      case 409:
        return error.message.includes('cancelled') ? t('details.cancelled') : t('details.ended');
      default:
        return errorText(error);
    }
  }
}

/** What the password form sends. */
interface MeetingEntry {
  password: string;
  name: string;
  company: string;
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-sitting-entry': SittingEntry;
  }
}
