/**
 * The README's benchmark tables, in Markdown, from `bench/results.json` (the last full run):
 *
 *   npm run bench:readme
 *
 * prints the in-process comparison, fractal-coord's idle and inspection figures, the targets
 * met or missed, and the NATS table, so that the README shows exactly what the run measured.
 */
import { readFileSync } from 'node:fs';
import type { SizeResult } from './inprocess.js';
import type { NatsResults } from './nats.js';
import type { TargetCheck } from './report.js';

interface Results {
  readonly date: string;
  readonly node: string;
  readonly xstate: string;
  readonly cores: number;
  readonly inprocess?: { readonly sizes: SizeResult[]; readonly targets: TargetCheck[] };
  readonly nats?: NatsResults;
}

const file = new URL('./results.json', import.meta.url);
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;

/** Thousands separated by a thin space, as the README writes them. */
const int = (x: number): string => Math.round(x).toLocaleString('en-US').replaceAll(',', ' ');
const ms1 = (x: number): string =>
  x >= 1000
    ? int(x)
    : x.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const ratio = (x: number): string => x.toFixed(2);

/** A Markdown table; `right` marks the right-aligned columns. */
function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function inProcessTables(sizes: readonly SizeResult[], targets: readonly TargetCheck[]): string {
  type Pick = (s: SizeResult) => {
    values: [number | null, number | null, number | null];
    vsRaw: number | null;
    vsFloor: number | null;
  };
  const metrics: [string, Pick, (x: number) => string][] = [
    [
      'build + start (ms)',
      (s) => ({
        values: [s.build.runtime.buildMs, s.build.rawXState.buildMs, s.build.floor.buildMs],
        vsRaw: s.ratios.vsRawXState.buildMs,
        vsFloor: s.ratios.vsFloor.buildMs,
      }),
      (x) => int(x),
    ],
    [
      'heap per node (bytes)',
      (s) => ({
        values: [
          s.build.runtime.heapBytesPerNode,
          s.build.rawXState.heapBytesPerNode,
          s.build.floor.heapBytesPerNode,
        ],
        vsRaw: s.ratios.vsRawXState.heapBytesPerNode,
        vsFloor: s.ratios.vsFloor.heapBytesPerNode,
      }),
      int,
    ],
    [
      'round median (ms)',
      (s) => ({
        values: [s.round.runtime.medianMs, s.round.rawXState.medianMs, s.round.floor.medianMs],
        vsRaw: s.ratios.vsRawXState.roundMedianMs,
        vsFloor: s.ratios.vsFloor.roundMedianMs,
      }),
      ms1,
    ],
    [
      'round p99 (ms)',
      (s) => ({
        values: [s.round.runtime.p99Ms, s.round.rawXState.p99Ms, s.round.floor.p99Ms],
        vsRaw: s.ratios.vsRawXState.roundP99Ms,
        vsFloor: s.ratios.vsFloor.roundP99Ms,
      }),
      ms1,
    ],
    [
      'messages/s in a round',
      (s) => ({
        values: [
          s.round.runtime.messagesPerSecond,
          s.round.rawXState.messagesPerSecond,
          s.round.floor.messagesPerSecond,
        ],
        vsRaw: s.ratios.vsRawXState.messagesPerSecond,
        vsFloor: s.ratios.vsFloor.messagesPerSecond,
      }),
      int,
    ],
    [
      'longest event-loop block in a round (ms)',
      (s) => ({
        values: [
          s.round.runtime.loopBlockMaxMs,
          s.round.rawXState.loopBlockMaxMs,
          s.round.floor.loopBlockMaxMs,
        ],
        vsRaw: s.ratios.vsRawXState.loopBlockMaxMs,
        vsFloor: s.ratios.vsFloor.loopBlockMaxMs,
      }),
      ms1,
    ],
  ];
  const rows = metrics.flatMap(([name, pick, format]) =>
    sizes.map((s, i) => {
      const p = pick(s);
      const cell = (x: number | null): string => (x === null ? '–' : format(x));
      return [
        i === 0 ? name : '',
        int(s.nodes),
        ...p.values.map(cell),
        p.vsRaw === null ? '–' : ratio(p.vsRaw),
        p.vsFloor === null ? '–' : ratio(p.vsFloor),
      ];
    }),
  );
  const comparison = table(
    ['metric', 'nodes', 'fractal-coord', 'raw XState', 'floor', '÷ raw XState', '÷ floor'],
    rows,
    [false, true, true, true, true, true, true],
  );
  const idle = table(
    [
      'nodes',
      'idle heartbeat CPU (1 s interval)',
      'heartbeat envelopes/s',
      'false suspicions',
      'idle time',
      'inspection on ÷ off',
    ],
    sizes.map((s) => [
      int(s.nodes),
      `${(s.idle.coreShare * 100).toFixed(1)} % of a core`,
      int(s.idle.messagesPerSecond),
      String(s.idle.falseSuspicions),
      `${Math.round(s.idle.wallMs / 1000)} s`,
      'ratio' in s.inspection ? ratio(s.inspection.ratio) : 'not measured',
    ]),
    [true, true, true, true, true, true],
  );
  const lines = targets.map(
    (t) =>
      `- ${t.met === null ? 'not judged' : t.met ? 'met' : '**missed**'}: ${t.target}: ${t.figure}`,
  );
  return [
    comparison,
    '',
    idle,
    '',
    'Targets at 111 111 nodes (this machine, ratios from the same run):',
    '',
    ...lines,
  ].join('\n');
}

function natsTable(nats: NatsResults): string {
  if ('skipped' in nats) return `NATS part skipped: ${nats.skipped}`;
  return table(
    [
      'shape',
      'side',
      'leaf executions/s',
      'fractal-coord ÷ this',
      'round median (ms)',
      'round p99 (ms)',
      'NATS messages per leaf',
    ],
    nats.rows.map((r) => [
      r.shape === 'sequential' ? 'one at a time' : `${r.inFlight} in flight`,
      r.side.replace('req/reply', 'request/reply'),
      int(r.leavesPerSec),
      r.fcRatio === 1 ? '1' : ratio(r.fcRatio),
      ms1(r.roundMedianMs),
      ms1(r.roundP99Ms),
      String(r.natsMsgsPerLeaf),
    ]),
    [false, false, true, true, true, true, true],
  );
}

const parts = [
  `Run of ${results.date} (Node ${results.node}, XState ${results.xstate}, ${results.cores} cores).`,
];
if (results.inprocess)
  parts.push(inProcessTables(results.inprocess.sizes, results.inprocess.targets));
if (results.nats) parts.push(natsTable(results.nats));
console.log(parts.join('\n\n'));
