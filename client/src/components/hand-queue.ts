import { css, html, type PropertyValues } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { consume } from '@lit/context';
import type { Grants, HandEntry } from '@seduta/server/protocol';
import { SittingClientController, sittingClientContext } from '../context';
import { errorText } from '../error-text';
import { t } from '../i18n';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

const AUDIO_VIDEO: Grants = { audio: true, video: true };
const AUDIO_ONLY: Grants = { audio: true, video: false };

/** "waiting 40 s" / "waiting 2 min", from when the hand was raised. */
export function waitingText(raisedAt: string, now: number): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(raisedAt)) / 1000));
  return seconds < 60
    ? t('queue.waitingSeconds', { n: seconds })
    : t('queue.waitingMinutes', { n: Math.floor(seconds / 60) });
}

/**
 * The host's queue of raised hands, first raised first, each with its live waiting time and the
 * host's answers: give the floor with audio and video or audio only, deny; plus "approve the
 * first". New hands are announced to screen readers. Uses the SittingClient from the context.
 */
@customElement('seduta-hand-queue')
export class HandQueue extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      h2 {
        display: flex;
        align-items: center;
        gap: 0.5rem;
      }
      .count {
        display: inline-grid;
        place-items: center;
        min-width: 1.6rem;
        height: 1.6rem;
        padding: 0 0.4rem;
        border-radius: 999px;
        background: var(--sd-color-primary);
        color: #fff;
        font-size: 0.85rem;
      }
      .count.zero {
        background: var(--sd-color-border);
        color: var(--sd-color-muted);
      }
      ol {
        list-style: none;
        margin: 0 0 0.75rem;
        padding: 0;
      }
      li {
        display: grid;
        grid-template-columns: auto minmax(0, 1fr);
        gap: 0.15rem 0.6rem;
        padding: 0.6rem 0;
        border-top: 1px solid var(--sd-color-border);
      }
      li:first-child {
        border-top: 0;
      }
      .position {
        display: grid;
        place-items: center;
        width: 1.8rem;
        height: 1.8rem;
        border-radius: 50%;
        background: var(--sd-color-primary-soft);
        color: var(--sd-color-primary-hover);
        font-weight: 700;
        font-size: 0.85rem;
      }
      .who {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        justify-content: space-between;
        gap: 0 0.5rem;
        min-width: 0;
      }
      /* The host decides who speaks by this name and company: shown whole, wrapped if long. */
      .name {
        font-weight: 600;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      .wait {
        flex: none;
        color: var(--sd-color-muted);
        font-size: 0.8rem;
        font-variant-numeric: tabular-nums;
      }
      .actions {
        grid-column: 1 / -1;
        display: flex;
        flex-wrap: wrap;
        gap: 0.35rem;
      }
      .actions .btn {
        min-height: 2rem;
        padding: 0.25rem 0.45rem;
        font-size: 0.8rem;
      }
      .empty {
        margin: 0 0 0.75rem;
        color: var(--sd-color-muted);
        font-size: 0.9rem;
      }
      .alert {
        margin-bottom: 0.75rem;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  @state() private now = Date.now();
  @state() private busy = false;
  @state() private error = '';
  @state() private announcement = '';

  protected readonly clientController = new SittingClientController(this, () => this.client);
  #ticker: ReturnType<typeof setInterval> | undefined;
  #known = new Set<string>();

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  override render() {
    const queue = this.client?.queue ?? [];
    return html`<section class="card" aria-labelledby="queue-heading" data-testid="hand-queue">
      <h2 id="queue-heading">
        ${t('queue.title')}
        <span class=${queue.length ? 'count' : 'count zero'} data-testid="queue-count">${queue.length}</span>
      </h2>
      <p class="visually-hidden" role="status">${this.announcement}</p>
      ${
        this.error
          ? html`<div class="alert alert-error" role="alert" data-testid="queue-error">
              <p>${this.error}</p>
            </div>`
          : null
      }
      ${
        queue.length === 0
          ? html`<p class="empty">${t('queue.empty')}</p>`
          : html`<ol data-testid="queue">
              ${repeat(
                queue,
                (h) => h.participantId,
                (h, i) => this.#renderEntry(h, i),
              )}
            </ol>`
      }
      <button
        class="btn btn-primary"
        type="button"
        data-testid="queue-approve-next"
        ?disabled=${this.busy || queue.length === 0}
        @click=${() => this.#run((c) => c.approveNext(AUDIO_VIDEO))}
      >
        ${t('queue.approveNext')}
      </button>
    </section>`;
  }

  #renderEntry(hand: HandEntry, index: number) {
    const name = hand.name;
    return html`<li data-testid="queue-entry" data-participant=${hand.participantId}>
      <span class="position" aria-hidden="true">${index + 1}</span>
      <div class="who">
        <span class="name" data-testid="queue-name" title=${name}>${name}</span>
        <span class="wait" data-testid="queue-wait">${waitingText(hand.raisedAt, this.now)}</span>
      </div>
      <div class="actions">
        <button
          class="btn btn-primary"
          type="button"
          data-testid="queue-approve"
          aria-label=${t('queue.approveLabel', { name })}
          ?disabled=${this.busy}
          @click=${() => this.#run((c) => c.approve(hand.participantId, AUDIO_VIDEO))}
        >
          ${t('queue.approve')}
        </button>
        <button
          class="btn btn-secondary"
          type="button"
          data-testid="queue-approve-audio"
          aria-label=${t('queue.approveAudioLabel', { name })}
          ?disabled=${this.busy}
          @click=${() => this.#run((c) => c.approve(hand.participantId, AUDIO_ONLY))}
        >
          ${t('queue.approveAudio')}
        </button>
        <button
          class="btn btn-secondary"
          type="button"
          data-testid="queue-deny"
          aria-label=${t('queue.denyLabel', { name })}
          ?disabled=${this.busy}
          @click=${() => this.#run((c) => c.deny(hand.participantId))}
        >
          ${t('queue.deny')}
        </button>
      </div>
    </li>`;
  }

  protected override willUpdate(_changed: PropertyValues<this>): void {
    const queue = this.client?.queue ?? [];
    const added = queue.filter((h) => !this.#known.has(h.participantId));
    if (added.length > 0) {
      this.announcement = added.map((h) => t('queue.raisedAnnounce', { name: h.name })).join('. ');
    }
    this.#known = new Set(queue.map((h) => h.participantId));
    this.#tick(queue.length > 0);
  }

  /** The waiting times move only while someone waits. */
  #tick(on: boolean): void {
    if (on && this.#ticker === undefined) {
      this.now = Date.now();
      this.#ticker = setInterval(() => (this.now = Date.now()), 1000);
    } else if (!on && this.#ticker !== undefined) {
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }
  }

  async #run(work: (client: SittingClient) => Promise<unknown>): Promise<void> {
    const client = this.client;
    if (!client || this.busy) return;
    this.busy = true;
    this.error = '';
    try {
      await work(client);
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-hand-queue': HandQueue;
  }
}
