import { css, html, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { streamOf } from '../media/streams';
import { SedutaElement } from './seduta-element';

/** Detail of `seduta-view-size`: the video's displayed size in device pixels. */
export interface ViewSizeDetail {
  consumerId: string;
  width: number;
  height: number;
}

/** Detail of `seduta-first-frame`. */
export interface FirstFrameDetail {
  consumerId: string;
}

/** Reported sizes are throttled: layout settles in bursts (resizes, fullscreen). */
const VIEW_SIZE_THROTTLE_MS = 400;

/**
 * One video (muted element; audio plays elsewhere) with a caption.
 *
 * @fires seduta-view-size - {@link ViewSizeDetail}, throttled, when the displayed size changes
 *   (only when `consumerId` is set: the server picks the simulcast layer from it)
 * @fires seduta-first-frame - {@link FirstFrameDetail}, once per track, at its first decoded frame
 */
@customElement('seduta-video-tile')
export class VideoTile extends SedutaElement {
  static override styles = css`
    :host {
      display: block;
      position: relative;
      overflow: hidden;
      background: var(--sd-color-stage);
      border-radius: var(--sd-radius);
    }
    video {
      display: block;
      width: 100%;
      height: 100%;
      object-fit: contain;
      background: var(--sd-color-stage);
    }
    :host([fit='cover']) video {
      object-fit: cover;
    }
    :host([mirror]) video {
      transform: scaleX(-1);
    }
    .caption {
      position: absolute;
      left: 0.6rem;
      bottom: 0.6rem;
      max-width: calc(100% - 1.2rem);
      padding: 0.15rem 0.55rem;
      border-radius: 4px;
      background: rgb(0 0 0 / 60%);
      color: #fff;
      font-size: 0.8rem;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .paused {
      position: absolute;
      inset: 0;
      display: grid;
      place-items: center;
      color: #c9d3dd;
      font-size: 0.9rem;
      background: rgb(13 20 28 / 85%);
    }
  `;

  @property({ attribute: false }) track?: MediaStreamTrack;
  /** The consumer shown, when this is a received video. */
  @property() consumerId = '';
  @property() label = '';
  /** Text shown over the video while it is paused by its sender. */
  @property() pausedLabel = '';
  @property({ type: Boolean }) paused = false;
  @property({ type: Boolean, reflect: true }) mirror = false;
  @property({ reflect: true }) fit: 'contain' | 'cover' = 'contain';

  @query('video') private video?: HTMLVideoElement;

  #observer?: ResizeObserver;
  #sizeTimer: ReturnType<typeof setTimeout> | undefined;
  #lastSize = '';
  #framed?: MediaStreamTrack;

  override render() {
    return html`<video
        autoplay
        playsinline
        muted
        .srcObject=${this.track ? streamOf(this.track) : null}
      ></video>
      ${this.paused && this.pausedLabel ? html`<div class="paused">${this.pausedLabel}</div>` : null}
      ${this.label ? html`<span class="caption">${this.label}</span>` : null}`;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#observer?.disconnect();
    this.#observer = undefined;
    clearTimeout(this.#sizeTimer);
  }

  override updated(changed: PropertyValues<this>): void {
    const video = this.video;
    if (!video) return;
    if (!this.#observer) {
      this.#observer = new ResizeObserver(() => this.#scheduleViewSize());
      this.#observer.observe(video);
    }
    if (changed.has('track') && this.track && this.#framed !== this.track)
      this.#watchFirstFrame(video, this.track);
    if (changed.has('consumerId')) {
      this.#lastSize = '';
      this.#scheduleViewSize();
    }
  }

  #watchFirstFrame(video: HTMLVideoElement, track: MediaStreamTrack): void {
    this.#framed = track;
    const fire = (): void => {
      if (this.#framed !== track || !this.consumerId) return;
      this.dispatchEvent(
        new CustomEvent<FirstFrameDetail>('seduta-first-frame', {
          detail: { consumerId: this.consumerId },
          bubbles: true,
          composed: true,
        }),
      );
    };
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(() => fire());
    else (video as HTMLVideoElement).addEventListener('loadeddata', fire, { once: true });
  }

  #scheduleViewSize(): void {
    if (this.#sizeTimer !== undefined) return;
    this.#sizeTimer = setTimeout(() => {
      this.#sizeTimer = undefined;
      this.#reportViewSize();
    }, VIEW_SIZE_THROTTLE_MS);
  }

  #reportViewSize(): void {
    if (!this.consumerId || !this.video) return;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(this.video.clientWidth * ratio);
    const height = Math.round(this.video.clientHeight * ratio);
    const key = `${this.consumerId}:${width}x${height}`;
    if (key === this.#lastSize) return;
    this.#lastSize = key;
    this.dispatchEvent(
      new CustomEvent<ViewSizeDetail>('seduta-view-size', {
        detail: { consumerId: this.consumerId, width, height },
        bubbles: true,
        composed: true,
      }),
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'seduta-video-tile': VideoTile;
  }
}
