import { css, html } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { consume } from '@lit/context';
import type { ParticipantInfo } from '@seduta/server/protocol';
import { SittingClientController, sittingClientContext } from '../context';
import { errorText } from '../error-text';
import { t } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import type { ConfirmDialog } from './confirm-dialog';
import { SedutaElement } from './seduta-element';
import './confirm-dialog';

/**
 * Who is connected to the sitting, from the SittingClient in the context, this client first: name,
 * role, and whether their hand is raised, they hold the floor, or the host muted them. The host
 * can remove an operator or commissioner, after confirming.
 */
@customElement('seduta-participant-list')
export class ParticipantList extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      h2 {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
      }
      .count {
        color: var(--sd-color-muted);
        font-weight: 600;
        font-size: 0.9rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        max-height: 22rem;
        overflow-y: auto;
      }
      li {
        display: flex;
        align-items: center;
        gap: 0.65rem;
        padding: 0.5rem 0;
        border-top: 1px solid var(--sd-color-border);
      }
      li:first-child {
        border-top: 0;
      }
      .avatar {
        flex: none;
        display: grid;
        place-items: center;
        width: 2rem;
        height: 2rem;
        border-radius: 50%;
        background: var(--sd-color-primary-soft);
        color: var(--sd-color-primary-hover);
        font-weight: 700;
        font-size: 0.85rem;
      }
      .who {
        flex: 1;
        min-width: 0;
        display: grid;
      }
      .name {
        overflow-wrap: anywhere;
      }
      .badges {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
      }
      .badges:empty {
        display: none;
      }
      .badge {
        padding: 0 0.4rem;
        border-radius: 4px;
        font-size: 0.75rem;
        font-weight: 600;
      }
      .badge.raised {
        background: var(--sd-color-primary-soft);
        color: var(--sd-color-primary-hover);
      }
      .badge.speaking {
        background: var(--sd-color-success-soft);
        color: var(--sd-color-success);
      }
      .badge.reconnecting {
        color: var(--sd-color-warning);
        background: var(--sd-color-warning-soft);
      }
      .badge.muted {
        background: var(--sd-color-danger-soft);
        color: var(--sd-color-danger);
      }
      .role {
        color: var(--sd-color-muted);
        font-size: 0.8rem;
      }
      .empty {
        margin: 0;
        color: var(--sd-color-muted);
        font-size: 0.9rem;
      }
      .kick {
        min-height: 1.9rem;
        padding: 0.15rem 0.55rem;
        font-size: 0.8rem;
      }
      .alert {
        margin-bottom: 0.75rem;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  @state() private error = '';

  @query('seduta-confirm-dialog') private confirmDialog?: ConfirmDialog;

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const staff = this.client?.role === 'host' || this.client?.role === 'admin';
    const me = this.client?.participantId;
    const all = this.client?.participants ?? [];
    const people = [...all.filter((p) => p.id === me), ...all.filter((p) => p.id !== me)];
    const others = all.filter((p) => p.id !== me).length;
    // The count is of the list it heads (the host included), so the two always agree.
    return html`<section class="card" aria-labelledby="heading">
      <h2 id="heading">
        ${t('host.participants')} <span class="count" data-testid="participant-count">${people.length}</span>
      </h2>
      ${
        people.length === 0
          ? html`<p class="empty">${t('participants.emptyAll')}</p>`
          : others === 0
            ? html`<p class="empty">${t('host.noParticipants')}</p>`
            : null
      }
      ${this.error ? html`<div class="alert alert-error" role="alert"><p>${this.error}</p></div>` : null}
      <ul data-testid="participants">
        ${repeat(
          people,
          (p) => p.id,
          (p) =>
            html`<li data-role=${p.role} data-participant=${p.id} data-hand=${p.hand}>
              <span class="avatar" aria-hidden="true">${initials(p.name)}</span>
              <span class="who">
                <span class="name">${p.name} ${p.id === me ? t('host.you') : ''}</span>
                <span class="badges">
                  <span class="role">${t(`role.${p.role}`)}</span>
                  ${p.hand === 'raised' ? html`<span class="badge raised">${t('participant.handRaised')}</span>` : null}
                  ${p.hand === 'speaking' ? html`<span class="badge speaking">${t('participant.speaking')}</span>` : null}
                  ${p.mutedByHost ? html`<span class="badge muted">${t('participant.muted')}</span>` : null}
                  ${
                    p.reconnecting
                      ? html`<span class="badge reconnecting" data-testid="participant-reconnecting"
                          >${t('participant.reconnecting')}</span
                        >`
                      : null
                  }
                </span>
              </span>
              ${
                staff && p.id !== me && p.role !== 'host' && p.role !== 'admin'
                  ? html`<button
                      class="btn btn-secondary kick"
                      type="button"
                      data-testid="participant-kick"
                      aria-label=${t('participant.kickLabel', { name: p.name })}
                      @click=${() => this.#askKick(p)}
                    >
                      ${t('participant.kick')}
                    </button>`
                  : null
              }
            </li>`,
        )}
      </ul>
      ${this.#renderDialog()}
    </section>`;
  }

  #renderDialog() {
    return html`<seduta-confirm-dialog
      testid="kick-dialog"
      confirm-testid="kick-confirm"
    ></seduta-confirm-dialog>`;
  }

  async #askKick(p: ParticipantInfo): Promise<void> {
    this.error = '';
    const ok = await this.confirmDialog?.ask({
      title: t('participant.kickTitle', { name: p.name }),
      body: t('participant.kickBody'),
      confirm: t('participant.kickConfirm'),
      destructive: true,
    });
    if (!ok) return;
    try {
      await this.client?.kick(p.id);
    } catch (error) {
      this.error = errorText(error);
    }
  }
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase();
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-participant-list': ParticipantList;
  }
}
