/**
 * The process logger: pino. Fastify uses the same instance, and each module takes a child
 * (`logger.child({ module: 'db' })`) with its structured fields.
 *
 * Two formats (LOG_FORMAT): JSON lines for journald, Docker and log collectors, and `pretty` for a
 * person at a terminal — one line per entry: time, level, module, message and the other fields as
 * key=value, coloured on a terminal. `auto` (the default) picks pretty when stdout is a terminal.
 * The pretty lines are made here from pino's own JSON, in-process and synchronously: no worker
 * thread (pino-pretty's transport) whose last lines could be lost when the process exits, and no
 * extra dependency for thirty lines of formatting.
 *
 * The destination is synchronous. pino's default stdout stream writes asynchronously and flushes
 * on exit; when the process exits right after a burst (the shutdown sequence ends with
 * `process.exit`), a write still in flight can land after the flushed tail, so the last lines came
 * out of order (seen in CI: 'mediasoup workers closed' printed after 'shutdown complete'). An
 * operator reading a shutdown or a crash needs its lines complete and in order; at this server's
 * log volume a synchronous write costs nothing measurable.
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import type { LogFormat } from './config';

/** The logger type used across the server. */
export type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  logLevel: LevelWithSilent;
  /** Default `auto`: pretty when stdout is a terminal, JSON otherwise. */
  logFormat?: LogFormat;
}

/** Creates the root logger at the configured level, writing to stdout in the configured format. */
export function createLogger(options: LoggerOptions): Logger {
  const stdout = pino.destination({ dest: 1, sync: true });
  const tty = process.stdout.isTTY;
  if (!isPretty(options.logFormat ?? 'auto', tty)) return pino({ level: options.logLevel }, stdout);
  return pino({ level: options.logLevel }, prettyStream(stdout, { colors: tty && !noColor() }));
}

/** Whether lines are pretty: LOG_FORMAT decides, and `auto` means "when stdout is a terminal". */
export function isPretty(format: LogFormat, stdoutIsTty: boolean): boolean {
  switch (format) {
    case 'pretty':
      return true;
    case 'json':
      return false;
    case 'auto':
      return stdoutIsTty;
  }
}

/** https://no-color.org: any non-empty NO_COLOR turns colours off. */
function noColor(): boolean {
  return (process.env.NO_COLOR ?? '') !== '';
}

/** A pino destination that rewrites each JSON line pino produces as a pretty line into `out`. */
export function prettyStream(
  out: { write(text: string): unknown },
  options: PrettyOptions,
): DestinationStream {
  return { write: (line: string) => void out.write(formatPretty(line, options)) };
}

/** Options of {@link formatPretty}. */
export interface PrettyOptions {
  /** ANSI colours (only for a terminal). */
  colors: boolean;
  /** Render times in UTC instead of the local time zone (tests). */
  utc?: boolean;
}

const LEVELS: Readonly<Record<number, { label: string; color: string }>> = {
  10: { label: 'TRACE', color: '90' },
  20: { label: 'DEBUG', color: '34' },
  30: { label: 'INFO', color: '32' },
  40: { label: 'WARN', color: '33' },
  50: { label: 'ERROR', color: '31' },
  60: { label: 'FATAL', color: '1;35' },
};
/** Fields that every line carries and that the pretty form leaves out or shows in its own place. */
const OMITTED = new Set(['level', 'time', 'msg', 'module', 'pid', 'hostname', 'v']);

/**
 * One pino JSON line as `HH:MM:SS.mmm LEVEL [module] message key=value …\n`. A message of several
 * lines keeps its lines, indented; an error's stack follows on indented lines. A line that is not
 * JSON passes through unchanged.
 */
export function formatPretty(line: string, options: PrettyOptions): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const paint = (code: string, text: string) => (options.colors ? `\u001b[${code}m${text}\u001b[0m` : text);
  const level = LEVELS[Number(entry.level)] ?? { label: String(entry.level).toUpperCase(), color: '0' };
  const time =
    typeof entry.time === 'number' ? clock(new Date(entry.time), options.utc ?? false) : '--:--:--.---';
  const [first = '', ...rest] = String(entry.msg ?? '').split('\n');

  const parts = [paint('2', time), paint(level.color, level.label.padEnd(5))];
  if (typeof entry.module === 'string') parts.push(paint('36', `[${entry.module}]`));
  if (first !== '') parts.push(first);
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (OMITTED.has(key) || value === undefined) continue;
    if (isError(value)) {
      parts.push(`${paint('2', `${key}=`)}${quote(value.message)}`);
      if (typeof value.stack === 'string') stacks.push(...value.stack.split('\n').slice(1));
      continue;
    }
    parts.push(`${paint('2', `${key}=`)}${text(key, value)}`);
  }
  const continuation = [...rest, ...stacks.map((s) => s.trim())].map((l) => (l === '' ? '' : `    ${l}`));
  return [parts.join(' '), ...continuation].join('\n') + '\n';
}

function clock(date: Date, utc: boolean): string {
  const [h, m, s, ms] = utc
    ? [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()]
    : [date.getHours(), date.getMinutes(), date.getSeconds(), date.getMilliseconds()];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(h)}:${two(m)}:${two(s)}.${String(ms).padStart(3, '0')}`;
}

function isError(value: unknown): value is { message: string; stack?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string' &&
    'stack' in value
  );
}

/** A field's value: plain when it has no spaces, quotes or `=`, else quoted (JSON string rules). */
function text(key: string, value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value !== 'object' || value === null) return String(value);
  // Fastify's request and response objects: what a person reads is the method, URL and status.
  if (key === 'req' && 'method' in value && 'url' in value) {
    const { method, url } = value as { method: unknown; url: unknown };
    return quote(`${String(method)} ${String(url)}`);
  }
  if (key === 'res' && 'statusCode' in value) return String((value as { statusCode: unknown }).statusCode);
  return JSON.stringify(value);
}

function quote(value: string): string {
  return value !== '' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}
