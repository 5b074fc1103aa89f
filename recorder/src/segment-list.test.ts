import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLine, SegmentListReader } from './segment-list';

describe('parseLine', () => {
  it('reads name, start and end of a CSV segment list line', () => {
    expect(parseLine('r0001-00002.webm,60.000000,120.033000')).toEqual({
      file: 'r0001-00002.webm',
      start: 60,
      end: 120.033,
    });
    expect(parseLine('"odd,name.webm",0.0,1.5')).toEqual({ file: 'odd,name.webm', start: 0, end: 1.5 });
  });

  it('rejects lines that are not entries', () => {
    expect(parseLine('')).toBeUndefined();
    expect(parseLine('r0001-00001.webm,abc,1')).toBeUndefined();
  });
});

describe('SegmentListReader', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seduta-seglist-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('returns only entries completed since the previous read, holding back a half-written line', async () => {
    const list = path.join(dir, 'r0001.csv');
    const reader = new SegmentListReader(list);
    expect(await reader.readNew()).toEqual([]);
    await appendFile(list, 'r0001-00001.webm,0.000000,60.000000\nr0001-00002.w');
    expect(await reader.readNew()).toEqual([{ file: 'r0001-00001.webm', start: 0, end: 60 }]);
    await appendFile(list, 'ebm,60.000000,75.500000\n');
    expect(await reader.readNew()).toEqual([{ file: 'r0001-00002.webm', start: 60, end: 75.5 }]);
    expect(await reader.readNew()).toEqual([]);
  });
});
