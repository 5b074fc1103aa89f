import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { formatPretty, isPretty, prettyStream } from './logger';

const TIME = Date.UTC(2026, 11, 5, 21, 4, 7, 89);
const line = (entry: Record<string, unknown>) =>
  JSON.stringify({ level: 30, time: TIME, pid: 4242, hostname: 'srv', ...entry });
const plain = { colors: false, utc: true };

/** A pino logger writing pretty lines into an array, as createLogger does on a terminal. */
function capture(colors = false): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, prettyStream({ write: (t: string) => lines.push(t) }, { colors }));
  return { logger, lines };
}

describe('formatPretty', () => {
  it('writes time, level, module, message and the other fields as key=value on one line', () => {
    const out = formatPretty(
      line({ module: 'sittings', sittingId: 'a1b2', participants: 3, live: true, msg: 'sitting started' }),
      plain,
    );
    expect(out).toBe(
      '21:04:07.089 INFO  [sittings] sitting started sittingId=a1b2 participants=3 live=true\n',
    );
  });

  it('leaves out pid and hostname, and quotes values with spaces, quotes or equals signs', () => {
    const out = formatPretty(
      line({ level: 40, msg: 'odd values', name: 'Maria Rossi', empty: '', eq: 'a=b', q: 'say "hi"' }),
      plain,
    );
    expect(out).toBe('21:04:07.089 WARN  odd values name="Maria Rossi" empty="" eq="a=b" q="say \\"hi\\""\n');
    expect(out).not.toMatch(/pid|hostname|srv/);
  });

  it('writes nested objects as JSON and Fastify requests as method and URL', () => {
    const out = formatPretty(
      line({
        msg: 'request completed',
        req: { method: 'GET', url: '/api/health', host: 'x' },
        res: { statusCode: 200 },
        workerPids: [11, 12],
      }),
      plain,
    );
    expect(out).toBe(
      '21:04:07.089 INFO  request completed req="GET /api/health" res=200 workerPids=[11,12]\n',
    );
  });

  it("puts an error's message on the line and its stack on the indented lines below", () => {
    const { logger, lines } = capture();
    const err = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    logger.child({ module: 'db' }).error({ err }, 'database out of reach');
    expect(lines).toHaveLength(1);
    const [head, ...stack] = lines[0]!.trimEnd().split('\n');
    expect(head).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} ERROR \[db\] database out of reach err="connect ECONNREFUSED 127\.0\.0\.1:5432"$/,
    );
    expect(stack.length).toBeGreaterThan(0);
    expect(stack[0]).toMatch(/^ {4}at /);
  });

  it('keeps the lines of a message of several lines, indented under the first', () => {
    const out = formatPretty(line({ level: 40, msg: 'first line\n\n  the link\nlast' }), plain);
    expect(out).toBe('21:04:07.089 WARN  first line\n\n      the link\n    last\n');
  });

  it('colours the level on a terminal, and writes no escape codes otherwise', () => {
    const coloured = capture(true);
    coloured.logger.warn('careful');
    coloured.logger.info({ n: 1 }, 'fine');
    expect(coloured.lines[0]).toContain('\u001b[33mWARN \u001b[0m careful');
    expect(coloured.lines[1]).toContain('\u001b[32mINFO \u001b[0m fine');
    const bare = capture(false);
    bare.logger.warn('careful');
    expect(bare.lines[0]).not.toContain('\u001b[');
  });

  it('passes through a line that is not a JSON object', () => {
    expect(formatPretty('not json\n', plain)).toBe('not json\n');
    expect(formatPretty('[1,2]\n', plain)).toBe('[1,2]\n');
  });
});

describe('isPretty', () => {
  it('follows LOG_FORMAT, and for auto whether stdout is a terminal', () => {
    expect(isPretty('pretty', false)).toBe(true);
    expect(isPretty('json', true)).toBe(false);
    expect(isPretty('auto', true)).toBe(true);
    expect(isPretty('auto', false)).toBe(false);
  });
});
