import { css, html } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { consume } from '@lit/context';
import type { Grants, ParticipantInfo } from '@seduta/server/protocol';
import { SittingClientController, sittingClientContext } from '../context';
import { errorText } from '../error-text';
import { t, type MessageKey } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import type { ConfirmDialog } from './confirm-dialog';
import { SedutaElement } from './seduta-element';
import './confirm-dialog';

function grantsKey(grants: Grants): MessageKey {
  if (grants.audio && grants.video) return 'speakers.grantsBoth';
  return grants.video ? 'speakers.grantsVideo' : 'speakers.grantsAudio';
}

/**
 * The host's list of operators holding the floor, with what each was granted and whether the host
 * muted them: "end intervention" (the server closes their media at once) and mute / allow the
 * microphone again. Uses the SittingClient from the context.
 */
@customElement('seduta-speaker-list')
export class SpeakerList extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: grid;
        gap: 0.35rem;
        padding: 0.6rem 0;
        border-top: 1px solid var(--sd-color-border);
      }
      li:first-child {
        border-top: 0;
      }
      .who {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 0 0.5rem;
        min-width: 0;
      }
      .name {
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .grants {
        color: var(--sd-color-muted);
        font-size: 0.8rem;
      }
      .muted {
        color: var(--sd-color-danger);
        font-size: 0.8rem;
        font-weight: 600;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.35rem;
      }
      .actions .btn {
        min-height: 2rem;
        padding: 0.25rem 0.6rem;
        font-size: 0.85rem;
      }
      .empty {
        margin: 0;
        color: var(--sd-color-muted);
        font-size: 0.9rem;
      }
      .alert {
        margin-bottom: 0.75rem;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  @state() private busy = false;

  @query('seduta-confirm-dialog') private confirmDialog?: ConfirmDialog;
  @state() private error = '';

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const speakers = (this.client?.participants ?? []).filter((p) => p.hand === 'speaking');
    return html`<section class="card" aria-labelledby="speakers-heading" data-testid="speaker-list">
      <h2 id="speakers-heading">${t('speakers.title')}</h2>
      ${this.error ? html`<div class="alert alert-error" role="alert"><p>${this.error}</p></div>` : null}
      ${
        speakers.length === 0
          ? html`<p class="empty">${t('speakers.empty')}</p>`
          : html`<ul>
              ${repeat(
                speakers,
                (p) => p.id,
                (p) => this.#renderSpeaker(p),
              )}
            </ul>`
      }
      <seduta-confirm-dialog
        testid="revoke-dialog"
        confirm-testid="speaker-revoke-confirm"
      ></seduta-confirm-dialog>
    </section>`;
  }

  #renderSpeaker(p: ParticipantInfo) {
    const name = p.name;
    return html`<li data-testid="speaker-entry" data-participant=${p.id}>
      <div class="who">
        <span class="name" title=${name}>${name}</span>
        <span class="grants">${t(grantsKey(p.grants))}</span>
        ${p.mutedByHost ? html`<span class="muted">${t('participant.muted')}</span>` : null}
      </div>
      <div class="actions">
        <button
          class="btn btn-secondary"
          type="button"
          data-testid="speaker-revoke"
          aria-label=${t('speakers.revokeLabel', { name })}
          ?disabled=${this.busy}
          @click=${() => this.#revoke(p)}
        >
          ${t('speakers.revoke')}
        </button>
        ${
          p.grants.audio
            ? html`<button
                class="btn btn-secondary"
                type="button"
                data-testid="speaker-mute"
                aria-pressed=${p.mutedByHost ? 'true' : 'false'}
                aria-label=${t(p.mutedByHost ? 'speakers.unmuteLabel' : 'speakers.muteLabel', { name })}
                ?disabled=${this.busy}
                @click=${() => this.#run((c) => c.mute(p.id, !p.mutedByHost))}
              >
                ${p.mutedByHost ? t('speakers.unmute') : t('speakers.mute')}
              </button>`
            : null
        }
      </div>
    </li>`;
  }

  /** Taking the floor ends an intervention: the host confirms it first. */
  async #revoke(p: ParticipantInfo): Promise<void> {
    const ok = await this.confirmDialog?.ask({
      title: t('speakers.revokeConfirmTitle', { name: p.name }),
      body: t('speakers.revokeConfirmBody'),
      confirm: t('speakers.revokeConfirm'),
    });
    if (ok) await this.#run((c) => c.revoke(p.id));
  }

  async #run(work: (client: SittingClient) => Promise<void>): Promise<void> {
    const client = this.client;
    if (!client || this.busy) return;
    this.busy = true;
    this.error = '';
    try {
      await work(client);
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-speaker-list': SpeakerList;
  }
}
