import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { provide } from '@lit/context';
import type { SittingInfo } from '@seduta/server/protocol';
import { SittingClientController, sittingClientContext } from '../context';
import { runSittingClient } from '../diagnostics';
import { errorText } from '../error-text';
import { t } from '../i18n';
import { removedKey } from '../revocation-i18n';
import { SittingClient } from '../sitting-client';
import { pageStyles, sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './chat-panel';
import './connection-status';
import './live-announcer';
import './recording-indicator';
import './recording-notice';
import './sitting-details';
import './stage';
import './status-badge';
import './top-bar';

/**
 * A commissioner's page for a sitting they were invited to: the details with the join button
 * (usable while the sitting is live; while it is recorded, the recording notice comes first and
 * accepting it joins), then the stage (the host and the other commissioners),
 * their own camera and microphone with on/off toggles, the chat, and "leave".
 */
@customElement('seduta-commissioner-view')
export class CommissionerView extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      .watch {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 340px;
        gap: 1.25rem;
      }
      @media (max-width: 960px) {
        .watch {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        margin-top: 0.75rem;
      }
      .messages {
        display: grid;
        gap: 0.75rem;
        margin-bottom: 1.25rem;
      }
      .heading {
        display: flex;
        align-items: center;
        gap: 0.75rem;
      }
    `,
  ];

  @property() sittingId = '';
  /** The name from the invitation. */
  @property() name = '';

  @provide({ context: sittingClientContext })
  @state()
  client?: SittingClient;

  @state() private joining = false;
  @state() private error = '';

  protected readonly clientController = new SittingClientController(this, () => this.client);
  #stopClient?: () => void;

  override connectedCallback(): void {
    super.connectedCallback();
    const client = new SittingClient({ sittingId: this.sittingId, name: this.name });
    this.client = client;
    this.#stopClient = runSittingClient(client, (text) => (this.error = text));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopClient?.();
    this.client = undefined;
  }

  override render() {
    const sitting = this.client?.sitting;
    const watching = this.client?.phase === 'joined' && sitting?.status === 'live';
    return html`<seduta-top-bar context=${t('commissioner.role')}>
        ${
          sitting
            ? html`<div class="heading">
                <strong>${sitting.title}</strong>
                <seduta-status-badge data-testid="status" .status=${sitting.status}></seduta-status-badge>
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
    const live = sitting?.status === 'live';
    return html`<seduta-sitting-details .sitting=${sitting}>
      <div class="messages">${sitting ? this.#renderMessage(sitting) : nothing}</div>
      ${
        sitting && (sitting.status === 'scheduled' || live)
          ? html`<p class="hint">${t('commissioner.hint')}</p>
              <p><strong data-testid="own-name">${this.name}</strong></p>
              ${
                live && this.client?.recordingNoticeRequired
                  ? html`<seduta-recording-notice @accept=${this.#onAcceptNotice}></seduta-recording-notice>`
                  : html`<button
                      class="btn btn-primary btn-large"
                      type="button"
                      data-testid="join"
                      ?disabled=${!live || this.joining}
                      @click=${this.#onJoin}
                    >
                      ${this.joining ? t('details.joining') : t('commissioner.join')}
                    </button>`
              }`
          : nothing
      }
      ${this.#renderError()}
    </seduta-sitting-details>`;
  }

  #renderMessage(sitting: SittingInfo) {
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
        if (this.client?.phase === 'removed')
          return alert('error', t(removedKey(this.client.removedReason)), 'removed-message');
        return alert('success', t('details.live'), 'live-message');
      default:
        return nothing;
    }
  }

  #renderStage() {
    const mic = this.client?.local.get('microphone');
    const camera = this.client?.local.get('camera');
    return html`<div class="watch">
      <div>
        <seduta-stage></seduta-stage>
        <div class="toolbar">
          <button class="btn btn-secondary" type="button" data-testid="mic-toggle" @click=${this.#onMic}>
            ${mic && !mic.muted ? t('host.micOn') : t('host.micOff')}
          </button>
          <button
            class="btn btn-secondary"
            type="button"
            data-testid="camera-toggle"
            @click=${this.#onCamera}
          >
            ${camera ? t('host.cameraOn') : t('host.cameraOff')}
          </button>
          <button class="btn btn-secondary" type="button" data-testid="leave" @click=${this.#onLeave}>
            ${t('stage.leave')}
          </button>
        </div>
        ${this.#renderError()}
      </div>
      <aside><seduta-chat-panel></seduta-chat-panel></aside>
    </div>`;
  }

  #renderError() {
    if (!this.error) return nothing;
    return html`<div class="alert alert-error" role="alert" data-testid="error">
      <p>${this.error}</p>
      <button class="btn btn-secondary" type="button" @click=${() => (this.error = '')}>
        ${t('error.dismiss')}
      </button>
    </div>`;
  }

  async #onJoin(): Promise<void> {
    const client = this.client;
    if (!client || this.joining) return;
    this.joining = true;
    this.error = '';
    try {
      // The browser asks for consent here; a refusal still lets the commissioner watch and chat.
      await Promise.allSettled([client.startMicrophone(), client.startCamera()]);
      await client.join();
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.joining = false;
    }
  }

  /** The commissioner read the recording notice: the join says so to the server (audit-logged there). */
  readonly #onAcceptNotice = (): void => {
    this.client?.acknowledgeRecordingNotice();
    void this.#onJoin();
  };

  async #onMic(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const mic = client.local.get('microphone');
    try {
      if (!mic) await client.startMicrophone();
      else await client.setMicrophoneMuted(!mic.muted);
    } catch (error) {
      this.error = errorText(error);
    }
  }

  async #onCamera(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      if (client.local.get('camera')) await client.stopCamera();
      else await client.startCamera();
    } catch (error) {
      this.error = errorText(error);
    }
  }

  async #onLeave(): Promise<void> {
    await this.client?.leave();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-commissioner-view': CommissionerView;
  }
}
