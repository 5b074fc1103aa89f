import { css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import type { RecordingIndicatorState, SittingStatus } from '@seduta/server/protocol';
import { sittingClientContext } from '../context';
import { t, type MessageKey } from '../i18n';
import type { HandStatus, SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import { SedutaElement } from './seduta-element';

/** What a screen reader is told when the own hand changes for a reason that is not the person's doing. */
const HAND_NEWS: Record<string, MessageKey> = {
  denied: 'hand.denied',
  revoked: 'hand.revoked',
  kicked: 'hand.kicked',
};

/** Recording states that count as "being recorded" for the announcements. */
const RECORDING: ReadonlySet<RecordingIndicatorState> = new Set(['recording', 'paused']);

/**
 * The page's two live regions (WCAG 4.1.3, status messages), visually hidden and present from the
 * start so assistive technologies follow them: a polite one for the floor given or refused and
 * the recording started, paused or stopped; an assertive one for the end of
 * the sitting. Listens to the SittingClient from the context; the visible page says the same
 * things in its own places. Chat lines are not repeated here: the chat panel's list is itself a
 * live region (role log), on every page that shows the chat.
 */
@customElement('seduta-live-announcer')
export class LiveAnnouncer extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: contents;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  @state() private polite = '';
  @state() private assertive = '';

  #subscribed?: SittingClient;
  #off: (() => void)[] = [];
  #hand?: HandStatus;
  #recording?: RecordingIndicatorState;
  #status?: SittingStatus;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe();
  }

  override willUpdate(): void {
    if (this.client === this.#subscribed) return;
    this.#unsubscribe();
    const client = this.client;
    this.#subscribed = client;
    if (!client) return;
    this.#hand = client.hand;
    this.#recording = client.recording.state;
    this.#status = client.sitting?.status;
    this.#off = [
      client.on('hand', (hand) => this.#onHand(hand)),
      client.on('recording', (recording) => this.#onRecording(recording.state, client)),
      client.on('sitting', (sitting) => this.#onSitting(sitting.status)),
    ];
  }

  override render() {
    return html`<div class="visually-hidden" role="status" aria-live="polite" data-testid="live-polite">
        ${this.polite}
      </div>
      <div class="visually-hidden" role="alert" aria-live="assertive" data-testid="live-assertive">
        ${this.assertive}
      </div>`;
  }

  /** Says `text` in the polite region; the same text twice in a row is still read (a space differs). */
  #say(text: string): void {
    this.polite = text === this.polite.trim() ? `${text} ` : text;
  }

  #onHand(hand: HandStatus): void {
    const before = this.#hand;
    this.#hand = hand;
    if (hand.state === 'speaking' && before?.state !== 'speaking') this.#say(t('consent.title'));
    else if (hand.state === 'none' && before?.state !== 'none') {
      const news = hand.reason ? HAND_NEWS[hand.reason] : undefined;
      if (news) this.#say(t(news));
    }
  }

  #onRecording(state: RecordingIndicatorState, client: SittingClient): void {
    const before = this.#recording;
    this.#recording = state;
    // The state found on joining is told by the recording notice and the indicator, not read out.
    if (state === before || client.phase !== 'joined') return;
    if (state === 'recording')
      this.#say(t(before === 'paused' ? 'a11y.recordingResumed' : 'a11y.recordingStarted'));
    else if (state === 'paused') this.#say(t('recording.paused'));
    else if (before !== undefined && RECORDING.has(before)) this.#say(t('a11y.recordingStopped'));
  }

  #onSitting(status: SittingStatus): void {
    const before = this.#status;
    this.#status = status;
    if (status === 'ended' && before !== 'ended') this.assertive = t('details.ended');
  }

  #unsubscribe(): void {
    for (const off of this.#off) off();
    this.#off = [];
    this.#subscribed = undefined;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-live-announcer': LiveAnnouncer;
  }
}
