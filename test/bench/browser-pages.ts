/**
 * The page-side source of the real-browser benchmark (browser.ts, single-joins.ts): the stamp the
 * host draws and the viewers read, the host's fake camera and microphone, and the viewers' init
 * script (click time, per-video requestVideoFrameCallback, stamp reading, join timing).
 */
/**
 * The stamp, shared by the host (draw) and the viewers (read), as page source: an 8×6 grid over the
 * whole frame (160×120 px blocks at 720p, 40×30 at the ¼ simulcast layer). Row 0 is a fixed guard
 * pattern, then 32 bits of Date.now() mod 2^32 (MSB first), then CRC-8 (poly 0x07) of those 4 bytes.
 * White = 1, black = 0.
 */
const STAMP_JS = `
const STAMP = (() => {
  const cols = 8, rows = 6;
  const guard = [1, 0, 1, 1, 0, 0, 1, 0];
  const bytesOf = (v) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  const crc8 = (bytes) => {
    let c = 0;
    for (const b of bytes) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
    }
    return c;
  };
  const cells = (ms) => {
    const v = ms % 4294967296;
    const out = guard.slice();
    for (let i = 31; i >= 0; i--) out.push(Math.floor(v / 2 ** i) % 2);
    const crc = crc8(bytesOf(v));
    for (let i = 7; i >= 0; i--) out.push((crc >> i) & 1);
    return out;
  };
  const decode = (bits) => {
    for (let i = 0; i < guard.length; i++) if (bits[i] !== guard[i]) return { ok: false, reason: 'guard' };
    let v = 0;
    for (let i = 8; i < 40; i++) v = v * 2 + bits[i];
    let crc = 0;
    for (let i = 40; i < 48; i++) crc = crc * 2 + bits[i];
    if (crc8(bytesOf(v)) !== crc) return { ok: false, reason: 'checksum' };
    return { ok: true, value: v };
  };
  return { cols, rows, cells, decode };
})();
`;

/** Host page (function body, argument `cfg`): the stamped canvas camera and the oscillator microphone. */
export const HOST_BODY = `
${STAMP_JS}
if (window.__benchHost) return window.__benchHost.info();
const canvas = document.createElement('canvas');
canvas.width = cfg.width;
canvas.height = cfg.height;
const ctx = canvas.getContext('2d', { alpha: false });
const cw = cfg.width / STAMP.cols, ch = cfg.height / STAMP.rows;
const state = { drawn: 0, since: performance.now(), requests: [] };
const draw = () => {
  const bits = STAMP.cells(Date.now());
  for (let i = 0; i < bits.length; i++) {
    ctx.fillStyle = bits[i] ? '#fff' : '#000';
    ctx.fillRect((i % STAMP.cols) * cw, Math.floor(i / STAMP.cols) * ch, cw, ch);
  }
  state.drawn++;
};
// Drawn in animation frames, so that the capture (at the end of the same rendering update) follows
// the stamp within a frame; every other 60 Hz frame gives 30 fps.
let last = -Infinity;
const tick = (t) => {
  if (t - last >= 1000 / cfg.fps - 4) { last = t; draw(); }
  requestAnimationFrame(tick);
};
draw();
requestAnimationFrame(tick);
const video = canvas.captureStream().getVideoTracks()[0];
let audio = null;
navigator.mediaDevices.getUserMedia = async (constraints) => {
  const tracks = [];
  if (constraints && constraints.video) tracks.push(video.clone());
  if (constraints && constraints.audio) {
    if (!audio) {
      const ac = new AudioContext();
      const osc = ac.createOscillator();
      osc.frequency.value = 440;
      const gain = ac.createGain();
      gain.gain.value = 0.1;
      const dest = ac.createMediaStreamDestination();
      osc.connect(gain);
      gain.connect(dest);
      osc.start();
      audio = { ac, dest };
    }
    audio.ac.resume().catch(() => undefined);
    tracks.push(audio.dest.stream.getAudioTracks()[0].clone());
  }
  state.requests.push(tracks.map((t) => t.kind).join('+'));
  return new MediaStream(tracks);
};
// The client's peer connections, to read what the host's encoder sends (simulcast layers, limits).
const pcs = [];
const NativePC = window.RTCPeerConnection;
const TracedPC = function (...args) {
  const pc = new NativePC(...args);
  pcs.push(pc);
  return pc;
};
TracedPC.prototype = NativePC.prototype;
Object.setPrototypeOf(TracedPC, NativePC);
window.RTCPeerConnection = TracedPC;
const layers = async () => {
  const out = [];
  for (const pc of pcs) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((s) => {
      if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
      out.push({
        rid: s.rid || null,
        width: s.frameWidth || 0,
        height: s.frameHeight || 0,
        fps: s.framesPerSecond || 0,
        active: s.active !== false,
        qualityLimitationReason: s.qualityLimitationReason || 'none',
        qualityLimitationDurations: s.qualityLimitationDurations || {},
      });
    });
  }
  return out.sort((a, b) => String(a.rid).localeCompare(String(b.rid)));
};
window.__benchHost = {
  info: async () => ({
    drawn: state.drawn,
    fps: Math.round((state.drawn / ((performance.now() - state.since) / 1000)) * 10) / 10,
    requests: state.requests,
    audioState: audio ? audio.ac.state : 'none',
    layers: await layers(),
  }),
};
return window.__benchHost.info();
`;

/**
 * Viewer pages (init script, before the app): click time, per-video rVFC, stamp reading, join
 * timing. `maxSamples` bounds the latency samples kept per video.
 */
export function viewerScript(maxSamples: number): string {
  return `(() => {
${STAMP_JS}
const B = { clickAt: null, clickWall: null, sampling: false, maxSamples: ${maxSamples}, videos: [] };
Object.defineProperty(window, '__bench', { value: B });
const find = (root, id) => {
  const hit = root.querySelector('[data-testid="' + id + '"]');
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    const inner = el.shadowRoot ? find(el.shadowRoot, id) : null;
    if (inner) return inner;
  }
  return null;
};
B.joinReady = () => {
  const b = find(document, 'join');
  return !!b && !b.disabled;
};
/** The join button's centre in viewport pixels, for a real mouse click. */
B.joinBox = () => {
  const b = find(document, 'join');
  if (!b) return null;
  b.scrollIntoView({ block: 'center' });
  const r = b.getBoundingClientRect();
  return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
};
/** Presses "leave" (after a single join), so the server closes this viewer's media. */
B.leave = () => {
  const b = find(document, 'leave');
  if (b) b.click();
  return !!b;
};
/** The web client's join marks (client/src/join-timing.ts) with the click and the first frame. */
B.joinTiming = () => {
  const t = window.__sedutaJoinTiming;
  const cam = B.camera();
  return {
    timeOrigin: performance.timeOrigin,
    skewMs: performance.timeOrigin + performance.now() - Date.now(),
    clickAt: B.clickAt,
    firstFrameAt: cam ? cam.firstFrameAt : null,
    marks: t ? t.marks.slice() : [],
  };
};
addEventListener('click', (e) => {
  if (B.clickAt !== null) return;
  if (e.composedPath().some((n) => n instanceof HTMLElement && n.dataset.testid === 'join')) {
    B.clickAt = performance.now();
    B.clickWall = Date.now();
  }
}, true);

// Reading a frame: the presented frame as a VideoFrame (software decode: I420 in memory), its luma
// plane copied out; 4×4 points in the middle half of each block, averaged. A canvas readback
// (drawImage + getImageData) is the fallback for frames that are not in memory.
const HI = 160, LO = 96;
let buffer = new Uint8Array(0);
const reader = document.createElement('canvas');
reader.width = STAMP.cols * 8;
reader.height = STAMP.rows * 8;
let rctx = null;
const lumaOf = async (video) => {
  let frame = null;
  try {
    frame = new VideoFrame(video);
    if (frame.format === 'I420' || frame.format === 'I420A' || frame.format === 'NV12') {
      const size = frame.allocationSize();
      if (buffer.length < size) buffer = new Uint8Array(size);
      const layout = await frame.copyTo(buffer);
      const { offset, stride } = layout[0];
      const w = frame.visibleRect.width, h = frame.visibleRect.height;
      return { path: 'videoframe', at: (x, y) => buffer[offset + Math.floor(y * h) * stride + Math.floor(x * w)] };
    }
  } catch {
    // Fall back to the canvas.
  } finally {
    if (frame) frame.close();
  }
  if (!rctx) rctx = reader.getContext('2d', { willReadFrequently: true });
  rctx.drawImage(video, 0, 0, reader.width, reader.height);
  const px = rctx.getImageData(0, 0, reader.width, reader.height).data;
  return {
    path: 'canvas',
    at: (x, y) => {
      const i = (Math.floor(y * reader.height) * reader.width + Math.floor(x * reader.width)) * 4;
      return 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
    },
  };
};
const sample = async (video, rec, meta, at, wall) => {
  const luma = await lumaOf(video);
  rec.paths[luma.path] = (rec.paths[luma.path] || 0) + 1;
  const bits = [];
  for (let r = 0; r < STAMP.rows; r++) {
    for (let c = 0; c < STAMP.cols; c++) {
      let sum = 0;
      for (let j = 0; j < 4; j++)
        for (let i = 0; i < 4; i++)
          sum += luma.at((c + 0.25 + (i + 0.5) / 8) / STAMP.cols, (r + 0.25 + (j + 0.5) / 8) / STAMP.rows);
      const lum = sum / 16;
      if (lum >= HI) bits.push(1);
      else if (lum <= LO) bits.push(0);
      else { rec.rejected.unclear++; return; }
    }
  }
  const d = STAMP.decode(bits);
  if (!d.ok) { rec.rejected[d.reason]++; return; }
  let latency = (wall % 4294967296) - d.value;
  if (latency > 2147483648) latency -= 4294967296;
  else if (latency < -2147483648) latency += 4294967296;
  // Same clock on both ends: a stamp from the future or from long ago is a misread.
  if (latency < -2 || latency > 10000) { rec.rejected.range++; return; }
  rec.latencies.push(latency);
  rec.receiveToCallback.push(typeof meta.receiveTime === 'number' ? Math.round((at - meta.receiveTime) * 10) / 10 : null);
  const size = meta.width + 'x' + meta.height;
  rec.sizes[size] = (rec.sizes[size] || 0) + 1;
};

const watched = new WeakMap();
const watch = (video, stream) => {
  if (watched.get(video) === stream || B.videos.length >= 50) return;
  watched.set(video, stream);
  const track = stream.getVideoTracks ? stream.getVideoTracks()[0] : undefined;
  const rec = {
    trackId: track ? track.id : null, testid: null, firstFrameAt: null, callbacks: 0, missed: 0,
    lastPresented: null, rejected: { unclear: 0, guard: 0, checksum: 0, range: 0 },
    latencies: [], receiveToCallback: [], sizes: {}, readMs: 0, reads: 0, paths: {},
  };
  B.videos.push(rec);
  const onFrame = (_now, meta) => {
    if (watched.get(video) !== stream) return;
    const at = performance.now();
    const wall = Date.now();
    rec.callbacks++;
    if (rec.firstFrameAt === null) rec.firstFrameAt = at;
    const root = video.getRootNode();
    rec.testid = root && root.host && root.host.dataset ? root.host.dataset.testid || null : null;
    if (B.sampling && rec.testid === 'video-camera') {
      if (rec.lastPresented !== null && meta.presentedFrames > rec.lastPresented + 1)
        rec.missed += meta.presentedFrames - rec.lastPresented - 1;
      rec.lastPresented = meta.presentedFrames;
      if (rec.reads < B.maxSamples) {
        rec.reads++;
        sample(video, rec, meta, at, wall).then(
          () => (rec.readMs += performance.now() - at),
          () => rec.rejected.unclear++,
        );
      }
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
};
const desc = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'srcObject');
Object.defineProperty(HTMLMediaElement.prototype, 'srcObject', {
  configurable: true,
  enumerable: desc.enumerable,
  get() { return desc.get.call(this); },
  set(value) {
    desc.set.call(this, value);
    if (value && this instanceof HTMLVideoElement) watch(this, value);
  },
});

B.camera = () => B.videos.find((v) => v.testid === 'video-camera' && v.firstFrameAt !== null) || null;
B.firstFrame = () => {
  const cam = B.camera();
  return cam && B.clickAt !== null ? { clickAt: B.clickAt, clickWall: B.clickWall, firstFrameAt: cam.firstFrameAt } : null;
};
B.start = () => { for (const v of B.videos) v.lastPresented = null; B.sampling = true; };
B.stop = () => { B.sampling = false; };
/** The camera stream as the client and the browser report it, and the track the tile shows. */
B.inbound = async () => {
  const sourced = await window.__sedutaInbound();
  const reports = await window.__sedutaStats();
  const cams = sourced.filter((s) => s.kind === 'video' && s.source === 'camera');
  const trackIds = [];
  const totals = { jitterBufferDelay: 0, jitterBufferEmittedCount: 0, totalDecodeTime: 0, framesDropped: 0 };
  for (const report of reports) report.forEach((s) => {
    if (s.type !== 'inbound-rtp' || !cams.some((c) => c.ssrc === s.ssrc)) return;
    trackIds.push(s.trackIdentifier);
    for (const k of Object.keys(totals)) totals[k] += typeof s[k] === 'number' ? s[k] : 0;
  });
  const cam = B.camera();
  return {
    cameras: cams.length,
    videos: sourced.filter((s) => s.kind === 'video').length,
    framesDecoded: cams.reduce((n, c) => n + c.framesDecoded, 0),
    ...totals,
    trackIds,
    shownTrackId: cam ? cam.trackId : null,
  };
};
B.result = () => {
  const cam = B.camera();
  const m = window.__sedutaMetrics;
  return {
    clientJoinToFirstFrameMs: m && typeof m.joinToFirstFrameMs === 'number' ? m.joinToFirstFrameMs : null,
    latencies: cam ? cam.latencies : [],
    receiveToCallback: cam ? cam.receiveToCallback : [],
    rejected: cam ? cam.rejected : { unclear: 0, guard: 0, checksum: 0, range: 0 },
    missed: cam ? cam.missed : 0,
    sizes: cam ? cam.sizes : {},
    readMsPerFrame: cam && cam.reads ? Math.round((cam.readMs / cam.reads) * 100) / 100 : null,
    readPaths: cam ? cam.paths : {},
  };
};
})();`;
}
