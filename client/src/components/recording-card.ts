import { css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { recordingFileUrl, type RecordingSummary } from '../access-api';
import { formatDateTime, t } from '../i18n';
import { formatDuration, formatSize, formatTime, problemText, startDelayText } from '../recordings';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './recording-tracks';

/**
 * One recording of a sitting: when (from its first recorded media, and how long after the host's
 * click that was), how long, how big, its state in words, what of the sitting it does not cover and
 * why, the finalize progress, the error when the file could not be made, or that retention
 * deleted it. A ready recording gets a player (the server answers Range requests, so seeking
 * works) and a download link; a settled one lists its per-track originals.
 */
@customElement('seduta-recording-card')
export class RecordingCardElement extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      article {
        display: grid;
        gap: 0.75rem;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: baseline;
        justify-content: space-between;
      }
      h3 {
        margin: 0;
        font-size: 1rem;
      }
      .state {
        font-weight: 600;
      }
      .state.ready {
        color: var(--sd-color-success);
      }
      .state.failed {
        color: var(--sd-color-danger);
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.2rem 1rem;
        margin: 0;
      }
      dt {
        color: var(--sd-color-muted);
      }
      dd {
        margin: 0;
      }
      progress {
        width: 100%;
        max-width: 24rem;
      }
      video {
        display: block;
        width: 100%;
        max-height: 60vh;
        background: var(--sd-color-stage);
        border-radius: var(--sd-radius-small);
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        align-items: center;
      }
      .muted {
        color: var(--sd-color-muted);
      }
    `,
  ];

  /** The recording, as the list returned it (replaced at every poll). */
  @property({ attribute: false }) recording?: RecordingSummary;

  override render() {
    const r = this.recording;
    if (!r) return nothing;
    const date = formatDateTime(r.startedAt);
    return html`<article class="card" data-testid="recording" data-recording-id=${r.id} data-state=${r.state}>
      <div class="head">
        <h3>${t('recordings.heading', { date })}</h3>
        <span class="state ${r.state}" data-testid="recording-state">${t(`recording.state.${r.state}`)}</span>
      </div>
      <dl>
        <dt>${t('recordings.when')}</dt>
        <dd data-testid="recording-when">
          ${
            r.stoppedAt
              ? t('recordings.until', { start: formatTime(r.startedAt), end: formatTime(r.stoppedAt) })
              : t('recordings.since', { start: formatTime(r.startedAt) })
          }
        </dd>
        ${
          r.startDelayMs !== null
            ? html`<dt>${t('recordings.startLabel')}</dt>
                <dd data-testid="recording-start-delay">${startDelayText(r.startDelayMs)}</dd>`
            : nothing
        }
        <dt>${t('recordings.duration')}</dt>
        <dd data-testid="recording-duration">${formatDuration(r.duration)}</dd>
        <dt>${t('recordings.size')}</dt>
        <dd data-testid="recording-size">
          ${r.size === null ? html`<span class="muted">${t('recordings.sizePending')}</span>` : formatSize(r.size)}
        </dd>
      </dl>
      ${this.#renderNotes(r)} ${r.state === 'ready' && !r.purged ? this.#renderPlayer(r, date) : nothing}
      ${
        (r.state === 'ready' || r.state === 'failed') && !r.purged
          ? html`<seduta-recording-tracks recording-id=${r.id}></seduta-recording-tracks>`
          : nothing
      }
    </article>`;
  }

  #renderNotes(r: RecordingSummary) {
    const percent = Math.round(Math.min(1, Math.max(0, r.progress)) * 100);
    return html`${
      r.degraded
        ? html`<div class="alert alert-warning" data-testid="recording-degraded">
            ${
              r.problems.length > 0
                ? html`<p>${t('recordings.degraded')}</p>
                    <ul>
                      ${r.problems.map((p) => html`<li data-testid="recording-problem">${problemText(p)}</li>`)}
                    </ul>`
                : html`<p>${t('recordings.degradedUnknown')}</p>`
            }
          </div>`
        : nothing
    }
    ${
      r.state === 'finalizing'
        ? html`<div data-testid="recording-progress" role="status">
            <progress max="100" .value=${percent} aria-label=${t('recording.state.finalizing')}></progress>
            <div class="muted">${t('recordings.progress', { percent })}</div>
          </div>`
        : nothing
    }
    ${
      r.state === 'failed'
        ? html`<div class="alert alert-error" data-testid="recording-error">
            <p>${t('recordings.failed', { error: r.error ?? '—' })}</p>
          </div>`
        : nothing
    }
    ${
      r.purged
        ? html`<div class="alert alert-info" data-testid="recording-purged">
            <p>${t('recordings.purged')}</p>
          </div>`
        : nothing
    }`;
  }

  #renderPlayer(r: RecordingSummary, date: string) {
    return html`<video
        controls
        preload="metadata"
        src=${recordingFileUrl(r.id)}
        aria-label=${t('recordings.player', { date })}
        data-testid="recording-video"
      ></video>
      <div class="row">
        <a
          class="btn btn-primary"
          href=${recordingFileUrl(r.id, true)}
          download
          data-testid="recording-download"
        >
          ${t('recordings.download', { size: r.size === null ? '—' : formatSize(r.size) })}
        </a>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-recording-card': RecordingCardElement;
  }
}
