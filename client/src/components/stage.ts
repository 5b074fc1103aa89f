import { css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { consume } from '@lit/context';
import { SittingClientController, sittingClientContext } from '../context';
import { t } from '../i18n';
import type { RemoteMedia } from '../media/recv';
import type { SittingClient } from '../sitting-client';
import { isStaff, speakerViews, type SpeakerView } from '../speakers';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import type { FirstFrameDetail, ViewSizeDetail } from './video-tile';
import './remote-audio';
import './speaker-tile';
import './video-tile';

/** At most this many small tiles are stacked beside a screen share. */
const MAX_PIPS = 4;

/**
 * What the viewer receives: the host's screen share large with the cameras (host, then
 * speakers) small in a corner; without a share, the host's camera alone, or side by side with the
 * speakers' tiles; and the audio, at `volume`. Reports each video's displayed size and the first
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
      .pips {
        position: absolute;
        right: 1rem;
        bottom: 1rem;
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
        width: min(22%, 300px);
      }
      .pip {
        aspect-ratio: 16 / 9;
        border: 2px solid rgb(255 255 255 / 85%);
        box-shadow: 0 6px 18px rgb(0 0 0 / 45%);
      }
      .grid {
        position: absolute;
        inset: 0;
        display: grid;
        grid-template-columns: repeat(2, minmax(0, 1fr));
        grid-auto-rows: minmax(0, 1fr);
        gap: 4px;
        padding: 4px;
      }
      .grid.featured {
        grid-template-columns: minmax(0, 2fr) minmax(0, 1fr);
        grid-template-rows: repeat(2, minmax(0, 1fr));
      }
      .grid.featured .host {
        grid-row: 1 / span 2;
      }
      .grid.one {
        grid-template-columns: minmax(0, 1fr);
      }
      .grid.three {
        grid-template-columns: repeat(3, minmax(0, 1fr));
      }
      .grid > * {
        min-height: 0;
        border-radius: var(--sd-radius-small);
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
      .audio {
        position: absolute;
        top: 1rem;
        left: 50%;
        transform: translateX(-50%);
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

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const client = this.client;
    const remote = client?.remote ?? [];
    const participants = client?.participants ?? [];
    const ownerOf = (m: RemoteMedia) => participants.find((p) => p.id === m.participantId);
    const screen = remote.find((m) => m.kind === 'video' && m.source === 'screen');
    // The host's camera is the main picture; a camera of anyone else is a speaker's tile.
    const hostCamera = remote.find((m) => m.kind === 'video' && m.source === 'camera' && isStaff(ownerOf(m)));
    const speakers = speakerViews(participants, remote, client?.participantId);
    return html`<div
      class="stage"
      data-testid="stage"
      @seduta-view-size=${this.#onViewSize}
      @seduta-first-frame=${this.#onFirstFrame}
    >
      ${this.#layout(screen, hostCamera, speakers)}
      <seduta-remote-audio class="audio" .volume=${this.volume}></seduta-remote-audio>
    </div>`;
  }

  #layout(screen: RemoteMedia | undefined, hostCamera: RemoteMedia | undefined, speakers: SpeakerView[]) {
    if (screen) {
      const pips = [
        ...(hostCamera ? [this.#tile(hostCamera, 'pip')] : []),
        ...speakers.map((view) => this.#speaker(view, 'pip')),
      ].slice(0, MAX_PIPS);
      return html`${this.#tile(screen, 'main')}
        <div class="pips">${pips}</div>`;
    }
    if (speakers.length === 0) return hostCamera ? this.#tile(hostCamera, 'main') : this.#empty();
    const count = speakers.length + (hostCamera ? 1 : 0);
    // With one or two speakers the host stays large; more share the stage evenly. Classes, not a
    // style attribute: the page runs under a CSP without inline styles.
    const layout =
      hostCamera && speakers.length <= 2 ? 'featured' : count <= 1 ? 'one' : count <= 4 ? 'two' : 'three';
    return html`<div class=${`grid ${layout}`} data-layout=${layout}>
      ${hostCamera ? this.#tile(hostCamera, 'host') : null}
      ${repeat(
        speakers,
        (view) => view.participant.id,
        (view) => this.#speaker(view, ''),
      )}
    </div>`;
  }

  #tile(media: RemoteMedia, slot: 'main' | 'pip' | 'host') {
    const owner = this.client?.participants.find((p) => p.id === media.participantId);
    const what = media.source === 'screen' ? t('stage.screen') : t('stage.camera');
    return html`<seduta-video-tile
      class=${slot}
      data-testid=${`video-${media.source}`}
      .track=${media.track}
      .transport=${media.transport}
      consumerId=${media.consumerId}
      label=${owner ? `${owner.name} · ${what}` : what}
      fit=${slot === 'pip' ? 'cover' : 'contain'}
      ?paused=${media.paused}
    ></seduta-video-tile>`;
  }

  #speaker(view: SpeakerView, slot: 'pip' | '') {
    return html`<seduta-speaker-tile class=${slot} .view=${view}></seduta-speaker-tile>`;
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
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-stage': Stage;
  }
}
