/**
 * Printing the in-process comparison (one table with a column per side and the ratios, one
 * of fractal-coord's own figures) and checking the performance targets against it.
 */
import type { BySide, SizeResult } from './inprocess.js';
import type { BuildFigures, RoundFigures } from './measure.js';

/** The tree size the targets are set at. */
export const TARGET_NODES = 111_111;

/** The performance targets, each checked on the run's figures. */
export const TARGETS = {
  /** A command round ≤ this × the raw-XState round (medians). */
  roundVsRawXState: 0.5,
  /** Build + start to SYNCHRONIZED, ms. */
  buildMs: 5_000,
  /** Heap per node after start, bytes (3 KB = 3 × 1 024). */
  heapBytesPerNode: 3 * 1024,
  /** Longest event-loop block during a round, ms. */
  loopBlockMs: 50,
  /** Idle heartbeats' CPU, as a share of one core. */
  idleCoreShare: 0.1,
  /** Idle time over which heartbeats are judged, ms. */
  idleMs: 60_000,
  /** A round with inspection ≤ this × one without (medians). */
  inspectionRatio: 1.3,
} as const;

/** One target, checked. `met` is null when the run did not measure it. */
export interface TargetCheck {
  readonly target: string;
  readonly met: boolean | null;
  readonly figure: string;
}

export function checkTargets(results: readonly SizeResult[]): TargetCheck[] {
  const at = results.find((r) => r.nodes === TARGET_NODES);
  const n = fmt(TARGET_NODES);
  const notMeasured = `not measured (this run stopped at ${fmt(Math.max(0, ...results.map((r) => r.nodes)))} nodes)`;
  const checks: TargetCheck[] = [];
  const add = (target: string, check: (r: SizeResult) => Omit<TargetCheck, 'target'>): void => {
    checks.push(at ? { target, ...check(at) } : { target, met: null, figure: notMeasured });
  };
  add(`command round on ${n} nodes ≤ ${TARGETS.roundVsRawXState} × raw XState's`, (r) => {
    const ratio = r.round.runtime.medianMs / r.round.rawXState.medianMs;
    return {
      met: ratio <= TARGETS.roundVsRawXState,
      figure: `${ratio.toFixed(2)} × (median ${fmtMs(r.round.runtime.medianMs)} vs ${fmtMs(r.round.rawXState.medianMs)})`,
    };
  });
  add(`build + start of ${n} nodes to SYNCHRONIZED ≤ ${TARGETS.buildMs / 1000} s`, (r) => ({
    met: r.build.runtime.buildMs <= TARGETS.buildMs,
    figure:
      `${fmtMs(r.build.runtime.buildMs)} (the idle tree, alone in the heap with the default ` +
      `heartbeat policy: ${fmtMs(r.idle.buildMs)})`,
  }));
  add(`heap per node of ${n} nodes ≤ 3 KB (${fmt(TARGETS.heapBytesPerNode)} bytes)`, (r) => {
    const heap = r.build.runtime.heapBytesPerNode;
    return heap === null
      ? { met: null, figure: 'not measured (run with --expose-gc)' }
      : { met: heap <= TARGETS.heapBytesPerNode, figure: `${fmt(heap)} bytes` };
  });
  add(`no event-loop block over ${TARGETS.loopBlockMs} ms during a ${n}-node round`, (r) => ({
    met: r.round.runtime.loopBlockMaxMs <= TARGETS.loopBlockMs,
    figure:
      `longest ${fmtMs(r.round.runtime.loopBlockMaxMs)} over ${r.round.runtime.rounds} rounds ` +
      `(the tree alone in the heap: ${fmtMs(r.aloneRound.loopBlockMaxMs)})`,
  }));
  add(
    `idle heartbeats of ${n} nodes at 1 s ≤ ${TARGETS.idleCoreShare * 100} % of one core, ` +
      `no false suspicion over ${TARGETS.idleMs / 1000} s`,
    (r) => {
      const figure =
        `${pct(r.idle.coreShare)} of one core, ${r.idle.falseSuspicions} false suspicion(s) ` +
        `over ${(r.idle.wallMs / 1000).toFixed(0)} s`;
      if (r.plan.idleMs < TARGETS.idleMs) {
        return { met: null, figure: `${figure}; too short to judge` };
      }
      return {
        met: r.idle.coreShare <= TARGETS.idleCoreShare && r.idle.falseSuspicions === 0,
        figure,
      };
    },
  );
  const inspected = results.flatMap((r) =>
    'ratio' in r.inspection ? [{ nodes: r.nodes, ratio: r.inspection.ratio }] : [],
  );
  checks.push({
    target: `a round with inspection ≤ ${TARGETS.inspectionRatio} × without (every size measured)`,
    met:
      inspected.length === 0
        ? null
        : inspected.every(({ ratio }) => ratio <= TARGETS.inspectionRatio),
    figure:
      inspected.length === 0
        ? 'not measured'
        : inspected.map(({ nodes, ratio }) => `${ratio.toFixed(2)} × at ${fmt(nodes)}`).join(', '),
  });
  return checks;
}

/** How a table is printed: aligned plain text (the console), or Markdown (the README). */
export type TableStyle = 'text' | 'markdown';

/** The comparison, one row per metric and size, a column per side, and the ratios. */
export function comparisonTable(
  results: readonly SizeResult[],
  style: TableStyle = 'text',
): string {
  const metrics: {
    name: string;
    pick: (s: SizeResult) => BySide<number | null>;
    format: (x: number) => string;
  }[] = [
    {
      name: 'build + start (ms)',
      pick: (s) => bySide(s.build, (b: BuildFigures) => b.buildMs),
      format: fmtFixed1,
    },
    {
      name: 'heap per node (bytes)',
      pick: (s) => bySide(s.build, (b: BuildFigures) => b.heapBytesPerNode),
      format: fmt,
    },
    {
      name: 'round median (ms)',
      pick: (s) => bySide(s.round, (r: RoundFigures) => r.medianMs),
      format: fmtFixed1,
    },
    {
      name: 'round p99 (ms)',
      pick: (s) => bySide(s.round, (r: RoundFigures) => r.p99Ms),
      format: fmtFixed1,
    },
    {
      name: 'messages per round',
      pick: (s) => bySide(s.round, (r: RoundFigures) => r.messagesPerRound),
      format: fmt,
    },
    {
      name: 'messages/s in a round',
      pick: (s) => bySide(s.round, (r: RoundFigures) => r.messagesPerSecond),
      format: fmt,
    },
    {
      name: 'longest event-loop block (ms)',
      pick: (s) => bySide(s.round, (r: RoundFigures) => r.loopBlockMaxMs),
      format: fmtFixed1,
    },
  ];
  const rows: string[][] = [];
  for (const metric of metrics) {
    for (const size of results) {
      const v = metric.pick(size);
      const cell = (x: number | null): string => (x === null ? '–' : metric.format(x));
      rows.push([
        metric.name,
        fmt(size.nodes),
        cell(v.runtime),
        cell(v.rawXState),
        cell(v.floor),
        ratio(v.runtime, v.rawXState),
        ratio(v.runtime, v.floor),
      ]);
    }
  }
  return table(
    ['metric', 'nodes', 'fractal-coord', 'raw XState', 'floor', 'fc ÷ raw', 'fc ÷ floor'],
    rows,
    [false, true, true, true, true, true, true],
    style,
  );
}

/** fractal-coord's own figures: idle heartbeats and inspection overhead. */
export function runtimeTable(results: readonly SizeResult[], style: TableStyle = 'text'): string {
  const rows = results.map((s) => {
    const inspection =
      'ratio' in s.inspection
        ? [
            fmtFixed1(s.inspection.off.medianMs),
            fmtFixed1(s.inspection.on.medianMs),
            s.inspection.ratio.toFixed(2),
          ]
        : ['–', '–', 'skipped'];
    return [
      fmt(s.nodes),
      fmtFixed1(s.idle.buildMs),
      (s.idle.wallMs / 1000).toFixed(0),
      pct(s.idle.coreShare),
      fmt(s.idle.messagesPerSecond),
      String(s.idle.falseSuspicions),
      ...inspection,
    ];
  });
  return table(
    [
      'nodes',
      'idle tree start (ms)',
      'idle (s)',
      'CPU, of one core',
      'heartbeat msgs/s',
      'false suspicions',
      'inspect off (ms)',
      'inspect on (ms)',
      'on ÷ off',
    ],
    rows,
    [true, true, true, true, true, true, true, true, true],
    style,
  );
}

export function targetLines(checks: readonly TargetCheck[]): string[] {
  return checks.map(
    (c) => `${c.met === null ? 'n/a   ' : c.met ? 'met   ' : 'missed'}  ${c.target}: ${c.figure}`,
  );
}

function bySide<T>(of: BySide<T>, pick: (x: T) => number | null): BySide<number | null> {
  return { runtime: pick(of.runtime), rawXState: pick(of.rawXState), floor: pick(of.floor) };
}

function ratio(a: number | null, b: number | null): string {
  if (a === null || b === null || b === 0) return '–';
  const r = a / b;
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

/**
 * A table: a header, a rule, and rows; numeric columns right-aligned. In Markdown, thousands
 * are separated by a space, as the README writes them.
 */
export function table(
  header: readonly string[],
  rows: readonly string[][],
  right: readonly boolean[],
  style: TableStyle = 'text',
): string {
  const body =
    style === 'markdown'
      ? rows.map((r) => r.map((c, i) => (right[i] ? c.replaceAll(',', ' ') : c)))
      : rows;
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const pad = (c: string, i: number): string =>
    right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
  if (style === 'markdown') {
    const line = (cells: readonly string[]): string => `| ${cells.map(pad).join(' | ')} |`;
    const rule = widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)));
    return [line(header), `| ${rule.join(' | ')} |`, ...body.map(line)].join('\n');
  }
  const line = (cells: readonly string[]): string => cells.map(pad).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const fmtFixed1 = (x: number): string =>
  x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const fmtMs = (ms: number): string =>
  ms >= 1_000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;
