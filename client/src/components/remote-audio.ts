import { css, html, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { consume } from '@lit/context';
import { SittingClientController, sittingClientContext } from '../context';
import { t } from '../i18n';
import { streamOf } from '../media/streams';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/**
 * Plays every audio track received by the SittingClient in the context (the host's microphone,
 * speakers' microphones) at `volume`; when the browser blocks autoplay, shows a button to start it.
 */
@customElement('seduta-remote-audio')
export class RemoteAudio extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: contents;
      }
      audio {
        display: none;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  /** Playback volume, 0–1. */
  @property({ type: Number }) volume = 1;

  @state() private blocked = false;

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const audio = (this.client?.remote ?? []).filter((m) => m.kind === 'audio');
    return html`${
      this.blocked
        ? html`<button
            class="btn btn-primary"
            type="button"
            data-testid="enable-audio"
            @click=${this.#unblock}
          >
            ${t('stage.enableAudio')}
          </button>`
        : null
    }
    ${repeat(
      audio,
      (m) => m.consumerId,
      (m) =>
        html`<audio
          autoplay
          data-source=${m.source}
          data-participant=${m.participantId}
          .srcObject=${streamOf(m.track)}
        ></audio>`,
    )}`;
  }

  override updated(_changed: PropertyValues<this>): void {
    for (const audio of this.renderRoot.querySelectorAll('audio')) {
      audio.volume = Math.min(1, Math.max(0, this.volume));
      if (audio.paused) audio.play().catch(() => (this.blocked = true));
    }
  }

  #unblock(): void {
    this.blocked = false;
    for (const audio of this.renderRoot.querySelectorAll('audio')) {
      audio.play().catch(() => (this.blocked = true));
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-remote-audio': RemoteAudio;
  }
}
