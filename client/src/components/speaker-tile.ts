import { css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { t } from '../i18n';
import type { SpeakerView } from '../speakers';
import { SedutaElement } from './seduta-element';
import './video-tile';

/**
 * One speaker: their camera with their name, or (audio only, or video not yet arrived) their
 * initials and name on a dark card. The video tile inside reports its size and first frame.
 */
@customElement('seduta-speaker-tile')
export class SpeakerTile extends SedutaElement {
  static override styles = css`
    :host {
      display: block;
      position: relative;
      overflow: hidden;
      border-radius: var(--sd-radius);
      background: #1c2733;
    }
    seduta-video-tile {
      position: absolute;
      inset: 0;
      border-radius: 0;
    }
    .card {
      position: absolute;
      inset: 0;
      display: grid;
      place-content: center;
      justify-items: center;
      gap: 0.4rem;
      padding: 0.5rem;
      color: #dfe6ee;
      text-align: center;
      font-size: 0.85rem;
    }
    .avatar {
      display: grid;
      place-items: center;
      width: 2.75rem;
      height: 2.75rem;
      border-radius: 50%;
      background: #2f4458;
      font-weight: 700;
    }
    .name {
      max-width: 100%;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .muted {
      color: #aebbc8;
    }
  `;

  @property({ attribute: false }) view?: SpeakerView;
  @property({ reflect: true }) fit: 'contain' | 'cover' = 'cover';

  override render() {
    const view = this.view;
    if (!view) return null;
    const { participant, video } = view;
    if (video) {
      return html`<seduta-video-tile
        data-testid="video-speaker"
        data-participant=${participant.id}
        .track=${video.track}
        consumerId=${video.consumerId}
        label=${`${participant.name} · ${t('stage.speaking')}`}
        fit=${this.fit}
        ?paused=${video.paused}
      ></seduta-video-tile>`;
    }
    return html`<div class="card" data-testid="speaker-audio-only" data-participant=${participant.id}>
      <span class="avatar" aria-hidden="true">${initials(participant.name)}</span>
      <span class="name">${participant.name}</span>
      <span class="muted">${t('stage.speaking')} · ${t('stage.audioOnly')}</span>
    </div>`;
  }
}

/** Up to two initials of a name, for avatars. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase();
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-speaker-tile': SpeakerTile;
  }
}
