/**
 * The report's headline says, for every target, whether the run met it and, for each one missed,
 * why in the run's own figures (issue 15: "report where a target is missed and why").
 */
import { describe, expect, it } from 'vitest';
import type { StepRow } from './join-steps';
import type { BenchReport } from './report';
import { headlineSection, maxPerSecond, targetRows } from './report-targets';

function step(id: string, label: string, atP50Ms: number, addedP50Ms: number): StepRow {
  return {
    id,
    clock: 'client',
    label,
    joins: 10,
    atP50Ms,
    atP95Ms: atP50Ms,
    addedP50Ms,
    addedP95Ms: addedP50Ms,
  };
}

/** A run with one target missed of each kind this test looks at, and the rest not measured. */
function report(over: Partial<BenchReport> = {}): BenchReport {
  return {
    viewersPerCore: null,
    workerCpuUsPerPacket: null,
    sinkCpuUsPerPacket: null,
    joinToFirstFrameP95Ms: 2400,
    joinToFirstFrameSingleP95Ms: null,
    joinServerCpuMs: 6,
    chatAckP95Ms: 12,
    chatAckP99Ms: 20,
    chatRefusedUnderLimit: 0,
    e2eLatencyP99Ms: null,
    keyframeRequestsPerSecMax: null,
    recorderCpuPctPerStream: null,
    finalizeSpeedX: null,
    ratioVsJanus: null,
    steps: [],
    notes: [],
    details: {
      janusComparison: [],
      profile: null,
      chat: null,
      joinStorm: {
        path: 'fast',
        joins: 200,
        failed: 0,
        periodS: 10,
        serverCpuMsPerJoin: 6,
        keepAliveCpuMsPerClientS: 0.2,
        connectedClientS: 1000,
        idleServerCpuMsPerS: 4,
        serverCpuMsPerJoinLessKeepAlive: 4.8,
        joinLatencyP50Ms: 9,
        joinLatencyP95Ms: 14,
      },
      browser: {
        viewers: 10,
        joinKeyframeRequestsMs: [1100, 2100],
        hostLayers: [],
        single: null,
        stormSteps: [
          step('client:recv.answer', 'remote offer applied, answer made', 600, 500),
          step('server:dtls.connected', 'DTLS connected', 1300, 40),
          step('client:frame', 'first frame presented (rVFC)', 2300, 900),
        ],
        machine: {
          cores: 2,
          busyPctDuringJoin: 99.5,
          cpuPctDuringJoin: { viewerChromium: 130, hostChromium: 55, node: 7 },
        },
      },
    } as unknown as BenchReport['details'],
    ...over,
  } as BenchReport;
}

describe('the headline targets', () => {
  it('marks each target met, missed, or not measured', () => {
    const rows = targetRows(report());
    const row = (start: string) => rows.find((r) => r.figure.startsWith(start))!;
    expect(row('join-to-first-frame p95 (10').met).toBe(false);
    expect(row('server CPU per signalling join').met).toBe(false);
    expect(row('chat send').met).toBe(true);
    expect(row('chat lines refused').met).toBe(true);
    expect(row('worker CPU per forwarded').met).toBeNull();
    expect(row('end-to-end latency').met).toBeNull();
    expect(
      rows.filter((r) => r.met !== false).every((r) => r.why.length === 0 || r.met === null || r.met),
    ).toBe(true);
  });

  it("gives, for a missed target, the reasons in the run's own figures", () => {
    const md = headlineSection(report()).join('\n');
    expect(md).toContain('| server CPU per signalling join | 6 ms | ≤ 5 ms | **no** |');
    expect(md).toContain('| chat lines refused rate_limited from clients under the limit | 0 | 0 | yes |');
    const missed = md.slice(md.indexOf('### Missed in this run, and why'));
    // The storm: how busy the machine was, its largest steps, and the keyframe wait.
    expect(missed).toContain('2 cores were 99.5% busy during the join');
    expect(missed).toContain('viewer Chromium 130%');
    expect(missed).toContain('"first frame presented (rVFC)" +900 ms');
    expect(missed).toContain('After the transport connected, the first frame p50 900 / p95 900 ms');
    expect(missed).toContain('+1100, +2100 ms after the first click');
    // The join's CPU: the upkeep (4 ms/s × 10 s / 200), the keep-alives (0.2 × 1000 / 200), the join itself.
    expect(missed).toContain('Of 6 ms, 0.2 ms is the idle server');
    expect(missed).toContain('and 1 ms the keep-alives');
    expect(missed).toContain('the join itself 4.8 ms');
    // Met targets are not listed there.
    expect(missed).not.toContain('chat send');
  });

  it('has no "missed" part when every measured target is met', () => {
    const md = headlineSection(report({ joinToFirstFrameP95Ms: 1200, joinServerCpuMs: 4.5 })).join('\n');
    expect(md).not.toContain('### Missed');
    expect(md).toContain('| server CPU per signalling join | 4.5 ms | ≤ 5 ms | yes |');
  });

  it('counts the most events in any one-second window', () => {
    expect(maxPerSecond([])).toBe(0);
    expect(maxPerSecond([0, 999, 1000, 1999])).toBe(2);
    expect(maxPerSecond([0, 204, 999, 1371, 2371])).toBe(3);
  });
});
