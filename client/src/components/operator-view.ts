import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { provide } from '@lit/context';
import type { SittingInfo } from '@seduta/server/protocol';
import { ApiError, fetchSitting } from '../api';
import { SittingClientController, sittingClientContext } from '../context';
import { exposeDiagnostics } from '../diagnostics';
import { errorText } from '../error-text';
import { t } from '../i18n';
import { removedKey } from '../revocation-i18n';
import { SittingClient } from '../sitting-client';
import { pageStyles, sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './chat-panel';
import './hand-controls';
import './sitting-details';
import './connection-status';
import './live-announcer';
import './recording-indicator';
import './recording-notice';
import './stage';
import './status-badge';
import './top-bar';

/** While the signalling socket is not connected, the details page polls the sitting this often. */
const POLL_MS = 4000;
const NAME_KEY = 'seduta.operatorName';

/**
 * An operator's page for one sitting (`/s/<id>`): the details page with the name field and the
 * join button (enabled only while the sitting is live, live-updated), then the stage with volume
 * and "leave"; back to the details page, with a message, when the sitting ends.
 */
@customElement('seduta-operator-view')
export class OperatorView extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      .messages {
        display: grid;
        gap: 0.75rem;
        margin-bottom: 1.25rem;
      }
      form {
        display: grid;
        gap: 0.4rem;
        padding-top: 1.25rem;
        border-top: 1px solid var(--sd-color-border);
      }
      form .btn {
        margin-top: 0.9rem;
        justify-self: start;
      }
      .heading {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        min-width: 0;
      }
      .heading strong {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 1rem 1.5rem;
        margin-top: 1rem;
        padding: 0.75rem 1rem;
        background: var(--sd-color-surface);
        border: 1px solid var(--sd-color-border);
        border-radius: var(--sd-radius);
      }
      .volume {
        display: flex;
        align-items: center;
        gap: 0.6rem;
      }
      .volume input {
        width: 9rem;
        accent-color: var(--sd-color-primary);
      }
      .spacer {
        flex: 1;
      }
      .error {
        margin-top: 1rem;
      }
      .watch {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 22rem;
        gap: 1.25rem;
        align-items: start;
      }
      .side {
        display: grid;
        gap: 1.25rem;
      }
      @media (max-width: 960px) {
        .watch {
          grid-template-columns: minmax(0, 1fr);
        }
      }
    `,
  ];

  @property() sittingId = '';
  /** Display name, from the join token or invitation (the server uses that one; read-only here). */
  @property() name = '';

  @provide({ context: sittingClientContext })
  @state()
  client?: SittingClient;

  @state() private fetched?: SittingInfo;
  @state() private notFound = false;
  @state() private nameInput = '';
  @state() private joining = false;
  @state() private error = '';
  @state() private volume = 1;

  protected readonly clientController = new SittingClientController(this, () => this.client);
  #hideDiagnostics?: () => void;
  #poll: ReturnType<typeof setInterval> | undefined;
  #abort?: AbortController;

  override connectedCallback(): void {
    super.connectedCallback();
    this.nameInput = this.name || savedName();
    const client = new SittingClient({ sittingId: this.sittingId, name: this.nameInput.trim() || undefined });
    this.client = client;
    this.#hideDiagnostics = exposeDiagnostics(client);
    // Without a name the server refuses the socket: poll the details until the operator joins.
    if (this.nameInput.trim()) client.connect();
    void this.#refresh();
    this.#poll = setInterval(() => {
      if (this.client?.connection !== 'connected') void this.#refresh();
    }, POLL_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#poll);
    this.#abort?.abort();
    this.#hideDiagnostics?.();
    this.client?.close();
    this.client = undefined;
  }

  override render() {
    const sitting = this.client?.sitting ?? this.fetched;
    const phase = this.client?.phase;
    const watching = phase === 'joined' && sitting?.status === 'live';
    return html`<seduta-top-bar>
        ${
          sitting
            ? html`<div class="heading">
                <strong>${sitting.title}</strong>
                ${watching ? html`<seduta-status-badge .status=${sitting.status}></seduta-status-badge>` : nothing}
                <seduta-recording-indicator></seduta-recording-indicator>
              </div>`
            : nothing
        }
      </seduta-top-bar>
      <main class=${watching ? 'watching' : ''}>
        <seduta-live-announcer></seduta-live-announcer>
        <seduta-connection-status></seduta-connection-status>
        ${watching ? this.#renderStage() : this.#renderDetails(sitting)}
      </main>`;
  }

  #renderDetails(sitting: SittingInfo | undefined) {
    if (this.notFound) {
      return html`<div class="alert alert-error" role="alert" data-testid="not-found">
        <p>${t('details.notFound')}</p>
      </div>`;
    }
    const canJoinStatus = sitting?.status === 'live';
    const disabled = !canJoinStatus || !this.nameInput.trim() || this.joining;
    return html`<seduta-sitting-details .sitting=${sitting}>
      <div class="messages">${sitting ? this.#renderMessages(sitting) : nothing}</div>
      ${
        sitting && (sitting.status === 'scheduled' || sitting.status === 'live')
          ? html`<form @submit=${this.#onJoin} novalidate>
              <label for="name">${t('details.nameLabel')}</label>
              <input
                id="name"
                type="text"
                autocomplete="name"
                maxlength="80"
                readonly
                data-testid="name-input"
                aria-describedby="name-hint"
                .value=${this.nameInput}
                @input=${this.#onNameInput}
              />
              <p class="hint" id="name-hint">${t('details.nameFromLink')}</p>
              ${
                canJoinStatus && this.client?.recordingNoticeRequired
                  ? html`<seduta-recording-notice @accept=${this.#onAcceptNotice}></seduta-recording-notice>`
                  : html`<button
                      class="btn btn-primary btn-large"
                      type="submit"
                      data-testid="join"
                      ?disabled=${disabled}
                    >
                      ${this.joining ? t('details.joining') : t('details.join')}
                    </button>`
              }
            </form>`
          : nothing
      }
      ${this.#renderError()}
    </seduta-sitting-details>`;
  }

  #renderMessages(sitting: SittingInfo) {
    const phase = this.client?.phase;
    const alert = (kind: string, text: string, testid: string) =>
      html`<div class="alert alert-${kind}" role="status" data-testid=${testid}><p>${text}</p></div>`;
    switch (sitting.status) {
      case 'ended':
        return alert('info', t('details.ended'), 'ended-message');
      case 'cancelled':
        return alert('warning', t('details.cancelled'), 'cancelled-message');
      case 'scheduled':
        return alert('warning', t('details.waiting'), 'waiting-message');
      case 'live':
        if (phase === 'removed')
          return alert('error', t(removedKey(this.client?.removedReason)), 'removed-message');
        if (phase === 'left') return alert('info', t('details.left'), 'left-message');
        return alert('success', t('details.live'), 'live-message');
      default:
        return nothing;
    }
  }

  #renderStage() {
    return html`<div class="watch">
      <div>${this.#renderPlayer()}</div>
      <aside class="side">
        <seduta-hand-controls></seduta-hand-controls>
        <seduta-chat-panel></seduta-chat-panel>
      </aside>
    </div>`;
  }

  #renderPlayer() {
    return html`<seduta-stage .volume=${this.volume}></seduta-stage>
      <div class="toolbar">
        <div class="volume">
          <label for="volume">${t('stage.volume')}</label>
          <input
            id="volume"
            type="range"
            min="0"
            max="100"
            step="5"
            data-testid="volume"
            .value=${String(Math.round(this.volume * 100))}
            @input=${this.#onVolume}
          />
        </div>
        <span class="spacer"></span>
        <button class="btn btn-secondary" type="button" data-testid="leave" @click=${this.#onLeave}>
          ${t('stage.leave')}
        </button>
      </div>
      ${this.#renderError()}`;
  }

  #renderError() {
    if (!this.error) return nothing;
    return html`<div class="alert alert-error error" role="alert" data-testid="error">
      <p>${this.error}</p>
      <button class="btn btn-secondary" type="button" @click=${() => (this.error = '')}>
        ${t('error.dismiss')}
      </button>
    </div>`;
  }

  async #refresh(): Promise<void> {
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    try {
      this.fetched = await fetchSitting(this.sittingId, abort.signal);
      this.notFound = false;
    } catch (error) {
      if (abort.signal.aborted) return;
      if (error instanceof ApiError && (error.status === 404 || error.status === 400)) this.notFound = true;
    }
  }

  #onNameInput(event: Event): void {
    this.nameInput = (event.target as HTMLInputElement).value;
  }

  async #onJoin(event: Event): Promise<void> {
    event.preventDefault();
    const name = this.nameInput.trim();
    const client = this.client;
    if (!client || !name || this.joining) return;
    this.joining = true;
    this.error = '';
    try {
      await client.join(name);
      saveName(name);
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.joining = false;
    }
  }

  /** The operator read the recording notice: the join says so to the server (audit-logged there). */
  readonly #onAcceptNotice = (event: Event): void => {
    this.client?.acknowledgeRecordingNotice();
    void this.#onJoin(event);
  };

  #onVolume(event: Event): void {
    this.volume = Number((event.target as HTMLInputElement).value) / 100;
  }

  async #onLeave(): Promise<void> {
    await this.client?.leave();
  }
}

function savedName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // Only a convenience for the next visit.
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-operator-view': OperatorView;
  }
}
