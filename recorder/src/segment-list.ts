import { open } from 'node:fs/promises';

/** One closed segment as FFmpeg's segment muxer lists it (times in seconds from the run's first packet). */
export interface SegmentListEntry {
  /** File name, relative to the list's directory. */
  file: string;
  start: number;
  end: number;
}

/**
 * Reads the CSV list (`-segment_list_type csv`) that FFmpeg appends a line to whenever it closes a
 * segment. Each read returns only the lines completed since the previous read.
 */
export class SegmentListReader {
  readonly path: string;
  #offset = 0;
  #partial = '';

  constructor(path: string) {
    this.path = path;
  }

  /** Entries appended since the last call; none if the list does not exist yet. */
  async readNew(): Promise<SegmentListEntry[]> {
    let text: string;
    try {
      const handle = await open(this.path, 'r');
      try {
        const { size } = await handle.stat();
        if (size <= this.#offset) return [];
        const buffer = Buffer.alloc(size - this.#offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.#offset);
        this.#offset += bytesRead;
        text = buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    return lines.flatMap((line) => {
      const entry = parseLine(line);
      return entry ? [entry] : [];
    });
  }
}

/** Parses `name,start,end` (FFmpeg quotes names holding commas or quotes; ours never do). */
export function parseLine(line: string): SegmentListEntry | undefined {
  const match = /^"?(.*?)"?,(-?[\d.]+),(-?[\d.]+)\s*$/.exec(line);
  if (!match) return undefined;
  const start = Number(match[2]);
  const end = Number(match[3]);
  if (!Number.isFinite(start) || !Number.isFinite(end)) return undefined;
  return { file: match[1]!, start, end: Math.max(start, end) };
}
