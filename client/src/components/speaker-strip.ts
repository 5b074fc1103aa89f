import { css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { consume } from '@lit/context';
import { SittingClientController, sittingClientContext } from '../context';
import { t } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { speakerViews } from '../speakers';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import type { ViewSizeDetail } from './video-tile';
import './remote-audio';
import './speaker-tile';

/**
 * The host console's view of the operators speaking: one tile each (camera, or name when audio
 * only), and the received audio. Reports the tiles' sizes to the SittingClient from the context so
 * the server sends a fitting simulcast layer.
 */
@customElement('seduta-speaker-strip')
export class SpeakerStrip extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      section {
        margin-top: 1rem;
      }
      h2 {
        margin: 0 0 0.5rem;
        font-size: 1rem;
      }
      .tiles {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr));
        gap: 0.75rem;
      }
      seduta-speaker-tile {
        aspect-ratio: 16 / 9;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  protected readonly clientController = new SittingClientController(this, () => this.client);

  override render() {
    const client = this.client;
    const views = client ? speakerViews(client.participants, client.remote, client.participantId) : [];
    return html`<seduta-remote-audio></seduta-remote-audio> ${
        views.length === 0
          ? null
          : html`<section aria-labelledby="strip-heading" data-testid="speaker-strip">
              <h2 id="strip-heading">${t('host.speakersStage')}</h2>
              <div class="tiles" @seduta-view-size=${this.#onViewSize}>
                ${repeat(
                  views,
                  (v) => v.participant.id,
                  (v) => html`<seduta-speaker-tile .view=${v}></seduta-speaker-tile>`,
                )}
              </div>
            </section>`
      }`;
  }

  #onViewSize(event: CustomEvent<ViewSizeDetail>): void {
    const { consumerId, width, height } = event.detail;
    this.client?.reportViewSize(consumerId, width, height);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-speaker-strip': SpeakerStrip;
  }
}
