import { css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import type { RecordingIndicatorState } from '@seduta/server/protocol';
import { sittingClientContext } from '../context';
import { errorText } from '../error-text';
import { t, type MessageKey } from '../i18n';
import { gapWarning } from '../recordings';
import type { SittingClient } from '../sitting-client';
import { sharedStyles } from '../styles/shared';
import type { ConfirmDialog } from './confirm-dialog';
import { SedutaElement } from './seduta-element';
import './confirm-dialog';

type Action = 'start' | 'pause' | 'resume' | 'stop';

/** The buttons each recording state offers. */
function actionsFor(state: RecordingIndicatorState): Action[] {
  switch (state) {
    case 'off':
    case 'ready':
    case 'failed':
    case 'finalizing':
      return ['start'];
    case 'starting':
      // Pausing before anything is recorded means nothing; stopping is always possible.
      return ['stop'];
    case 'recording':
      return ['pause', 'stop'];
    case 'paused':
      return ['resume', 'stop'];
    case 'stopping':
      return [];
    default:
      return assertNever(state);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected recording state ${String(value)}`);
}

/**
 * The host's recording controls: start, pause, resume and stop, with the current state ("starting"
 * until every live track is on disk), and a warning for each live track not being recorded now.
 * Styled as the console's toolbar; stopping asks for confirmation. Uses the SittingClient from
 * the context.
 */
@customElement('seduta-recording-controls')
export class RecordingControlsElement extends SedutaElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        margin-top: 0.75rem;
      }
      section {
        padding: 0.75rem 1rem;
        background: var(--sd-color-surface);
        border: 1px solid var(--sd-color-border);
        border-radius: var(--sd-radius);
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem;
      }
      .state {
        font-weight: 600;
      }
    `,
  ];

  @consume({ context: sittingClientContext, subscribe: true })
  @state()
  client?: SittingClient;

  @state() private busy = false;
  @state() private error = '';

  @query('seduta-confirm-dialog') private confirmDialog?: ConfirmDialog;

  #off: (() => void) | undefined;
  #subscribed: SittingClient | undefined;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#off?.();
    this.#off = undefined;
    this.#subscribed = undefined;
  }

  override willUpdate(): void {
    if (this.client === this.#subscribed) return;
    this.#off?.();
    this.#subscribed = this.client;
    this.#off = this.client?.on('recording', () => this.requestUpdate());
  }

  override render() {
    const client = this.client;
    if (!client || client.phase !== 'joined') return nothing;
    const { state, degraded, gaps = [] } = client.recording;
    return html`<section role="toolbar" aria-label=${t('recording.controls')}>
      <div class="row">
        <seduta-recording-indicator></seduta-recording-indicator>
        <span class="state" data-testid="recording-state"
          >${t(`recording.state.${state}` as MessageKey)}${degraded ? ` (${t('recording.degraded')})` : ''}</span
        >
        ${actionsFor(state).map(
          (action) =>
            html`<button
              class="btn btn-secondary"
              type="button"
              data-testid="recording-${action}"
              ?disabled=${this.busy}
              @click=${() => this.#run(action)}
            >
              ${t(`recording.${action}`)}
            </button>`,
        )}
      </div>
      ${gaps.map(
        (gap) =>
          html`<p class="alert alert-warning" role="alert" data-testid="recording-gap">
            ${gapWarning(gap)}
          </p>`,
      )}
      ${this.error ? html`<p class="alert alert-error" role="alert">${this.error}</p>` : nothing}
      <seduta-confirm-dialog
        testid="recording-stop-dialog"
        confirm-testid="recording-stop-confirm"
      ></seduta-confirm-dialog>
    </section>`;
  }

  async #run(action: Action): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (action === 'stop') {
      const ok = await this.confirmDialog?.ask({
        title: t('recording.stopConfirmTitle'),
        body: t('recording.stopConfirmBody'),
        confirm: t('recording.stopConfirm'),
      });
      if (!ok) return;
    }
    this.busy = true;
    this.error = '';
    try {
      switch (action) {
        case 'start':
          await client.startRecording();
          break;
        case 'pause':
          await client.pauseRecording();
          break;
        case 'resume':
          await client.resumeRecording();
          break;
        case 'stop':
          await client.stopRecording();
          break;
        default:
          assertNever(action);
      }
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-recording-controls': RecordingControlsElement;
  }
}
