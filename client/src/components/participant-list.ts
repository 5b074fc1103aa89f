import { css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { consume } from '@lit/context';
import { SittingClientController, sittingClientContext } from '../context';
import { t } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/**
 * Who is connected to the sitting, from the SittingClient in the context, this client first.
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
      .name {
        flex: 1;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
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
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const me = this.client?.participantId;
    const all = this.client?.participants ?? [];
    const people = [...all.filter((p) => p.id === me), ...all.filter((p) => p.id !== me)];
    const others = all.filter((p) => p.id !== me).length;
    return html`<section class="card" aria-labelledby="heading">
      <h2 id="heading">
        ${t('host.participants')} <span class="count" data-testid="participant-count">${others}</span>
      </h2>
      ${others === 0 ? html`<p class="empty">${t('host.noParticipants')}</p>` : null}
      <ul data-testid="participants">
        ${repeat(
          people,
          (p) => p.id,
          (p) =>
            html`<li data-role=${p.role}>
              <span class="avatar" aria-hidden="true">${initials(p.name)}</span>
              <span class="name">${p.name} ${p.id === me ? t('host.you') : ''}</span>
              <span class="role">${t(`role.${p.role}`)}</span>
            </li>`,
        )}
      </ul>
    </section>`;
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
