import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { listRecordingTracks, recordingTrackUrl, type RecordingTrack } from '../access-api';
import { errorText } from '../error-text';
import { t } from '../i18n';
import { formatSize, formatTime, shortHash } from '../recordings';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/**
 * The per-track originals of one recording, loaded once when shown: who, which source, when,
 * how big, the SHA-256 (shortened; the full value in the title), whether the file is complete,
 * and a download link for each.
 */
@customElement('seduta-recording-tracks')
export class RecordingTracksElement extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      summary {
        cursor: pointer;
        font-weight: 600;
      }
      .scroll {
        overflow-x: auto;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        font-size: 0.9rem;
      }
      th,
      td {
        text-align: left;
        padding: 0.4rem 0.5rem;
        border-top: 1px solid var(--sd-color-border);
        vertical-align: top;
        white-space: nowrap;
      }
      th {
        color: var(--sd-color-muted);
        font-weight: 600;
      }
      code {
        font-size: 0.85rem;
      }
      .incomplete {
        color: var(--sd-color-warning);
        font-weight: 600;
      }
      .muted {
        color: var(--sd-color-muted);
      }
    `,
  ];

  /** The recording whose tracks to list. */
  @property({ attribute: 'recording-id' }) recordingId = '';

  @state() private tracks?: RecordingTrack[];
  @state() private error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.tracks === undefined) void this.#load();
  }

  override render() {
    const tracks = this.tracks;
    return html`<details data-testid="recording-tracks">
      <summary>${t('recordings.tracks', { count: tracks?.length ?? '…' })}</summary>
      <p class="hint">${t('recordings.tracksHint')}</p>
      ${this.error ? html`<div class="alert alert-error" role="alert"><p>${this.error}</p></div>` : nothing}
      ${
        tracks === undefined
          ? this.error
            ? nothing
            : html`<p class="muted" role="status">${t('recordings.tracksLoading')}</p>`
          : tracks.length === 0
            ? html`<p class="muted">${t('recordings.noTracks')}</p>`
            : this.#renderTable(tracks)
      }
    </details>`;
  }

  #renderTable(tracks: RecordingTrack[]) {
    return html`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">${t('recordings.track.participant')}</th>
            <th scope="col">${t('recordings.track.source')}</th>
            <th scope="col">${t('recordings.track.start')}</th>
            <th scope="col">${t('recordings.track.end')}</th>
            <th scope="col">${t('recordings.track.size')}</th>
            <th scope="col">${t('recordings.track.sha256')}</th>
            <th scope="col">${t('recordings.track.status')}</th>
            <th scope="col"><span class="visually-hidden">${t('recordings.track.file')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${tracks.map((track) => this.#renderTrack(track))}
        </tbody>
      </table>
    </div>`;
  }

  #renderTrack(track: RecordingTrack) {
    const source = t(`recordings.source.${track.source}`);
    const start = formatTime(track.startedAt);
    return html`<tr data-testid="recording-track" data-track-id=${track.id}>
      <td>
        ${track.participantName}
        ${track.isHost ? html`<span class="muted">${t('recordings.track.host')}</span>` : nothing}
      </td>
      <td>${source} <span class="muted">${track.codec}</span></td>
      <td>${start}</td>
      <td>${formatTime(track.endedAt)}</td>
      <td>${formatSize(track.size)}</td>
      <td><code title=${track.sha256} data-testid="track-sha256">${shortHash(track.sha256)}</code></td>
      <td class=${track.complete ? '' : 'incomplete'}>
        ${track.complete ? t('recordings.track.complete') : t('recordings.track.incomplete')}
      </td>
      <td>
        <a
          href=${recordingTrackUrl(this.recordingId, track.id)}
          download
          data-testid="track-download"
          aria-label=${t('recordings.track.downloadLabel', {
            source: source.toLowerCase(),
            name: track.participantName,
            start,
          })}
          >${t('recordings.track.download')}</a
        >
      </td>
    </tr>`;
  }

  async #load(): Promise<void> {
    this.error = '';
    try {
      this.tracks = await listRecordingTracks(this.recordingId);
    } catch (error) {
      this.error = errorText(error);
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-recording-tracks': RecordingTracksElement;
  }
}
