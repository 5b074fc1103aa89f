import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { SittingInfo } from '@seduta/server/protocol';
import { currentStaff, listRecordings, staffSitting, type RecordingSummary } from '../access-api';
import { errorText } from '../error-text';
import { t, type MessageKey } from '../i18n';
import { loadFailure, pollAgain, POLL_INTERVAL_MS, type LoadFailure } from '../recordings';
import { pageStyles, sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';
import './recording-card';
import './register-links';
import './status-badge';
import './top-bar';

const FAILURE_TEXT: Record<Exclude<LoadFailure, 'other'>, MessageKey> = {
  'signed-out': 'recordings.signIn',
  forbidden: 'recordings.forbidden',
  'not-found': 'recordings.notFound',
  network: 'recordings.network',
};

/**
 * A sitting's recordings (`/host/<id>/recordings`), for admins and, when the server allows it,
 * the sitting's host. Lists every recording with its state, and asks again every two seconds
 * while one is still recording, stopping or being finalized; stops asking when the page goes away.
 */
@customElement('seduta-recordings-page')
export class RecordingsPage extends SedutaElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      :host {
        --sd-page-width: 960px;
      }
      main {
        display: grid;
        gap: 1.25rem;
        align-content: start;
      }
      h1 {
        margin: 0;
        font-size: 1.35rem;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
      }
      .muted {
        color: var(--sd-color-muted);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 1rem;
      }
    `,
  ];

  /** The sitting whose recordings to show. */
  @property({ attribute: 'sitting-id' }) sittingId = '';

  @state() private sitting?: SittingInfo;
  /** undefined until the first answer. */
  @state() private recordings?: RecordingSummary[];
  @state() private failure?: LoadFailure;
  @state() private error = '';

  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped when the page goes away, so that an answer arriving later changes nothing. */
  #generation = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#start(this.#generation);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  override render() {
    return html`<seduta-top-bar context=${t('recordings.context')}></seduta-top-bar>
      <main>
        <p><a href="/host" data-testid="back">← ${t('recordings.back')}</a></p>
        <div class="head">
          <h1>
            ${t('recordings.title')}${this.sitting ? html`: <span data-testid="sitting-title">${this.sitting.title}</span>` : nothing}
          </h1>
          ${this.sitting ? html`<seduta-status-badge .status=${this.sitting.status}></seduta-status-badge>` : nothing}
        </div>
        <seduta-register-links .sitting=${this.sitting}></seduta-register-links>
        ${this.#renderFailure()} ${this.#renderList()}
      </main>`;
  }

  #renderFailure() {
    if (!this.failure) return nothing;
    const text = this.failure === 'other' ? this.error : t(FAILURE_TEXT[this.failure]);
    return html`<div
      class="alert alert-error"
      role="alert"
      data-testid="recordings-error"
      data-failure=${this.failure}
    >
      <p>${text}</p>
      ${
        this.failure === 'signed-out'
          ? html`<a class="btn btn-secondary" href="/host">${t('host.signInLink')}</a>`
          : this.failure === 'network' || this.failure === 'other'
            ? html`<button class="btn btn-secondary" type="button" data-testid="retry" @click=${this.#retry}>
                ${t('recordings.retry')}
              </button>`
            : nothing
      }
    </div>`;
  }

  #renderList() {
    const recordings = this.recordings;
    if (recordings === undefined) {
      return this.failure ? nothing : html`<p class="muted" role="status">${t('recordings.loading')}</p>`;
    }
    if (recordings.length === 0) {
      return html`<p class="muted" data-testid="recordings-empty">${t('recordings.empty')}</p>
        <p class="hint">${t('recordings.emptyHint')}</p>`;
    }
    return html`<p class="hint">${t('recordings.audit')}</p>
      <ul data-testid="recordings">
        ${repeat(
          recordings,
          (r) => r.id,
          (r) => html`<li><seduta-recording-card .recording=${r}></seduta-recording-card></li>`,
        )}
      </ul>`;
  }

  async #start(generation: number): Promise<void> {
    try {
      if (!(await currentStaff())) {
        if (generation === this.#generation) this.failure = 'signed-out';
        return;
      }
    } catch (error) {
      if (generation === this.#generation) this.#fail(error);
      return;
    }
    // The title is a nicety: the list's own answer says whether the page can be shown at all.
    staffSitting(this.sittingId).then(
      (sitting) => {
        if (generation === this.#generation) this.sitting = sitting;
      },
      () => undefined,
    );
    await this.#poll(generation);
  }

  async #poll(generation: number): Promise<void> {
    this.#timer = undefined;
    try {
      const recordings = await listRecordings(this.sittingId);
      if (generation !== this.#generation) return;
      this.recordings = recordings;
      this.failure = undefined;
      this.error = '';
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#fail(error);
    }
    if (pollAgain(this.recordings, this.failure)) {
      this.#timer = setTimeout(() => void this.#poll(generation), POLL_INTERVAL_MS);
    }
  }

  #fail(error: unknown): void {
    this.failure = loadFailure(error);
    this.error = errorText(error);
  }

  #retry(): void {
    clearTimeout(this.#timer);
    // A new generation: an answer still on its way from before the click is ignored.
    const generation = ++this.#generation;
    this.failure = undefined;
    if (this.recordings === undefined) void this.#start(generation);
    else void this.#poll(generation);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-recordings-page': RecordingsPage;
  }
}
