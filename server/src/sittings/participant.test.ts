import { describe, expect, it } from 'vitest';
import { CAMERA_CAPTURE_WIDTH, layerForViewSize, layerWidths } from './participant';

const threeLayers = 3;

describe('the simulcast layer a viewer gets', () => {
  it('knows the width of each layer from their number and the camera', () => {
    expect(layerWidths(threeLayers, CAMERA_CAPTURE_WIDTH.speaker)).toEqual([160, 320, 640]);
    expect(layerWidths(threeLayers, CAMERA_CAPTURE_WIDTH.host)).toEqual([320, 640, 1280]);
    expect(layerWidths(1, 1280)).toEqual([1280]);
  });

  it("shows a speaker's 300 px tile from their 320 px layer, not the 160 px one", () => {
    expect(layerForViewSize(300, 169, layerWidths(threeLayers, CAMERA_CAPTURE_WIDTH.speaker))).toBe(1);
  });

  it("shows the host's camera on a 700 px stage from the 1280 px layer, not the 640 px one", () => {
    expect(layerForViewSize(700, 394, layerWidths(threeLayers, CAMERA_CAPTURE_WIDTH.host))).toBe(2);
  });

  it('keeps the smallest layer for a thumbnail, and the top one for anything wider than it', () => {
    const host = layerWidths(threeLayers, CAMERA_CAPTURE_WIDTH.host);
    expect(layerForViewSize(320, 180, host)).toBe(0);
    expect(layerForViewSize(1920, 1080, host)).toBe(2);
    expect(layerForViewSize(400, 225, [1280])).toBe(0);
  });
});
