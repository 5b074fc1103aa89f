import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FfmpegProcess, isWarning } from './ffmpeg-process';
import type { FfmpegExit } from './ffmpeg-process';
import { sendRtcpBye } from './rtcp-bye';

// Node stands in for FFmpeg: each test's script behaves as FFmpeg would in one situation.
const NODE = process.execPath;
const logger = pino({ level: 'silent' });
const EXIT_ON_Q =
  "process.stdin.on('data', (d) => { if (String(d).includes('q')) process.exit(0); }); setInterval(() => {}, 1000);";

function collect(proc: FfmpegProcess) {
  const spawns: number[] = [];
  const exits: FfmpegExit[] = [];
  const failures: Error[] = [];
  proc.on('spawn', ({ attempt }) => spawns.push(attempt));
  proc.on('exit', (exit) => exits.push(exit));
  proc.on('failed', (error) => failures.push(error));
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  return { spawns, exits, failures, closed };
}

describe('FfmpegProcess', () => {
  it('ends cleanly on q from stop(), without restarting', async () => {
    const proc = FfmpegProcess.start({
      ffmpegPath: NODE,
      logger,
      restart: true,
      prepare: () => ['-e', EXIT_ON_Q],
    });
    const seen = collect(proc);
    await new Promise((resolve) => proc.once('spawn', resolve));
    const started = Date.now();
    await proc.stop();
    await seen.closed;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(seen.exits).toEqual([expect.objectContaining({ code: 0, expected: true, attempt: 0 })]);
    expect(seen.spawns).toEqual([0]);
  });

  it('restarts at once after an unexpected exit, with arguments prepared afresh', async () => {
    const attempts: number[] = [];
    const proc = FfmpegProcess.start({
      ffmpegPath: NODE,
      logger,
      restart: true,
      prepare: (attempt) => {
        attempts.push(attempt);
        return attempt === 0 ? ['-e', 'process.exit(3)'] : ['-e', EXIT_ON_Q];
      },
    });
    const seen = collect(proc);
    await new Promise<void>((resolve) => proc.on('spawn', ({ attempt }) => attempt === 1 && resolve()));
    expect(seen.exits).toEqual([expect.objectContaining({ code: 3, expected: false, attempt: 0 })]);
    expect(proc.restarts).toBe(1);
    await proc.stop();
    expect(attempts).toEqual([0, 1]);
    expect(seen.failures).toEqual([]);
  });

  it('gives up when FFmpeg keeps crashing, and reports it once', async () => {
    const proc = FfmpegProcess.start({
      ffmpegPath: NODE,
      logger,
      restart: true,
      prepare: () => ['-e', 'process.exit(1)'],
    });
    const seen = collect(proc);
    await seen.closed;
    expect(seen.spawns).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.failures).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/crashed 6 times/) }),
    ]);
    expect(proc.closed).toBe(true);
  }, 15_000);

  it('fails without retrying when the executable does not exist', async () => {
    const proc = FfmpegProcess.start({
      ffmpegPath: '/nonexistent/ffmpeg',
      logger,
      restart: true,
      prepare: () => [],
    });
    const seen = collect(proc);
    await seen.closed;
    expect(seen.failures).toEqual([expect.objectContaining({ code: 'ENOENT' })]);
    expect(seen.spawns).toEqual([]);
  });

  it('ends through requestEnd an FFmpeg that q cannot reach (a quiet input): an RTCP BYE on its port', async () => {
    // Like FFmpeg on a quiet SDP input: never reads stdin, ends when a datagram arrives.
    const script = [
      "const s = require('node:dgram').createSocket('udp4');",
      "s.on('message', () => process.exit(0));",
      "s.bind(0, '127.0.0.1', () => console.log(s.address().port));",
    ].join(' ');
    let port: number | undefined;
    let onBound!: () => void;
    const bound = new Promise<void>((resolve) => (onBound = resolve));
    const proc = FfmpegProcess.start({
      ffmpegPath: NODE,
      logger,
      prepare: () => ['-e', script],
      onStdout: (line) => {
        port = Number(line);
        onBound();
      },
      requestEnd: () => sendRtcpBye(port!),
    });
    const seen = collect(proc);
    await bound;
    const started = Date.now();
    await proc.stop();
    await seen.closed;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(seen.exits).toEqual([expect.objectContaining({ code: 0, signal: null, expected: true })]);
  });

  it('asks again once when the request goes unanswered, then falls back to SIGTERM', async () => {
    let requests = 0;
    const proc = FfmpegProcess.start({
      ffmpegPath: NODE,
      logger,
      prepare: () => ['-e', 'setInterval(() => {}, 1000)'],
      requestEnd: () => {
        requests += 1;
        return requests === 1 ? Promise.reject(new Error('EPERM')) : Promise.resolve();
      },
    });
    const seen = collect(proc);
    await new Promise((resolve) => proc.once('spawn', resolve));
    await proc.stop();
    await seen.closed;
    expect(requests).toBe(2);
    expect(seen.exits).toEqual([expect.objectContaining({ signal: 'SIGTERM', expected: true })]);
  }, 10_000);

  it('passes every stdout line to onStdout (FFmpeg -progress)', async () => {
    const lines: string[] = [];
    const proc = FfmpegProcess.start({
      ffmpegPath: NODE,
      logger,
      prepare: () => ['-e', "process.stdout.write('out_time_us=1000\\nprogress=continue\\r\\nprogress=end')"],
      onStdout: (line) => lines.push(line),
    });
    const seen = collect(proc);
    await seen.closed;
    expect(lines).toEqual(['out_time_us=1000', 'progress=continue', 'progress=end']);
    expect(seen.exits).toEqual([expect.objectContaining({ code: 0, expected: true })]);
  });
});

describe('isWarning', () => {
  it('logs FFmpeg lines by the level FFmpeg gives them', () => {
    expect(isWarning('[sdp @ 0x55c6] [warning] Missed a picture, sequence broken')).toBe(true);
    expect(isWarning('[segment @ 0x55] [error] Failure occurred when ending segment')).toBe(true);
    expect(isWarning("[segment @ 0x55] [info] Opening 'r0001-00001.webm' for writing")).toBe(false);
    expect(isWarning('[info] Press [q] to stop, [?] for help')).toBe(false);
  });

  it('falls back to the words of a line without a level', () => {
    expect(isWarning('Error writing trailer')).toBe(true);
    expect(isWarning('frame=12')).toBe(false);
  });
});
