import { css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { SittingClientController, sittingClientContext } from '../context';
import { errorText } from '../error-text';
import { t } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './video-tile';

/**
 * What a speaking operator controls: a preview of their own camera, mute/unmute of their
 * microphone (disabled, with the reason, while the host has muted them) and "stop speaking",
 * which gives the floor back. Shown only while the client's floor phase is `speaking`.
 */
@customElement('seduta-speaker-controls')
export class SpeakerControls extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .live {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        margin: 0 0 0.25rem;
        font-weight: 700;
        color: var(--sd-color-live);
      }
      .dot {
        width: 0.6rem;
        height: 0.6rem;
        border-radius: 50%;
        background: var(--sd-color-live);
      }
      .hint {
        margin: 0 0 0.75rem;
      }
      seduta-video-tile {
        aspect-ratio: 16 / 9;
        margin-bottom: 0.75rem;
      }
      .audio-only {
        margin: 0 0 0.75rem;
        color: var(--sd-color-muted);
        font-size: 0.9rem;
      }
      .buttons {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      .alert {
        margin-top: 0.75rem;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  @state() private busy = false;
  @state() private error = '';

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const client = this.client;
    if (client?.floor !== 'speaking') return null;
    const camera = client.local.get('camera');
    const mic = client.local.get('microphone');
    const hostMuted = client.mutedByHost;
    return html`<div data-testid="speaker-controls">
      <p class="live" role="status"><span class="dot" aria-hidden="true"></span>${t('speaker.live')}</p>
      <p class="hint">${t('speaker.liveHint')}</p>
      ${
        camera
          ? html`<seduta-video-tile
              data-testid="speaker-preview"
              .track=${camera.track}
              mirror
              fit="cover"
              label=${t('speaker.preview')}
            ></seduta-video-tile>`
          : html`<p class="audio-only">${t('speaker.audioOnly')}</p>`
      }
      <div class="buttons">
        ${
          mic
            ? html`<button
                class="btn btn-secondary"
                type="button"
                data-testid="speaker-mute"
                aria-pressed=${mic.muted ? 'true' : 'false'}
                ?disabled=${this.busy || (mic.muted && hostMuted)}
                aria-describedby=${hostMuted ? 'host-muted' : ''}
                @click=${() => this.#run(() => client.setMicrophoneMuted(!mic.muted))}
              >
                ${mic.muted ? t('speaker.unmute') : t('speaker.mute')}
              </button>`
            : null
        }
        <button
          class="btn btn-danger"
          type="button"
          data-testid="floor-leave"
          ?disabled=${this.busy}
          @click=${() => this.#run(() => client.leaveFloor())}
        >
          ${t('speaker.stop')}
        </button>
      </div>
      ${
        hostMuted
          ? html`<div class="alert alert-warning" role="status" id="host-muted" data-testid="host-muted">
              <p>${t('speaker.hostMuted')}</p>
            </div>`
          : null
      }
      ${this.error ? html`<div class="alert alert-error" role="alert"><p>${this.error}</p></div>` : null}
    </div>`;
  }

  async #run(work: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      await work();
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-speaker-controls': SpeakerControls;
  }
}
