import { css, html, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { consume } from '@lit/context';
import { SittingClientController, sittingClientContext } from '../context';
import { t } from '../i18n';
import type { RemoteMedia } from '../media/recv';
import { streamOf } from '../media/streams';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import type { FirstFrameDetail, ViewSizeDetail } from './video-tile';
import './video-tile';

/**
 * What the viewer receives: the host's screen share large with the camera small in a corner, or
 * the camera alone; and the audio, at `volume`. Reports each video's displayed size and the first
 * decoded frame to the SittingClient from the context.
 */
@customElement('seduta-stage')
export class Stage extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .stage {
        position: relative;
        aspect-ratio: 16 / 9;
        max-height: calc(100vh - 11rem);
        margin: 0 auto;
        background: var(--sd-color-stage);
        border-radius: var(--sd-radius);
        overflow: hidden;
        box-shadow: var(--sd-shadow);
      }
      .main {
        position: absolute;
        inset: 0;
        border-radius: 0;
      }
      .pip {
        position: absolute;
        right: 1rem;
        bottom: 1rem;
        width: min(24%, 320px);
        aspect-ratio: 4 / 3;
        border: 2px solid rgb(255 255 255 / 85%);
        box-shadow: 0 6px 18px rgb(0 0 0 / 45%);
      }
      .empty {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        color: #c9d3dd;
        text-align: center;
        padding: 1rem;
      }
      .spinner {
        width: 2.25rem;
        height: 2.25rem;
        margin: 0 auto 0.75rem;
        border: 3px solid rgb(255 255 255 / 20%);
        border-top-color: #fff;
        border-radius: 50%;
        animation: spin 1s linear infinite;
      }
      .unblock {
        position: absolute;
        top: 1rem;
        left: 50%;
        transform: translateX(-50%);
      }
      audio {
        display: none;
      }
      @keyframes spin {
        to {
          transform: rotate(360deg);
        }
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  /** Playback volume of the received audio, 0–1. */
  @property({ type: Number }) volume = 1;

  @state() private audioBlocked = false;

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const remote = this.client?.remote ?? [];
    const video = (source: RemoteMedia['source']) =>
      remote.find((m) => m.kind === 'video' && m.source === source);
    const screen = video('screen');
    const camera = video('camera');
    const main = screen ?? camera;
    const pip = screen ? camera : undefined;
    const audio = remote.filter((m) => m.kind === 'audio');
    return html`<div
      class="stage"
      data-testid="stage"
      @seduta-view-size=${this.#onViewSize}
      @seduta-first-frame=${this.#onFirstFrame}
    >
      ${main ? this.#tile(main, 'main') : this.#empty()} ${pip ? this.#tile(pip, 'pip') : null}
      ${
        this.audioBlocked
          ? html`<button class="btn btn-primary unblock" type="button" @click=${this.#unblockAudio}>
              ${t('stage.enableAudio')}
            </button>`
          : null
      }
      ${repeat(
        audio,
        (m) => m.consumerId,
        (m) => html`<audio autoplay data-source=${m.source} .srcObject=${streamOf(m.track)}></audio>`,
      )}
    </div>`;
  }

  override updated(_changed: PropertyValues<this>): void {
    for (const audio of this.renderRoot.querySelectorAll('audio')) {
      audio.volume = Math.min(1, Math.max(0, this.volume));
      if (audio.paused) audio.play().catch(() => (this.audioBlocked = true));
    }
  }

  #tile(media: RemoteMedia, slot: 'main' | 'pip') {
    const owner = this.client?.participants.find((p) => p.id === media.participantId);
    const what = media.source === 'screen' ? t('stage.screen') : t('stage.camera');
    return html`<seduta-video-tile
      class=${slot}
      data-testid=${`video-${media.source}`}
      .track=${media.track}
      consumerId=${media.consumerId}
      label=${owner ? `${owner.name} · ${what}` : what}
      fit=${slot === 'pip' ? 'cover' : 'contain'}
      ?paused=${media.paused}
    ></seduta-video-tile>`;
  }

  #empty() {
    return html`<div class="empty" role="status">
      <div>
        <div class="spinner" aria-hidden="true"></div>
        ${t('stage.waitingVideo')}
      </div>
    </div>`;
  }

  #onViewSize(event: CustomEvent<ViewSizeDetail>): void {
    const { consumerId, width, height } = event.detail;
    this.client?.reportViewSize(consumerId, width, height);
  }

  #onFirstFrame(_event: CustomEvent<FirstFrameDetail>): void {
    this.client?.reportFirstFrame();
  }

  #unblockAudio(): void {
    this.audioBlocked = false;
    for (const audio of this.renderRoot.querySelectorAll('audio')) {
      audio.play().catch(() => (this.audioBlocked = true));
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-stage': Stage;
  }
}
