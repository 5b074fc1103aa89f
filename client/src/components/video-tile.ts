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
 * How long a track may receive packets without showing a frame before its size is reported anyway.
 * Firefox sometimes cannot decode the first keyframe of a fresh join and asks again, and the
 * publisher answers a layer at most once a second; the size raises the layer, whose keyframe comes
 * sooner. Once packets flow a raise costs the first picture nothing (the server keeps sending the
 * lowest layer until the larger one's keyframe); before them, it would make the first picture wait
 * for a keyframe of the larger layer. A frame normally follows the first packets within 10–100 ms;
 * a raise 100 ms after them did not take (measured: the first picture still came after a second).
 */
const FIRST_FRAME_GRACE_MS = 300;
/**
 * The same, counted from the receive transport's connection, for a keyframe that never reached
 * this viewer (seen in Firefox: nothing arrived until the publisher's next answer a second later).
 * In a ten-viewer join storm on two cores the first frame followed the connection within 220 ms.
 */
const CONNECTED_GRACE_MS = 400;

/**
 * One video (muted element; audio plays elsewhere) with a caption.
 *
 * @fires seduta-view-size - {@link ViewSizeDetail}, throttled, when the displayed size changes
 *   (only when `consumerId` is set: the server picks the simulcast layer from it), and not before
 *   the track's first frame is shown: a viewer starts on the lowest layer, and a size reported
 *   earlier would make the server wait for a keyframe of a larger layer before the first picture
 *   (unless packets arrive and no frame follows: see {@link FIRST_FRAME_GRACE_MS})
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
  /** The DTLS transport the received track arrives on (see {@link CONNECTED_GRACE_MS}). */
  @property({ attribute: false }) transport?: RTCDtlsTransport;
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
  /** The track whose sizes are reported: its first frame was shown, or its packets led to none. */
  #sizable?: MediaStreamTrack;
  /** Ends the current first-frame watch: its listeners and timers. */
  #watch?: AbortController;

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
    this.#watch?.abort();
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
    this.#watch?.abort();
    const watch = new AbortController();
    this.#watch = watch;
    const { signal } = watch;
    const fire = (): void => {
      if (this.#framed !== track) return;
      watch.abort();
      if (!this.consumerId) return;
      this.dispatchEvent(
        new CustomEvent<FirstFrameDetail>('seduta-first-frame', {
          detail: { consumerId: this.consumerId },
          bubbles: true,
          composed: true,
        }),
      );
      // The picture is there: now the layer may climb to the displayed size (at once, the layout
      // has long settled), at the cost of one keyframe of that layer.
      this.#startSizing(track);
    };
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(() => fire());
    else (video as HTMLVideoElement).addEventListener('loadeddata', fire, { once: true });
    // No frame yet some time after the first packets (a remote track unmutes at them) or after the
    // transport connected: the size is reported anyway.
    const grace = (ms: number): void => {
      if (signal.aborted) return;
      const timer = setTimeout(() => this.#startSizing(track), ms);
      signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    };
    if (track.muted)
      track.addEventListener('unmute', () => grace(FIRST_FRAME_GRACE_MS), { once: true, signal });
    else grace(FIRST_FRAME_GRACE_MS);
    const transport = this.transport;
    if (transport?.state === 'connected') grace(CONNECTED_GRACE_MS);
    else
      transport?.addEventListener(
        'statechange',
        () => {
          if (transport.state === 'connected') grace(CONNECTED_GRACE_MS);
        },
        { signal },
      );
  }

  /** Sizes of `track` are reported from now on, the current one at once. */
  #startSizing(track: MediaStreamTrack): void {
    if (this.#framed !== track || this.#sizable === track) return;
    this.#sizable = track;
    this.#reportViewSize();
  }

  #scheduleViewSize(): void {
    if (this.#sizeTimer !== undefined) return;
    this.#sizeTimer = setTimeout(() => {
      this.#sizeTimer = undefined;
      this.#reportViewSize();
    }, VIEW_SIZE_THROTTLE_MS);
  }

  #reportViewSize(): void {
    if (!this.consumerId || !this.video || !this.track || this.#sizable !== this.track) return;
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
