/**
 * The README's benchmark tables, in Markdown, from `bench/results.json` (the last full run):
 *
 *   npm run bench:readme
 *
 * prints the same tables a run prints (the in-process comparison, fractal-coord's idle and
 * inspection figures, the targets met or missed, and the NATS table), so that the README
 * shows exactly what the run measured.
 */
import { readFileSync } from 'node:fs';
import type { SizeResult } from './inprocess.js';
import type { NatsResults } from './nats.js';
import { comparisonTable, runtimeTable, table, type TargetCheck } from './report.js';

interface Results {
  readonly date: string;
  readonly node: string;
  readonly xstate: string;
  readonly cores: number;
  readonly inprocess?: { readonly sizes: SizeResult[]; readonly targets: TargetCheck[] };
  readonly nats?: NatsResults;
}

const results = JSON.parse(
  readFileSync(new URL('./results.json', import.meta.url), 'utf8'),
) as Results;

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
      r.leavesPerSec.toLocaleString('en-US'),
      r.fcRatio === 1 ? '1' : r.fcRatio.toFixed(2),
      r.roundMedianMs.toFixed(1),
      r.roundP99Ms.toFixed(1),
      String(r.natsMsgsPerLeaf),
    ]),
    [false, false, true, true, true, true, true],
    'markdown',
  );
}

const parts = [
  `Run of ${results.date} (Node ${results.node}, XState ${results.xstate}, ${results.cores} cores).`,
];
if (results.inprocess) {
  const { sizes, targets } = results.inprocess;
  parts.push(
    comparisonTable(sizes, 'markdown'),
    runtimeTable(sizes, 'markdown'),
    'Targets at 111 111 nodes (this machine, ratios from the same run):',
    targets
      .map(
        (t) =>
          `- ${t.met === null ? 'not judged' : t.met ? 'met' : '**missed**'}: ${t.target}: ${t.figure}`,
      )
      .join('\n'),
  );
}
if (results.nats) parts.push(natsTable(results.nats));
console.log(parts.join('\n\n'));
