import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { SittingKind } from '@seduta/server/protocol';
import {
  createSitting,
  currentStaff,
  invite,
  listInvites,
  listSittings,
  revokeInvite,
  signIn,
  signOut,
  type Invite,
  type StaffSitting,
  type StaffUser,
} from '../access-api';
import { errorText, signInErrorText } from '../error-text';
import { formatDateTime, t } from '../i18n';
import { pageStyles, sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './register-links';
import './setup-hint';
import './staff-accounts';
import './status-badge';
import './top-bar';

/**
 * The staff's home (`/host`): the sign-in form, then the sittings this host runs (an admin: all),
 * a form to create one, and for each sitting the link to its console, for admins the link to its
 * recordings, and the commissioners' invitations, whose personal links are always shown to copy
 * (and e-mailed when SMTP is set).
 */
@customElement('seduta-host-dashboard')
export class HostDashboard extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      :host {
        --sd-page-width: 960px;
      }
      main {
        display: grid;
        gap: 1.25rem;
        align-content: start;
      }
      form {
        display: grid;
        gap: 0.4rem;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        align-items: center;
      }
      .grow {
        flex: 1;
        min-width: 12rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.75rem;
      }
      .sitting-head {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: center;
        justify-content: space-between;
      }
      .muted {
        color: var(--sd-color-muted);
      }
      details {
        margin-top: 0.75rem;
      }
      .invite {
        display: grid;
        gap: 0.3rem;
        padding: 0.6rem 0;
        border-top: 1px solid var(--sd-color-border);
      }
    `,
  ];

  /** undefined while loading, null when signed out. */
  @state() private user?: StaffUser | null;
  @state() private sittings: StaffSitting[] = [];
  @state() private invites: Record<string, Invite[]> = {};
  @state() private notice: Record<string, string> = {};
  @state() private busy = false;
  @state() private error = '';
  @state() private copied = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  override render() {
    return html`<seduta-top-bar context=${t('host.console')}></seduta-top-bar>
      <main>
        ${this.user === undefined ? html`<p role="status">${t('entry.checking')}</p>` : nothing}
        ${this.user === null ? this.#renderSignIn() : nothing}
        ${this.user ? this.#renderDashboard(this.user) : nothing}
      </main>`;
  }

  #renderSignIn() {
    return html`<seduta-setup-hint></seduta-setup-hint>
      <section class="card">
        <h2>${t('access.title')}</h2>
        <form @submit=${this.#onSignIn} data-testid="login-form">
          <label for="email">${t('access.email')}</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="username"
            required
            data-testid="login-email"
          />
          <label for="password">${t('access.password')}</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            data-testid="login-password"
          />
          <div class="row">
            <button class="btn btn-primary" type="submit" data-testid="login-submit" ?disabled=${this.busy}>
              ${this.busy ? t('access.signingIn') : t('access.signIn')}
            </button>
          </div>
          ${this.#renderError()}
        </form>
      </section>`;
  }

  #renderDashboard(user: StaffUser) {
    return html`<div class="row">
        <span class="grow muted" data-testid="signed-in-as"
          >${t('access.signedInAs', { name: user.name })}</span
        >
        <a class="btn btn-secondary" href="/bookings" data-testid="open-bookings"
          >${user.role === 'admin' ? t('booking.open') : t('booking.mineTitle')}</a
        >
        ${
          user.role === 'admin'
            ? html`<a class="btn btn-secondary" href="/admin/audit" data-testid="open-audit"
                >${t('dashboard.audit')}</a
              >`
            : nothing
        }
        ${
          user.role === 'admin'
            ? html`<a class="btn btn-secondary" href="/admin/webhooks" data-testid="open-webhooks"
                >${t('dashboard.webhooks')}</a
              >`
            : nothing
        }
        <button class="btn btn-secondary" type="button" data-testid="sign-out" @click=${this.#onSignOut}>
          ${t('access.signOut')}
        </button>
      </div>
      <section class="card">
        <h2>${t('dashboard.create')}</h2>
        <form @submit=${this.#onCreate} data-testid="create-form">
          <label for="title">${t('dashboard.subject')}</label>
          <input id="title" name="title" maxlength="300" required data-testid="create-title" />
          <label for="kind">${t('dashboard.kind')}</label>
          <select id="kind" name="kind" data-testid="create-kind">
            <option value="public">${t('kind.public')}</option>
            <option value="reserved">${t('kind.reserved')}</option>
          </select>
          <label for="scheduled">${t('dashboard.scheduledAt')}</label>
          <input id="scheduled" name="scheduledAt" type="datetime-local" />
          <div class="row">
            <button class="btn btn-primary" type="submit" data-testid="create-submit" ?disabled=${this.busy}>
              ${t('dashboard.createButton')}
            </button>
          </div>
        </form>
        ${this.#renderError()}
      </section>
      <section>
        <h2>${user.role === 'admin' ? t('dashboard.titleAdmin') : t('dashboard.title')}</h2>
        ${
          this.sittings.length === 0
            ? html`<p class="muted" data-testid="dashboard-empty">${t('dashboard.empty')}</p>`
            : html`<ul>
                ${this.sittings.map((s) => this.#renderSitting(s))}
              </ul>`
        }
      </section>
      ${user.role === 'admin' ? html`<seduta-staff-accounts></seduta-staff-accounts>` : nothing}`;
  }

  #renderSitting(sitting: StaffSitting) {
    const invites = this.invites[sitting.id];
    const over = sitting.status === 'ended' || sitting.status === 'cancelled';
    return html`<li class="card" data-testid="sitting" data-sitting-id=${sitting.id}>
      <div class="sitting-head">
        <div>
          <strong>${sitting.title}</strong>
          <div class="muted">
            ${sitting.kind === 'reserved' ? t('kind.reserved') : t('kind.public')}
            ${sitting.scheduledAt ? html` · ${formatDateTime(sitting.scheduledAt)}` : nothing}
          </div>
        </div>
        <div class="row">
          <seduta-status-badge .status=${sitting.status}></seduta-status-badge>
          <a
            class="btn btn-primary"
            href=${`/host/${encodeURIComponent(sitting.id)}`}
            data-testid="open-console"
          >
            ${t('dashboard.open')}
          </a>
          ${
            this.user?.canListRecordings
              ? html`<a
                  class="btn btn-secondary"
                  href=${`/host/${encodeURIComponent(sitting.id)}/recordings`}
                  aria-label=${t('dashboard.recordingsLabel', { title: sitting.title })}
                  data-testid="open-recordings"
                >
                  ${t('dashboard.recordings')}
                </a>`
              : nothing
          }
          <seduta-register-links compact .sitting=${sitting}></seduta-register-links>
        </div>
      </div>
      ${sitting.kind === 'public' ? html`<p class="muted">${t('dashboard.operatorsLink')}</p>` : nothing}
      <details @toggle=${(e: Event) => this.#onToggle(e, sitting.id)} ?open=${sitting.kind === 'reserved'}>
        <summary>${t('dashboard.invites')}</summary>
        ${
          invites === undefined
            ? nothing
            : invites.length === 0
              ? html`<p class="muted">${t('dashboard.noInvites')}</p>`
              : invites.map((i) => this.#renderInvite(sitting.id, i))
        }
        ${this.notice[sitting.id] ? html`<p role="status" data-testid="invite-notice">${this.notice[sitting.id]}</p>` : nothing}
        ${
          over
            ? nothing
            : html`<form @submit=${(e: Event) => this.#onInvite(e, sitting.id)} data-testid="invite-form">
                <div class="row">
                  <input
                    class="grow"
                    name="name"
                    maxlength="80"
                    required
                    aria-label=${t('dashboard.inviteName')}
                    placeholder=${t('dashboard.inviteName')}
                    data-testid="invite-name"
                  />
                  <input
                    class="grow"
                    name="email"
                    type="email"
                    required
                    aria-label=${t('dashboard.inviteEmail')}
                    placeholder=${t('dashboard.inviteEmail')}
                    data-testid="invite-email"
                  />
                  <button
                    class="btn btn-secondary"
                    type="submit"
                    data-testid="invite-submit"
                    ?disabled=${this.busy}
                  >
                    ${t('dashboard.inviteButton')}
                  </button>
                </div>
              </form>`
        }
      </details>
    </li>`;
  }

  #renderInvite(sittingId: string, i: Invite) {
    return html`<div class="invite" data-testid="invite">
      <div><strong>${i.name}</strong> <span class="muted">${i.email}</span></div>
      ${
        i.link
          ? html`<div class="row">
              <input class="grow" readonly .value=${i.link} aria-label=${i.name} data-testid="invite-link" />
              <button class="btn btn-secondary" type="button" @click=${() => this.#copy(i.link!)}>
                ${this.copied === i.link ? t('dashboard.copied') : t('dashboard.copy')}
              </button>
              <button class="btn btn-secondary" type="button" @click=${() => this.#onRevoke(sittingId, i.id)}>
                ${t('dashboard.revoke')}
              </button>
            </div>`
          : html`<span class="muted">${t('dashboard.revoked')}</span>`
      }
    </div>`;
  }

  #renderError() {
    if (!this.error) return nothing;
    return html`<div class="alert alert-error" role="alert" data-testid="error"><p>${this.error}</p></div>`;
  }

  async #load(): Promise<void> {
    try {
      this.user = (await currentStaff()) ?? null;
      if (this.user) await this.#refresh();
    } catch (error) {
      this.user = null;
      this.error = errorText(error);
    }
  }

  async #refresh(): Promise<void> {
    this.sittings = await listSittings();
    await Promise.all(this.sittings.filter((s) => s.kind === 'reserved').map((s) => this.#loadInvites(s.id)));
  }

  /** The latest invitations request per sitting: an older answer arriving later is dropped. */
  readonly #invitesRequest = new Map<string, number>();

  async #loadInvites(sittingId: string): Promise<void> {
    const request = (this.#invitesRequest.get(sittingId) ?? 0) + 1;
    this.#invitesRequest.set(sittingId, request);
    const invites = await listInvites(sittingId);
    if (this.#invitesRequest.get(sittingId) !== request) return;
    this.invites = { ...this.invites, [sittingId]: invites };
  }

  async #run(action: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      await action();
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  async #onSignIn(event: Event): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    this.busy = true;
    this.error = '';
    try {
      this.user = await signIn(String(data.get('email') ?? ''), String(data.get('password') ?? ''));
    } catch (error) {
      // The sign-in form's own words: a wrong password is not a bad link.
      this.error = signInErrorText(error);
      return;
    } finally {
      this.busy = false;
    }
    await this.#run(() => this.#refresh());
  }

  async #onSignOut(): Promise<void> {
    await signOut();
    this.user = null;
    this.sittings = [];
  }

  async #onCreate(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const when = String(data.get('scheduledAt') ?? '');
    await this.#run(async () => {
      await createSitting({
        title: String(data.get('title') ?? '').trim(),
        kind: String(data.get('kind')) as SittingKind,
        ...(when ? { scheduledAt: new Date(when).toISOString() } : {}),
      });
      form.reset();
      await this.#refresh();
    });
  }

  async #onToggle(event: Event, sittingId: string): Promise<void> {
    if ((event.target as HTMLDetailsElement).open && this.invites[sittingId] === undefined) {
      await this.#loadInvites(sittingId).catch((error: unknown) => (this.error = errorText(error)));
    }
  }

  async #onInvite(event: Event, sittingId: string): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    await this.#run(async () => {
      const email = String(data.get('email') ?? '').trim();
      const result = await invite(sittingId, { email, name: String(data.get('name') ?? '').trim() });
      const notice =
        result.delivery === 'email'
          ? t('dashboard.inviteSent', { email })
          : t('dashboard.inviteLinkOnly', { email });
      form.reset();
      // The notice and the updated list appear together.
      await this.#loadInvites(sittingId);
      this.notice = { ...this.notice, [sittingId]: notice };
    });
  }

  async #onRevoke(sittingId: string, inviteId: string): Promise<void> {
    await this.#run(async () => {
      await revokeInvite(sittingId, inviteId);
      await this.#loadInvites(sittingId);
    });
  }

  async #copy(link: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(link);
      this.copied = link;
      setTimeout(() => (this.copied = ''), 2000);
    } catch {
      // Clipboard refused: the field is selectable by hand.
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-host-dashboard': HostDashboard;
  }
}
