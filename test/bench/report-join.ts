/**
 * latest.md sections for issue 15: single joins per browser and where a join's time goes (the step
 * breakdown, join-steps.ts), and chat under load (chat.ts).
 */
import type { BrowserFigures } from './browser-run';
import { fmt } from './format';
import type { ChatFigures } from './chat';
import type { StepRow } from './join-steps';
import type { SingleJoinFigures } from './single-joins';

/** One breakdown as a Markdown table; steps no join took are listed below it, not as rows. */
export function stepsTable(rows: readonly StepRow[]): string[] {
  const taken = rows.filter((r) => r.joins > 0);
  const absent = rows.filter((r) => r.joins === 0);
  const out = [
    '| step | clock | joins | reached p50 ms | reached p95 ms | added p50 ms | added p95 ms |',
    '|---|---|---|---|---|---|---|',
    ...taken.map(
      (r) =>
        `| ${r.label} | ${r.clock} | ${r.joins} | ${fmt(r.atP50Ms)} | ${fmt(r.atP95Ms)} | ${fmt(r.addedP50Ms)} | ${fmt(r.addedP95Ms)} |`,
    ),
    '',
  ];
  if (absent.length)
    out.push(
      `Not a separate step in this run (merged into another, or not taken): ${absent.map((r) => r.label).join('; ')}.`,
      '',
    );
  return out;
}

function singleLine(s: SingleJoinFigures): string {
  return (
    `${s.browser}: ${s.joins} joins (${s.failed} failed), click → first frame p50 **${fmt(s.joinToFirstFrameP50Ms)} ms**, ` +
    `p95 **${fmt(s.joinToFirstFrameP95Ms)} ms**; every join in order: ${s.joinToFirstFrameMs.map((v) => fmt(v)).join(', ')} ms.`
  );
}

/** The "Where join time goes" section of latest.md. */
export function joinSection(b: Omit<BrowserFigures, 'e2eLatencyMs'>): string[] {
  const out = [
    '## Where join time goes',
    '',
    'Each step in ms after the click on "Partecipa", on the page\'s clock: the web client\'s own marks ' +
      "(client/src/join-timing.ts) and the server's (request received/answered per participant, ICE/DTLS on its " +
      'receive transport, keyframe requested from the host, first keyframe sent to the viewer), moved onto the page ' +
      'clock. "Reached" is when the step happened (negative: before the click); "added" is what it added to the path ' +
      '(its time minus the latest step above it, 0 if it was already reached), so the added times of a join sum to ' +
      'its click → first frame. Method: [ADR 0006](../decisions/0006-benchmark-method.md).',
    '',
  ];
  if (b.single) {
    out.push(
      `### Single joins (${b.single.count} per browser, one at a time, nobody else joining; ${fmt(b.single.durationS)} s)`,
      '',
      'A fresh browser context per join (cold page, own pass), Chromium and Firefox alternately, the viewer leaves ' +
        'before the next one starts.',
      '',
    );
    for (const s of [b.single.chromium, b.single.firefox]) {
      if (!s) continue;
      out.push(singleLine(s), '', ...stepsTable(s.steps));
    }
  }
  out.push(`### ${b.viewers} joining together (Chromium)`, '', ...stepsTable(b.stormSteps));
  return out;
}

/** The chat part of the "Control plane" section. */
export function chatSection(c: ChatFigures): string[] {
  const j = c.joinAllAtOnce;
  const out = [
    '### Chat under load',
    '',
    `${c.participants} signalling participants (lean socket.io clients in the benchmark's process) joined one live ` +
      `sitting at once: ${j.joined} joined (${j.failed} failed) in ${fmt(j.durationS)} s, connect + join p50 ` +
      `${fmt(j.p50Ms)} ms, p95 ${fmt(j.p95Ms)} ms. Then chat lines at a fixed total rate, round robin over every ` +
      "participant (each keeps the same spacing between its own lines); ack = the sender's `chat.send` reply.",
    '',
    '| lines/s | per client per 10 s | lines | accepted | refused rate_limited | failed | ack p50 ms | ack p95 ms | ack p99 ms | max ms | delivered per line | server CPU % | server ms/line | client loop delay p99 ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...c.phases.map(
      (p) =>
        `| ${fmt(p.ratePerS)} | ${fmt(p.linesPerClientPer10s)} | ${p.sent} | ${p.acked} | ${p.refusedRateLimited} | ${p.failed} | ` +
        `${fmt(p.ackP50Ms)} | ${fmt(p.ackP95Ms)} | ${fmt(p.ackP99Ms)} | ${fmt(p.ackMaxMs)} | ${fmt(p.deliveredPerLine)} | ` +
        `${fmt(p.serverCpuPct)} | ${fmt(p.serverCpuMsPerLine)} | ${fmt(p.clientLoopDelayP99Ms)} |`,
    ),
    '',
    'Every client keeps under the limit (5 lines per 10 s), so every refusal counted here is unfair.',
    '',
  ];
  return out;
}
