import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { Logger } from 'pino';
import { TypedEmitter } from '@seduta/media';

/** How one FFmpeg process ended. */
export interface FfmpegExit {
  pid: number;
  attempt: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when stop() asked for it (or the process finished on its own with restart off). */
  expected: boolean;
}

/** Events of an {@link FfmpegProcess}. */
export type FfmpegProcessEvents = {
  /** A process started; attempt 0 is the first start, then one more per restart. */
  spawn: [info: { pid: number; attempt: number }];
  /** A process ended; an unexpected end is followed by a restart unless the wrapper gave up. */
  exit: [exit: FfmpegExit];
  /** The wrapper gave up: FFmpeg could not be started, or crashed too often. */
  failed: [error: Error];
  /** Emitted once, when no process runs and none will be started again. */
  close: [];
};

/** Options of {@link FfmpegProcess}. */
export interface FfmpegProcessOptions {
  /** FFmpeg executable. */
  ffmpegPath: string;
  logger: Logger;
  /** Arguments of a start; called before the first start and before every restart. */
  prepare: (attempt: number) => Promise<string[]> | string[];
  /** Restart after an unexpected exit (default false: one run). */
  restart?: boolean;
  /** Called with every line FFmpeg writes on stdout (e.g. `-progress pipe:1`). */
  onStdout?: (line: string) => void;
  /** Called with every line FFmpeg writes on stderr (after it is logged). */
  onStderr?: (line: string) => void;
  /**
   * Asks FFmpeg to finish on its own, whatever its input is doing (a recording FFmpeg: an RTCP BYE
   * on its RTP port, see rtcp-bye.ts). stop() calls it first, and once more if FFmpeg is still
   * running half-way through QUIT_GRACE_MS; a failure is logged and stop() goes on.
   */
  requestEnd?: () => Promise<void>;
  /**
   * Scheduling priority (nice value, -20..19) to give the process. Raising it (below 0) needs
   * CAP_SYS_NICE; without it the process keeps the default and a debug line says so.
   */
  priority?: number;
}

/**
 * Time `requestEnd` and `q` get to end FFmpeg cleanly (FFmpeg reads `q` only between packets; the
 * request works on a quiet input too).
 */
export const QUIT_GRACE_MS = 2000;
/**
 * Time the first SIGTERM gets before the second one. While packets arrive FFmpeg ends cleanly on
 * the first (trailer written); a busy machine needs this long. An input that went quiet needs the
 * second, which interrupts the read and leaves the last segment without its trailer: the reason
 * for `requestEnd`.
 */
const SECOND_TERM_MS = 2000;
/** Time SIGTERM gets before SIGKILL. */
export const TERM_GRACE_MS = 5000;
/** Delay before each restart in a burst: the first restart is immediate, so a crash costs well under 2 s. */
const RESTART_DELAYS_MS = [0, 250, 500, 1000, 2000];
/** More restarts than RESTART_DELAYS_MS within this window mean FFmpeg cannot run; give up. */
const RESTART_WINDOW_MS = 60_000;
const ERROR_LINE = /error|fail|invalid|could not|cannot|unable|corrupt/i;
/** The level FFmpeg prints with `-loglevel level+…`: `[warning]`, `[error]`, … */
const LEVEL_TAG = /\[(panic|fatal|error|warning|info|verbose|debug|trace)\]/;

/**
 * One FFmpeg child, spawned directly and supervised: stderr goes to the log line by line (debug, or
 * warn for errors), an unexpected exit is followed by a restart (with fresh arguments from
 * `prepare`) within RESTART_DELAYS_MS, and stop() ends it gracefully: `requestEnd` and `q` on stdin,
 * then SIGTERM (twice), then SIGKILL.
 */
export class FfmpegProcess extends TypedEmitter<FfmpegProcessEvents> {
  readonly #opts: FfmpegProcessOptions;
  readonly #log: Logger;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #attempt = -1;
  #restartTimes: number[] = [];
  #stopping = false;
  #closed = false;
  #restartTimer: NodeJS.Timeout | undefined;

  /** Starts FFmpeg with the arguments `prepare(0)` returns. */
  static start(opts: FfmpegProcessOptions): FfmpegProcess {
    const proc = new FfmpegProcess(opts);
    proc.#launch();
    return proc;
  }

  private constructor(opts: FfmpegProcessOptions) {
    super((event, error) => opts.logger.error({ err: error, event }, 'FfmpegProcess listener threw'));
    this.#opts = opts;
    this.#log = opts.logger;
  }

  /** PID of the running process, if one runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Number of restarts so far. */
  get restarts(): number {
    return Math.max(0, this.#attempt);
  }

  /** Whether the wrapper is done (stopped, finished, or gave up). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Ends FFmpeg cleanly (requestEnd and q, then SIGTERM, then SIGKILL) and resolves once it exited.
   * Idempotent.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = this.#exited;
      await this.#requestEnd(child);
      child.stdin?.end('q');
      let ended = await settlesWithin(exited, QUIT_GRACE_MS / 2);
      if (!ended) {
        // A datagram can be dropped when FFmpeg's socket buffer is full on a busy machine: once more.
        await this.#requestEnd(child);
        ended = await settlesWithin(exited, QUIT_GRACE_MS / 2);
      }
      if (!ended) {
        this.#log.warn({ pid: child.pid }, 'ffmpeg did not end on request; sending SIGTERM');
        child.kill('SIGTERM');
        // Once transcoding has started, FFmpeg leaves a read that waits for packets (an input that
        // went quiet) only on the second signal.
        if (!(await settlesWithin(exited, SECOND_TERM_MS))) child.kill('SIGTERM');
        if (!(await settlesWithin(exited, TERM_GRACE_MS))) {
          this.#log.warn({ pid: child.pid }, 'ffmpeg ignored SIGTERM; killing it');
          child.kill('SIGKILL');
        }
      }
      await exited;
    }
    this.#close();
  }

  async #requestEnd(child: ChildProcess): Promise<void> {
    try {
      await this.#opts.requestEnd?.();
    } catch (error) {
      this.#log.warn({ err: error, pid: child.pid }, 'could not ask ffmpeg to end; it gets q and signals');
    }
  }

  /** Kills the running process as a crash would (SIGKILL); the wrapper then restarts it if enabled. */
  kill(): void {
    this.#child?.kill('SIGKILL');
  }

  #launch(): void {
    this.#attempt += 1;
    const attempt = this.#attempt;
    void (async () => {
      let args: string[];
      try {
        args = await this.#opts.prepare(attempt);
      } catch (error) {
        this.#fail(new Error('could not prepare ffmpeg', { cause: error }));
        return;
      }
      if (this.#stopping) return this.#close();
      this.#spawn(args, attempt);
    })();
  }

  #spawn(args: string[], attempt: number): void {
    const child = spawn(this.#opts.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    let resolveExited!: () => void;
    this.#exited = new Promise((resolve) => (resolveExited = resolve));
    child.stdin.on('error', () => {}); // EPIPE when FFmpeg is already gone: the exit handler reports it.
    const pid = child.pid ?? 0;
    const log = this.#log.child({ ffmpegPid: pid });
    if (this.#opts.priority !== undefined && pid !== 0) {
      try {
        os.setPriority(pid, this.#opts.priority);
      } catch (error) {
        log.debug({ err: error, priority: this.#opts.priority }, 'could not set ffmpeg priority');
      }
    }
    const onStderr = this.#opts.onStderr;
    forEachLine(child.stderr, (line) => {
      if (isWarning(line)) log.warn({ stderr: line }, 'ffmpeg');
      else log.debug({ stderr: line }, 'ffmpeg');
      onStderr?.(line);
    });
    const onStdout = this.#opts.onStdout;
    if (onStdout) forEachLine(child.stdout, onStdout);
    else child.stdout.resume();
    child.once('error', (error) => {
      // Spawning failed (e.g. ENOENT): retrying would fail the same way.
      resolveExited();
      this.#child = undefined;
      this.#fail(error);
    });
    child.once('spawn', () => {
      log.debug({ attempt, args: args.join(' ') }, 'ffmpeg started');
      this.safeEmit('spawn', { pid, attempt });
    });
    child.once('exit', (code, signal) => {
      resolveExited();
      if (this.#child === child) this.#child = undefined;
      const expected = this.#stopping || (!this.#opts.restart && code === 0);
      const exit: FfmpegExit = { pid, attempt, code, signal, expected };
      if (expected) log.debug({ code, signal }, 'ffmpeg exited');
      else log.warn({ code, signal, attempt }, 'ffmpeg exited unexpectedly');
      this.safeEmit('exit', exit);
      if (this.#stopping || !this.#opts.restart) return this.#close();
      this.#scheduleRestart();
    });
  }

  #scheduleRestart(): void {
    const now = Date.now();
    this.#restartTimes = this.#restartTimes.filter((t) => now - t < RESTART_WINDOW_MS);
    const delay = RESTART_DELAYS_MS[this.#restartTimes.length];
    if (delay === undefined) {
      this.#fail(
        new Error(`ffmpeg crashed ${this.#restartTimes.length + 1} times within ${RESTART_WINDOW_MS} ms`),
      );
      return;
    }
    this.#restartTimes.push(now);
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopping) this.#launch();
    }, delay);
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#log.error({ err: error }, 'ffmpeg supervision gave up');
    this.safeEmit('failed', error);
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.safeEmit('close');
  }
}

/**
 * Whether an FFmpeg stderr line deserves a warning: its level when FFmpeg prints one (`level+`),
 * otherwise its words.
 */
export function isWarning(line: string): boolean {
  const level = LEVEL_TAG.exec(line)?.[1];
  if (level === undefined) return ERROR_LINE.test(line);
  return level === 'warning' || level === 'error' || level === 'fatal' || level === 'panic';
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `onLine` with every line of a stream (FFmpeg ends status lines with \r). */
function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (pending + chunk).split(/\r\n|\r|\n/);
    pending = parts.pop() ?? '';
    for (const line of parts) if (line.trim() !== '') onLine(line);
  });
  stream.on('end', () => {
    if (pending.trim() !== '') onLine(pending);
    pending = '';
  });
}
