import { describe, expect, it } from 'vitest';
import { CAMERA_CAPTURE_WIDTH, captureWidthFor, layerForViewSize, layerWidths } from './participant';

/** The encodings the web client publishes (client/src/media/send.ts), as mediasoup keeps them. */
const hostCamera = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 100_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 300_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 900_000 },
];
const speakerCamera = [
  { rid: 'r0', scaleResolutionDownBy: 2, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 1, maxBitrate: 500_000 },
];

const hostWidths = layerWidths(hostCamera, captureWidthFor('host'));
const speakerWidths = layerWidths(speakerCamera, captureWidthFor('operator'));

describe('the width of each simulcast layer', () => {
  it('divides the publisher’s capture width by each encoding’s scale', () => {
    expect(hostWidths).toEqual([320, 640, 1280]);
    expect(speakerWidths).toEqual([320, 640]);
  });

  it('knows the capture width by who publishes: staff and commissioners 1280, a speaker 640', () => {
    expect(captureWidthFor('host')).toBe(CAMERA_CAPTURE_WIDTH.host);
    expect(captureWidthFor('admin')).toBe(1280);
    expect(captureWidthFor('commissioner')).toBe(1280);
    expect(captureWidthFor('operator')).toBe(CAMERA_CAPTURE_WIDTH.speaker);
  });

  it('assumes the browser default (each layer half the next) where a scale is missing or nonsense', () => {
    expect(layerWidths([{}, {}, {}], 1280)).toEqual([320, 640, 1280]);
    expect(layerWidths([{ scaleResolutionDownBy: 0 }, { scaleResolutionDownBy: 'x' }], 640)).toEqual([
      320, 640,
    ]);
    expect(layerWidths([{ scaleResolutionDownBy: Number.NaN }, {}], 640)).toEqual([320, 640]);
  });

  it('gives a single-layer track (screen, microphone) one layer, even with no encodings', () => {
    expect(layerWidths([{}], 1280)).toEqual([1280]);
    expect(layerWidths(undefined, 1280)).toEqual([1280]);
    expect(layerWidths([], 640)).toEqual([640]);
  });
});

describe('the simulcast layer a viewer gets', () => {
  it("shows a speaker's 300 px tile from their 320 px layer", () => {
    expect(layerForViewSize(300, 169, speakerWidths)).toBe(0);
    expect(speakerWidths[0]).toBe(320);
  });

  it("gives a speaker's tile wider than 320 px their full 640 px layer (rounding up, not down)", () => {
    expect(layerForViewSize(321, 180, speakerWidths)).toBe(1);
    expect(layerForViewSize(640, 360, speakerWidths)).toBe(1);
    expect(layerForViewSize(1200, 675, speakerWidths)).toBe(1);
  });

  it("shows the host's camera on a 700 px stage from the 1280 px layer, not the 640 px one", () => {
    expect(layerForViewSize(700, 394, hostWidths)).toBe(2);
    expect(layerForViewSize(640, 360, hostWidths)).toBe(1);
  });

  it('keeps the smallest layer for a thumbnail or a hidden video, and the widest for anything wider', () => {
    expect(layerForViewSize(320, 180, hostWidths)).toBe(0);
    expect(layerForViewSize(0, 0, hostWidths)).toBe(0);
    expect(layerForViewSize(1920, 1080, hostWidths)).toBe(2);
    expect(layerForViewSize(400, 225, [1280])).toBe(0);
  });

  it('counts a box taller than 16:9 by its height', () => {
    expect(layerForViewSize(300, 300, hostWidths)).toBe(1);
  });

  it('picks by width, not by position, whatever order the layers come in', () => {
    expect(layerForViewSize(300, 169, [1280, 320, 640])).toBe(1);
    expect(layerForViewSize(2000, 1125, [1280, 320, 640])).toBe(0);
  });
});
