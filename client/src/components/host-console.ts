import { css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { provide } from '@lit/context';
import type { SittingInfo } from '@seduta/server/protocol';
import { createOperatorLink, MAX_PARTICIPANT_NAME, operatorDisplayName } from '../admin-api';
import { SittingClientController, sittingClientContext } from '../context';
import { runSittingClient } from '../diagnostics';
import { errorText } from '../error-text';
import { formatDateTime, formatTime, t, type MessageKey } from '../i18n';
import { removedKey } from '../revocation-i18n';
import { SittingClient } from '../sitting-client';
import { pageStyles, sharedStyles } from '../styles/shared';
import type { ConfirmDialog } from './confirm-dialog';
import { SedutaElement } from './seduta-element';
import './chat-panel';
import './confirm-dialog';
import './recording-controls';
import './connection-status';
import './recording-indicator';
import './hand-queue';
import './participant-list';
import './speaker-list';
import './speaker-strip';
import './status-badge';
import './top-bar';
import './video-tile';

/**
 * The host's console for one sitting (`/host/<id>#key=…`): start the sitting (camera and
 * microphone go live), share the screen, mute, stop the camera, see who is connected, give an
 * operator a personal link (public sittings; reserved ones send the host to the invitations),
 * end the sitting (after a confirmation).
 */
@customElement('seduta-host-console')
export class HostConsole extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      :host {
        --sd-page-width: 1280px;
      }
      main {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 22rem;
        gap: 1.25rem;
        padding: 1.25rem;
        align-items: start;
      }
      @media (max-width: 960px) {
        main {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .title {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        min-width: 0;
      }
      .title strong {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .preview {
        position: relative;
        aspect-ratio: 16 / 9;
        background: var(--sd-color-stage);
        border-radius: var(--sd-radius);
        overflow: hidden;
        box-shadow: var(--sd-shadow);
      }
      .preview .main {
        position: absolute;
        inset: 0;
        border-radius: 0;
      }
      .preview .pip {
        position: absolute;
        right: 1rem;
        bottom: 1rem;
        width: min(24%, 300px);
        aspect-ratio: 4 / 3;
        border: 2px solid rgb(255 255 255 / 85%);
      }
      .placeholder {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        padding: 2rem;
        text-align: center;
        color: #dfe6ee;
      }
      .placeholder p {
        max-width: 34rem;
        margin: 0 auto 1.25rem;
        color: #b4c0cc;
      }
      .controls {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        align-items: center;
        margin-top: 1rem;
        padding: 0.75rem 1rem;
        background: var(--sd-color-surface);
        border: 1px solid var(--sd-color-border);
        border-radius: var(--sd-radius);
      }
      .spacer {
        flex: 1;
      }
      section,
      aside {
        min-width: 0;
      }
      aside {
        display: grid;
        gap: 1.25rem;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.4rem 1rem;
        margin: 1rem 0 0;
        font-size: 0.9rem;
      }
      dt {
        color: var(--sd-color-muted);
      }
      dd {
        margin: 0;
      }
      .link {
        display: flex;
        gap: 0.5rem;
      }
      .link input {
        flex: 1;
        min-width: 0;
        font-size: 0.85rem;
        min-height: 2.5rem;
      }
      .link .btn {
        flex: none;
      }
      .messages {
        display: grid;
        gap: 0.75rem;
        margin-bottom: 1rem;
      }
      .link-form {
        display: grid;
        gap: 0.4rem;
      }
      .link-form .btn {
        justify-self: start;
      }
    `,
  ];

  @property() sittingId = '';

  @provide({ context: sittingClientContext })
  @state()
  client?: SittingClient;

  /** The action in progress (its button shows busy), or ''. */
  @state() private busy: '' | 'start' | 'end' | 'mic' | 'camera' | 'screen' = '';
  @state() private error = '';
  @state() private copied = false;
  /** The last operator's link created here, with whom it is for and until when it works. */
  @state() private operatorLink?: { url: string; name: string; expiresAt: string };
  @state() private linkError = '';
  @state() private linkBusy = false;

  @query('seduta-confirm-dialog') private confirmDialog?: ConfirmDialog;

  protected readonly clientController = new SittingClientController(this, () => this.client);
  #stopClient?: () => void;

  override connectedCallback(): void {
    super.connectedCallback();
    // The staff session cookie identifies the host; without one the connection is refused.
    const client = new SittingClient({ sittingId: this.sittingId });
    // The host runs the recording and sees its state in this console: their (re)joins while it
    // records carry the acknowledgement the server requires of everyone (and logs).
    client.acknowledgeRecordingNotice();
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
    // An ended or cancelled sitting has nothing left to broadcast: only its message stays.
    const over = sitting?.status === 'ended' || sitting?.status === 'cancelled';
    return html`<seduta-top-bar context=${t('host.console')}>
        ${
          sitting
            ? html`<div class="title">
                <strong data-testid="sitting-title">${sitting.title}</strong>
                <seduta-status-badge data-testid="status" .status=${sitting.status}></seduta-status-badge>
                <seduta-recording-indicator></seduta-recording-indicator>
              </div>`
            : nothing
        }
      </seduta-top-bar>
      ${
        this.client?.connection !== 'refused'
          ? html`<main>
              <section>
                ${this.#renderMessages(sitting)}
                ${over ? nothing : html`${this.#renderPreview(sitting)} ${this.#renderControls()}`}
                ${this.#floorOpen() ? html`<seduta-recording-controls></seduta-recording-controls>` : nothing}
                ${this.#floorOpen() ? html`<seduta-speaker-strip></seduta-speaker-strip>` : nothing}
              </section>
              <aside>
                ${
                  this.#floorOpen()
                    ? html`<seduta-hand-queue></seduta-hand-queue>
                        <seduta-speaker-list></seduta-speaker-list>
                        <seduta-chat-panel></seduta-chat-panel>`
                    : nothing
                }
                ${this.#renderInfo(sitting)} <seduta-participant-list></seduta-participant-list>
              </aside>
            </main>`
          : html`<main>
              <div class="alert alert-error" role="alert" data-testid="sign-in-needed">
                <p>${t('host.signIn')}</p>
                <p><a href="/host">${t('host.signInLink')}</a></p>
              </div>
            </main>`
      }
      ${this.#renderDialog()}`;
  }

  /** Hands, speakers and chat exist while the host is in the live sitting. */
  #floorOpen(): boolean {
    return this.client?.phase === 'joined' && this.client.sitting?.status === 'live';
  }

  #renderMessages(sitting: SittingInfo | undefined) {
    return html`<div class="messages">
      ${
        sitting?.status === 'ended'
          ? html`<div class="alert alert-info" role="status" data-testid="ended-message">
              <p>${t('details.ended')}</p>
            </div>`
          : nothing
      }
      ${
        sitting?.status === 'cancelled'
          ? html`<div class="alert alert-warning" role="status"><p>${t('details.cancelled')}</p></div>`
          : nothing
      }
      <seduta-connection-status></seduta-connection-status>
      ${
        this.client?.phase === 'removed'
          ? html`<div class="alert alert-error" role="alert" data-testid="removed-message">
              <p>${t(removedKey(this.client.removedReason))}</p>
            </div>`
          : nothing
      }
      ${
        this.client?.phase === 'removed'
          ? html`<div class="alert alert-error" role="alert" data-testid="removed-message">
              <p>${t(removedKey(this.client.removedReason))}</p>
            </div>`
          : nothing
      }
      ${
        this.client?.connection === 'disconnected' &&
        !this.client.reconnecting &&
        !this.client.serverRestarting
          ? html`<div class="alert alert-warning" role="status"><p>${t('connection.lost')}</p></div>`
          : nothing
      }
      ${
        this.client?.connection === 'refused'
          ? html`<div class="alert alert-error" role="alert" data-testid="refused">
              <p>${t('host.badKey')}</p>
            </div>`
          : nothing
      }
      ${
        this.error
          ? html`<div class="alert alert-error" role="alert" data-testid="error">
              <p>${this.error}</p>
              <button class="btn btn-secondary" type="button" @click=${() => (this.error = '')}>
                ${t('error.dismiss')}
              </button>
            </div>`
          : nothing
      }
    </div>`;
  }

  #renderPreview(sitting: SittingInfo | undefined) {
    const local = this.client?.local;
    const camera = local?.get('camera');
    const screen = local?.get('screen');
    const main = screen ?? camera;
    const pip = screen ? camera : undefined;
    const joined = this.client?.phase === 'joined';
    let placeholder: unknown = nothing;
    if (!joined && (sitting?.status === 'scheduled' || sitting?.status === 'live')) {
      const resume = sitting.status === 'live';
      placeholder = html`<div class="placeholder">
        <div>
          <p>${t('host.startHint')}</p>
          <button
            class="btn btn-primary btn-large"
            type="button"
            data-testid="start"
            ?disabled=${this.busy !== '' || this.client?.connection !== 'connected'}
            @click=${this.#onStart}
          >
            ${this.busy === 'start' ? t('host.starting') : resume ? t('host.resume') : t('host.start')}
          </button>
        </div>
      </div>`;
    } else if (joined && !main) {
      placeholder = html`<div class="placeholder"><div>${t('host.cameraOffPreview')}</div></div>`;
    } else if (!sitting) {
      placeholder = html`<div class="placeholder"><div>${t('connection.connecting')}</div></div>`;
    }
    return html`<div class="preview" role="group" data-testid="preview" aria-label=${t('host.preview')}>
      ${
        main
          ? html`<seduta-video-tile
              class="main"
              data-testid=${`preview-${main.source}`}
              .track=${main.track}
              ?mirror=${main.source === 'camera'}
              label=${main.source === 'screen' ? t('stage.screen') : t('host.preview')}
            ></seduta-video-tile>`
          : nothing
      }
      ${
        pip
          ? html`<seduta-video-tile
              class="pip"
              data-testid="preview-camera"
              .track=${pip.track}
              mirror
              fit="cover"
              label=${t('host.preview')}
            ></seduta-video-tile>`
          : nothing
      }
      ${placeholder}
    </div>`;
  }

  #renderControls() {
    const client = this.client;
    if (client?.phase !== 'joined' || client.sitting?.status !== 'live') return nothing;
    const mic = client.local.get('microphone');
    const camera = client.local.get('camera');
    const screen = client.local.get('screen');
    const toggle = (
      kind: 'mic' | 'camera' | 'screen',
      pressed: boolean,
      label: MessageKey,
      handler: () => Promise<void>,
    ) =>
      html`<button
        class="btn btn-secondary"
        type="button"
        data-testid=${kind === 'screen' ? 'share-screen' : `${kind}-toggle`}
        aria-pressed=${pressed ? 'true' : 'false'}
        ?disabled=${this.busy !== ''}
        @click=${() => this.#run(kind, handler)}
      >
        ${t(label)}
      </button>`;
    return html`<div class="controls" role="toolbar" aria-label=${t('host.console')}>
      ${toggle('mic', !!mic && mic.muted, mic && !mic.muted ? 'host.micOn' : 'host.micOff', () =>
        mic ? client.setMicrophoneMuted(!mic.muted) : client.startMicrophone(),
      )}
      ${toggle('camera', !camera, camera ? 'host.cameraOn' : 'host.cameraOff', () =>
        camera ? client.stopCamera() : client.startCamera(),
      )}
      ${toggle('screen', !!screen, screen ? 'host.stopShare' : 'host.shareScreen', () =>
        screen ? client.stopScreenShare() : client.startScreenShare(),
      )}
      <span class="spacer"></span>
      <button
        class="btn btn-danger"
        type="button"
        data-testid="end"
        ?disabled=${this.busy !== ''}
        @click=${this.#onEnd}
      >
        ${t('host.end')}
      </button>
    </div>`;
  }

  #renderInfo(sitting: SittingInfo | undefined) {
    return html`<section class="card" data-testid="sitting-info">
      ${this.#renderOperatorLink(sitting)}
      ${
        sitting
          ? html`<dl class="facts">
              <dt>${t('details.scheduledAt')}</dt>
              <dd>
                ${sitting.scheduledAt ? formatDateTime(sitting.scheduledAt) : t('details.notScheduled')}
              </dd>
              <dt>${t('details.status')}</dt>
              <dd>${t(`status.${sitting.status}`)}</dd>
            </dl>`
          : nothing
      }
    </section>`;
  }

  /** Who may enter, and how: a personal link for an operator (public), the invitations (reserved). */
  #renderOperatorLink(sitting: SittingInfo | undefined) {
    if (!sitting) return nothing;
    if (sitting.status === 'ended' || sitting.status === 'cancelled') {
      return html`<h2>${t('operatorLink.title')}</h2>
        <p class="hint">${t('operatorLink.over')}</p>`;
    }
    if (sitting.kind === 'reserved') {
      return html`<h2>${t('dashboard.invites')}</h2>
        <p class="hint" data-testid="operator-link-reserved">${t('operatorLink.reserved')}</p>
        <a class="btn btn-secondary" href="/host" data-testid="open-invites">${t('operatorLink.invite')}</a>`;
    }
    const made = this.operatorLink;
    return html`<h2 id="operator-link-title">${t('operatorLink.title')}</h2>
      <p class="hint">${t('operatorLink.hint', { minutes: 10 })}</p>
      <form class="link-form" data-testid="operator-link-form" @submit=${this.#onOperatorLink}>
        <label for="op-name">${t('operatorLink.name')}</label>
        <input
          id="op-name"
          name="name"
          maxlength="80"
          required
          autocomplete="off"
          data-testid="operator-link-name"
        />
        <label for="op-company">${t('operatorLink.company')}</label>
        <input
          id="op-company"
          name="company"
          maxlength="120"
          autocomplete="off"
          data-testid="operator-link-company"
        />
        <button
          class="btn btn-secondary"
          type="submit"
          ?disabled=${this.linkBusy}
          data-testid="operator-link-create"
        >
          ${t('operatorLink.create')}
        </button>
      </form>
      ${
        this.linkError
          ? html`<div class="alert alert-error" role="alert" data-testid="operator-link-error">
              <p>${this.linkError}</p>
            </div>`
          : nothing
      }
      ${
        made
          ? html`<p role="status">
                ${t('operatorLink.ready', { name: made.name, time: formatTime(made.expiresAt) })}
              </p>
              <div class="link">
                <label class="visually-hidden" for="link">${t('operatorLink.title')}</label>
                <input
                  id="link"
                  type="text"
                  readonly
                  data-testid="operator-link"
                  .value=${made.url}
                  @focus=${selectAll}
                />
                <button
                  class="btn btn-secondary"
                  type="button"
                  data-testid="copy-link"
                  @click=${() => this.#copy(made.url)}
                >
                  ${this.copied ? t('host.copied') : t('host.copy')}
                </button>
              </div>`
          : nothing
      }`;
  }

  #renderDialog() {
    return html`<seduta-confirm-dialog
      testid="end-dialog"
      confirm-testid="end-confirm"
    ></seduta-confirm-dialog>`;
  }

  async #onStart(): Promise<void> {
    const client = this.client;
    if (!client) return;
    await this.#run('start', async () => {
      if (client.sitting?.status === 'scheduled') await client.startSitting();
      await client.join();
      // Both devices are asked for together; one failing does not stop the other.
      const results = await Promise.allSettled([client.startCamera(), client.startMicrophone()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw new MediaError(failed.reason);
    });
  }

  async #onEnd(): Promise<void> {
    const ok = await this.confirmDialog?.ask({
      title: t('host.endConfirmTitle'),
      body: t('host.endConfirmBody'),
      confirm: t('host.endConfirm'),
      destructive: true,
    });
    const client = this.client;
    if (ok && client) await this.#run('end', () => client.endSitting());
  }

  async #onOperatorLink(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const company = String(data.get('company') ?? '').trim();
    this.linkError = '';
    if (operatorDisplayName(name, company).length > MAX_PARTICIPANT_NAME) {
      this.linkError = t('operatorLink.tooLong', { max: MAX_PARTICIPANT_NAME });
      return;
    }
    this.linkBusy = true;
    try {
      const link = await createOperatorLink(this.sittingId, { name, ...(company ? { company } : {}) });
      this.operatorLink = { ...link, name: operatorDisplayName(name, company) };
      this.copied = false;
      form.reset();
    } catch (error) {
      this.linkError = errorText(error);
    } finally {
      this.linkBusy = false;
    }
  }

  async #run(action: HostConsole['busy'], work: () => Promise<void>): Promise<void> {
    this.busy = action;
    this.error = '';
    try {
      await work();
    } catch (error) {
      this.error = describe(error, action);
    } finally {
      this.busy = '';
    }
  }

  async #copy(link: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(link);
      this.copied = true;
      setTimeout(() => (this.copied = false), 2000);
    } catch {
      // Clipboard refused (permissions): the field is selectable by hand.
      this.renderRoot.querySelector<HTMLInputElement>('#link')?.select();
    }
  }
}

/** A camera/microphone failure, told apart from signalling ones in the message. */
class MediaError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

function describe(error: unknown, action: HostConsole['busy']): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof MediaError || (action === 'camera' && error instanceof DOMException)) {
    return t('error.media', { message });
  }
  if (action === 'screen' && error instanceof DOMException) return t('error.screen', { message });
  return errorText(error);
}

function selectAll(event: FocusEvent): void {
  (event.target as HTMLInputElement).select();
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-host-console': HostConsole;
  }
}
