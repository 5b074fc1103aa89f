#!/usr/bin/env node
/**
 * Seduta's test runner (`npm test` runs scripts/setup.mjs --test first, then this).
 *
 * Stages, in order, each under a header; a failing stage does not stop the later ones:
 *   lint         eslint . ; prettier --check .
 *   typecheck    tsc --noEmit -p tsconfig.json
 *   unit         vitest project unit
 *   integration  vitest project integration (+ real PostgreSQL when 127.0.0.1:5432 answers)
 *   e2e          vitest project e2e, inside a network namespace (scripts/netns.mjs)
 *   bench        vitest project bench: `npm run bench -- --quick` (the benchmark's smoke run) and
 *                checks that it measured and wrote its JSON; no performance target is asserted
 *
 * Every vitest stage writes .test-results/<stage>.json. The summary table comes last, and the
 * very last line is `N passed, N failed` over every vitest JSON; a failing lint or typecheck
 * stage counts as 1 failed, and so does a vitest stage that crashed (no JSON), a test file that
 * failed outside any test (import error, failing hook) or a vitest exit code that reports an
 * error its JSON does not. Exit code: non-zero if anything failed, or if vitest stages ran and
 * zero tests passed.
 *
 * Options: --only lint,typecheck,unit,integration,e2e,bench   run a subset, in the order above.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const RESULTS_DIR = path.join(root, '.test-results');
const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;
const PG_URL = `postgres://postgres@${PG_HOST}:${PG_PORT}/postgres`;

/** @typedef {{ name: string, result: 'ok' | 'FAILED' | 'not run', passed: number, failed: number, skipped: number, ms: number, note: string }} StageResult */

const STAGES = [
  {
    name: 'lint',
    title: 'eslint . && prettier --check .',
    commands: () => [
      [bin('eslint'), '.'],
      [bin('prettier'), '--check', '.'],
    ],
  },
  {
    name: 'typecheck',
    title: 'tsc --noEmit -p tsconfig.json',
    commands: () => [[bin('tsc'), '--noEmit', '-p', 'tsconfig.json']],
  },
  { name: 'unit', title: 'vitest project unit', vitest: true },
  { name: 'integration', title: 'vitest project integration', vitest: true },
  {
    name: 'e2e',
    title: 'vitest project e2e, real browsers inside a network namespace',
    vitest: true,
    wrap: ['node', path.join(root, 'scripts', 'netns.mjs'), '--'],
  },
  { name: 'bench', title: 'vitest project bench: npm run bench -- --quick', vitest: true },
];

function parseArgs(argv) {
  const known = STAGES.map((s) => s.name);
  let only = known;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = arg.startsWith('--only=')
      ? arg.slice('--only='.length)
      : arg === '--only'
        ? argv[++i]
        : null;
    if (value == null) {
      process.stderr.write(
        `unknown argument ${arg}\nusage: node scripts/test.mjs [--only ${known.join(',')}]\n`,
      );
      process.exit(2);
    }
    only = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = only.filter((s) => !known.includes(s));
    if (unknown.length > 0 || only.length === 0) {
      process.stderr.write(
        `--only: unknown stage(s) ${unknown.join(', ') || '(none given)'}; known: ${known.join(', ')}\n`,
      );
      process.exit(2);
    }
  }
  return STAGES.filter((s) => only.includes(s.name));
}

let currentChild = null;
let interrupted = null;

function run(argv, env) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', env });
    currentChild = child;
    child.on('error', (err) => {
      process.stderr.write(`cannot run ${argv[0]}: ${err.message}\n`);
      currentChild = null;
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      currentChild = null;
      resolve(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1));
    });
  });
}

function postgresReachable() {
  return new Promise((resolve) => {
    const socket = net.connect({ host: PG_HOST, port: PG_PORT });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Reads one vitest JSON report into counts and failures; files that failed outside any test count
 * once each.
 */
function readVitestJson(file) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  let failed = report.numFailedTests ?? 0;
  const brokenFiles = [];
  /** Each failed test (or broken file) by name, with the start of its message. */
  const failures = [];
  for (const f of report.testResults ?? []) {
    const file = path.relative(root, f.name);
    const failedTests = (f.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of failedTests) {
      failures.push({ where: `${file} > ${a.fullName ?? a.title}`, message: firstLines(a.failureMessages) });
    }
    if (f.status === 'failed' && failedTests.length === 0) {
      failed += 1;
      brokenFiles.push(file);
      failures.push({ where: file, message: firstLines([f.message ?? '']) });
    }
  }
  return {
    passed: report.numPassedTests ?? 0,
    failed,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    brokenFiles,
    failures,
  };
}

/** The first lines of a failure, so the summary says what broke without the whole stack. */
function firstLines(messages, max = 6) {
  const lines = (messages ?? [])
    .join('\n')
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '') // colours
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s+at /.test(line));
  return lines.slice(0, max).map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line));
}

async function runCommandStage(stage) {
  let failed = 0;
  const notes = [];
  for (const argv of stage.commands()) {
    process.stdout.write(`$ ${path.basename(argv[0])} ${argv.slice(1).join(' ')}\n`);
    const code = await run(argv, process.env);
    if (code !== 0) {
      failed = 1;
      notes.push(`${path.basename(argv[0])} exit ${code}`);
    }
    if (interrupted) break;
  }
  return { passed: 0, failed, skipped: 0, note: notes.join('; ') };
}

async function runVitestStage(stage) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonFile = path.join(RESULTS_DIR, `${stage.name}.json`);
  fs.rmSync(jsonFile, { force: true });
  const env = { ...process.env };
  const notes = [];
  if (stage.name === 'integration') {
    if (env.SEDUTA_TEST_PG_URL) {
      notes.push('real PostgreSQL: SEDUTA_TEST_PG_URL from the environment');
    } else if (await postgresReachable()) {
      env.SEDUTA_TEST_PG_URL = PG_URL;
      notes.push(`real PostgreSQL: ${PG_HOST}:${PG_PORT}`);
    } else {
      notes.push(`real PostgreSQL: SKIPPED, no server reachable at ${PG_HOST}:${PG_PORT} (PGlite only)`);
    }
    process.stdout.write(`${notes[0]}\n`);
  } else {
    // Only the integration stage decides about PostgreSQL (the e2e namespace cannot reach it).
    delete env.SEDUTA_TEST_PG_URL;
  }
  const argv = [
    ...(stage.wrap ?? []),
    bin('vitest'),
    'run',
    '--project',
    stage.name,
    '--passWithNoTests',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${path.relative(root, jsonFile)}`,
  ];
  const code = await run(argv, env);
  const counts = readVitestJson(jsonFile);
  if (!counts) {
    notes.push(`crashed (exit ${code}) without writing ${path.relative(root, jsonFile)}`);
    return { passed: 0, failed: 1, skipped: 0, note: notes.join('; ') };
  }
  if (counts.brokenFiles.length > 0) notes.push(`failed outside tests: ${counts.brokenFiles.join(', ')}`);
  if (code !== 0 && counts.failed === 0) {
    counts.failed = 1;
    notes.push(`vitest exit ${code} (errors outside tests, see its output)`);
  }
  if (counts.passed + counts.failed + counts.skipped === 0) notes.push('no tests');
  return { ...counts, note: notes.join('; ') };
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Every failed test by name with the start of its message: the tail of a CI log shows it. */
function printFailures(results) {
  const failures = results.flatMap((r) => (r.failures ?? []).map((f) => ({ stage: r.name, ...f })));
  if (failures.length === 0) return;
  process.stdout.write('\n==== failures ====\n');
  for (const f of failures) {
    process.stdout.write(`[${f.stage}] ${f.where}\n`);
    for (const line of f.message) process.stdout.write(`    ${line}\n`);
  }
}

function printSummary(results) {
  printFailures(results);
  const rows = [['stage', 'result', 'passed', 'failed', 'skipped', 'time', 'notes']];
  for (const r of results) {
    const n = (v, isVitest) => (isVitest ? String(v) : '-');
    rows.push([
      r.name,
      r.result,
      n(r.passed, r.vitest),
      r.vitest || r.failed ? String(r.failed) : '-',
      n(r.skipped, r.vitest),
      r.result === 'not run' ? '-' : seconds(r.ms),
      r.note,
    ]);
  }
  const total = (k) => results.reduce((sum, r) => sum + r[k], 0);
  rows.push([
    'total',
    '',
    String(total('passed')),
    String(total('failed')),
    String(total('skipped')),
    seconds(total('ms')),
    '',
  ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const numeric = new Set([2, 3, 4, 5]);
  process.stdout.write('\n==== summary ====\n');
  for (const row of rows) {
    const cells = row.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])));
    process.stdout.write(`${cells.join('  ').trimEnd()}\n`);
  }
  if (process.env.SEDUTA_CI_STARTED_MS) {
    process.stdout.write(
      `since CI start: ${seconds(Date.now() - Number(process.env.SEDUTA_CI_STARTED_MS))}\n`,
    );
  }
}

async function main() {
  const stages = parseArgs(process.argv.slice(2));
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      interrupted = sig;
      currentChild?.kill(sig);
    });
  }
  const results = [];
  for (const [i, stage] of stages.entries()) {
    const base = { name: stage.name, vitest: Boolean(stage.vitest) };
    if (interrupted) {
      results.push({
        ...base,
        result: 'not run',
        passed: 0,
        failed: 0,
        skipped: 0,
        ms: 0,
        note: `interrupted (${interrupted})`,
      });
      continue;
    }
    process.stdout.write(`\n==== [${i + 1}/${stages.length}] ${stage.name}: ${stage.title} ====\n`);
    const t0 = Date.now();
    const r = stage.vitest ? await runVitestStage(stage) : await runCommandStage(stage);
    const ms = Date.now() - t0;
    results.push({ ...base, ...r, ms, result: r.failed > 0 ? 'FAILED' : 'ok' });
    process.stdout.write(`---- ${stage.name}: ${r.failed > 0 ? 'FAILED' : 'ok'} in ${seconds(ms)}\n`);
  }
  printSummary(results);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const ranVitest = results.some((r) => r.vitest && r.result !== 'not run');
  if (ranVitest && passed === 0 && failed === 0) process.stdout.write('no test ran: that is a failure\n');
  // The last line, always: CI reads it.
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 || interrupted || (ranVitest && passed === 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    process.exit(1);
  },
);
