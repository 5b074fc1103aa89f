/**
 * Where each picture goes in the composite of the final file, and when. At every moment the set of
 * roles on screen (host camera, speaker camera, screen share) picks a layout; the timeline is cut
 * wherever that set changes. Pure arithmetic, in output pixels and final-timeline seconds.
 */

/** What a video track is in the composite. */
export type VideoRole = 'host' | 'speaker' | 'screen';

/** A rectangle of the output frame, in pixels; every value is even (4:2:0 chroma). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The rect of every role present; a role without one is not on screen. */
export type Layout = Partial<Record<VideoRole, Rect>>;

/** A stretch of the final timeline, seconds, during which the layout does not change. */
export interface LayoutSpan {
  start: number;
  end: number;
  layout: Layout;
}

/** When a video lane shows something (its presence spans), and what it is. */
export interface LanePresence {
  role: VideoRole;
  spans: [number, number][];
}

/** One rect a lane is drawn in, and the windows (half-open, seconds) it is drawn there. */
export interface Placement {
  rect: Rect;
  windows: [number, number][];
}

/** Cameras in the column beside a screen share, top to bottom. */
const COLUMN_ORDER: VideoRole[] = ['host', 'speaker'];

/** The layout of a set of roles present, in a width×height frame. */
export function layoutFor(present: ReadonlySet<VideoRole>, width: number, height: number): Layout {
  const full: Rect = { x: 0, y: 0, w: width, h: height };
  if (present.size === 0) return {};
  if (present.size === 1) {
    const [only] = present;
    return { [only!]: full };
  }
  if (!present.has('screen')) {
    // Host and speaker: two equal halves, so neither looks secondary to whoever watches the file.
    const half = even(width / 2);
    return {
      host: { x: 0, y: 0, w: half, h: height },
      speaker: { x: half, y: 0, w: width - half, h: height },
    };
  }
  return {
    screen: { x: 0, y: 0, w: width - columnWidth(width), h: height },
    ...column(present, width, height),
  };
}

/** Cuts [0, total] wherever the set of roles present changes, and gives each stretch its layout. */
export function layoutSpans(
  lanes: LanePresence[],
  total: number,
  width: number,
  height: number,
): LayoutSpan[] {
  const cuts = new Set([0, ms(total)]);
  for (const lane of lanes) for (const [a, b] of lane.spans) cuts.add(ms(a)).add(ms(b));
  const times = [...cuts].filter((t) => t >= 0 && t <= ms(total)).sort((a, b) => a - b);
  const spans: LayoutSpan[] = [];
  for (let i = 1; i < times.length; i++) {
    const [start, end] = [times[i - 1]!, times[i]!];
    const present = new Set(lanes.filter((l) => covers(l.spans, (start + end) / 2)).map((l) => l.role));
    const layout = layoutFor(present, width, height);
    const last = spans.at(-1);
    if (last && sameLayout(last.layout, layout)) last.end = end;
    else spans.push({ start, end, layout });
  }
  return spans;
}

/** Where and when a lane is drawn: its presence cut by the layout spans, grouped by rect. */
export function placements(lane: LanePresence, spans: LayoutSpan[]): Placement[] {
  const byRect = new Map<string, Placement>();
  for (const span of spans) {
    const rect = span.layout[lane.role];
    if (!rect) continue;
    for (const [a, b] of lane.spans) {
      const from = Math.max(ms(a), span.start);
      const to = Math.min(ms(b), span.end);
      if (to <= from) continue;
      const key = `${rect.x},${rect.y},${rect.w},${rect.h}`;
      const placement = byRect.get(key) ?? { rect, windows: [] };
      const previous = placement.windows.at(-1);
      // Adjacent windows in one rect are one window: fewer terms in FFmpeg's enable expression.
      if (previous && previous[1] === from) previous[1] = to;
      else placement.windows.push([from, to]);
      byRect.set(key, placement);
    }
  }
  return [...byRect.values()];
}

/**
 * The cameras present beside a screen share: a column on the right, each camera a 16:9 tile as
 * wide as the column, stacked host above speaker and centred vertically as a whole.
 */
function column(present: ReadonlySet<VideoRole>, width: number, height: number): Layout {
  const cameras = COLUMN_ORDER.filter((role) => present.has(role));
  const w = columnWidth(width);
  const h = Math.min(even((w * 9) / 16), evenDown(height / Math.max(1, cameras.length)));
  const top = evenDown((height - h * cameras.length) / 2);
  const x = width - w;
  return Object.fromEntries(cameras.map((role, i) => [role, { x, y: top + i * h, w, h }]));
}

/** A quarter of the width: the screen share keeps three quarters, enough to read a document. */
function columnWidth(width: number): number {
  return even(width / 4);
}

function covers(spans: [number, number][], t: number): boolean {
  return spans.some(([a, b]) => ms(a) <= t && t < ms(b));
}

function sameLayout(a: Layout, b: Layout): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

function sorted(layout: Layout): [string, Rect | undefined][] {
  return Object.entries(layout).sort(([p], [q]) => p.localeCompare(q));
}

/** Seconds rounded to the millisecond, the precision of the filter script's times. */
function ms(s: number): number {
  return Math.round(s * 1000) / 1000;
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

function evenDown(n: number): number {
  return Math.max(0, Math.floor(n / 2) * 2);
}
