import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import {
  createStaffAccount,
  listStaffAccounts,
  resetStaffPassword,
  setStaffAccountEnabled,
  staffSession,
  type StaffAccount,
} from '../admin-api';
import { errorText } from '../error-text';
import { t } from '../i18n';
import { sharedStyles } from '../styles/shared';
import { dataTable, dataTableStyles } from './data-table';
import { SedutaElement } from './seduta-element';

export type { StaffAccount } from '../admin-api';

/** The password rule of staff accounts (server/src/auth/config.ts). */
const MIN_PASSWORD = 12;

/**
 * Staff account management, for administrators (shown on their dashboard): every account with
 * its role and state; create one (name, e-mail, role, initial password); disable, re-enable,
 * set a new password. Each change is audit-logged by the server; the outcome is announced in a
 * live region.
 */
@customElement('seduta-staff-accounts')
export class StaffAccounts extends SedutaElement {
  static override styles = [
    sharedStyles,
    dataTableStyles,
    css`
      :host {
        display: block;
      }
      h2 {
        margin: 0 0 0.5rem;
      }
      h3 {
        margin: 1.5rem 0 0.25rem;
        font-size: 1.05rem;
      }
      form.create {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
        gap: 0.6rem;
        align-items: end;
        margin-top: 1rem;
      }
    `,
  ];

  @state() private users?: StaffAccount[];
  @state() private me = '';
  @state() private resetting = '';
  @state() private busy = false;
  @state() private notice = '';
  @state() private error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  override render() {
    return html`<section class="card" aria-labelledby="staff-title" data-testid="staff-accounts">
      <h2 id="staff-title">${t('staff.title')}</h2>
      <div role="status" aria-live="polite" data-testid="staff-notice">${this.notice}</div>
      ${this.error ? html`<div class="alert alert-error" role="alert" data-testid="staff-error"><p>${this.error}</p></div>` : nothing}
      ${this.users === undefined ? html`<p class="muted">${t('staff.loading')}</p>` : this.#renderTable(this.users)}
      ${this.#renderCreate()}
    </section>`;
  }

  #renderTable(users: StaffAccount[]) {
    return dataTable({
      testid: 'staff-table',
      headers: [t('staff.name'), t('staff.email'), t('staff.role'), t('staff.state'), t('staff.actions')],
      rows: users,
      key: (u) => u.id,
      row: (u) =>
        html`<tr data-testid="staff-row" data-email=${u.email} data-disabled=${String(u.disabled)}>
          <td>${u.name}</td>
          <td>${u.email}</td>
          <td>${u.role === 'admin' ? t('staff.roleAdmin') : t('staff.roleHost')}</td>
          <td>${u.disabled ? t('staff.disabled') : t('staff.active')}</td>
          <td>${this.#renderActions(u)}</td>
        </tr>`,
      empty: html`<p class="muted">${t('staff.empty')}</p>`,
    });
  }

  #renderActions(u: StaffAccount) {
    const label = (key: 'staff.disable' | 'staff.enable' | 'staff.reset') => `${t(key)}: ${u.name}`;
    return html`<div class="row">
        ${
          u.id === this.me
            ? html`<span class="muted">${t('staff.you')}</span>`
            : u.disabled
              ? html`<button
                  class="btn btn-secondary"
                  type="button"
                  aria-label=${label('staff.enable')}
                  data-testid="staff-enable"
                  ?disabled=${this.busy}
                  @click=${() => this.#change(u, 'enable')}
                >
                  ${t('staff.enable')}
                </button>`
              : html`<button
                  class="btn btn-secondary"
                  type="button"
                  aria-label=${label('staff.disable')}
                  data-testid="staff-disable"
                  ?disabled=${this.busy}
                  @click=${() => this.#change(u, 'disable')}
                >
                  ${t('staff.disable')}
                </button>`
        }
        <button
          class="btn btn-secondary"
          type="button"
          aria-label=${label('staff.reset')}
          aria-expanded=${String(this.resetting === u.id)}
          data-testid="staff-reset"
          @click=${() => (this.resetting = this.resetting === u.id ? '' : u.id)}
        >
          ${t('staff.reset')}
        </button>
      </div>
      ${
        this.resetting === u.id
          ? html`<form
              class="row"
              @submit=${(e: Event) => this.#onReset(e, u)}
              data-testid="staff-reset-form"
            >
              <label for="pw-${u.id}">${t('staff.newPassword')}</label>
              <input
                id="pw-${u.id}"
                name="password"
                type="password"
                autocomplete="new-password"
                minlength=${MIN_PASSWORD}
                required
                data-testid="staff-reset-password"
              />
              <button class="btn btn-primary" type="submit" ?disabled=${this.busy}>${t('staff.save')}</button>
            </form>`
          : nothing
      }`;
  }

  #renderCreate() {
    return html`<h3 id="staff-create-title">${t('staff.createTitle')}</h3>
      <p class="hint">${t('staff.createHint')}</p>
      <form
        class="create"
        aria-labelledby="staff-create-title"
        @submit=${this.#onCreate}
        data-testid="staff-create"
      >
        <div class="field">
          <label for="staff-name">${t('staff.name')}</label>
          <input id="staff-name" name="name" maxlength="80" required data-testid="staff-create-name" />
        </div>
        <div class="field">
          <label for="staff-email">${t('staff.email')}</label>
          <input id="staff-email" name="email" type="email" required data-testid="staff-create-email" />
        </div>
        <div class="field">
          <label for="staff-role">${t('staff.role')}</label>
          <select id="staff-role" name="role" data-testid="staff-create-role">
            <option value="host">${t('staff.roleHost')}</option>
            <option value="admin">${t('staff.roleAdmin')}</option>
          </select>
        </div>
        <div class="field">
          <label for="staff-password">${t('staff.initialPassword')}</label>
          <input
            id="staff-password"
            name="password"
            type="password"
            autocomplete="new-password"
            minlength=${MIN_PASSWORD}
            required
            aria-describedby="staff-password-rule"
            data-testid="staff-create-password"
          />
          <span id="staff-password-rule" class="hint">${t('setup.passwordRule', { min: MIN_PASSWORD })}</span>
        </div>
        <div class="row">
          <button
            class="btn btn-primary"
            type="submit"
            ?disabled=${this.busy}
            data-testid="staff-create-submit"
          >
            ${t('staff.create')}
          </button>
        </div>
      </form>`;
  }

  async #load(): Promise<void> {
    try {
      const me = await staffSession();
      this.me = me?.id ?? '';
      this.users = await listStaffAccounts();
    } catch (error) {
      this.error = errorText(error);
    }
  }

  async #run(action: () => Promise<string>): Promise<void> {
    this.busy = true;
    this.error = '';
    this.notice = '';
    try {
      const notice = await action();
      this.users = await listStaffAccounts();
      this.notice = notice;
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  async #change(u: StaffAccount, action: 'disable' | 'enable'): Promise<void> {
    await this.#run(async () => {
      await setStaffAccountEnabled(u.id, action === 'enable');
      return t(action === 'disable' ? 'staff.disabledNotice' : 'staff.enabledNotice', { name: u.name });
    });
  }

  async #onReset(event: Event, u: StaffAccount): Promise<void> {
    event.preventDefault();
    const password = String(new FormData(event.target as HTMLFormElement).get('password') ?? '');
    await this.#run(async () => {
      await resetStaffPassword(u.id, password);
      this.resetting = '';
      return t('staff.resetNotice', { name: u.name });
    });
  }

  async #onCreate(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const field = (name: string) => String(data.get(name) ?? '');
    await this.#run(async () => {
      const name = field('name').trim();
      await createStaffAccount({
        name,
        email: field('email').trim(),
        role: field('role') === 'admin' ? 'admin' : 'host',
        password: field('password'),
      });
      form.reset();
      return t('staff.createdNotice', { name });
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-staff-accounts': StaffAccounts;
  }
}
