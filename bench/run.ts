/**
 * The benchmark's entry point.
 *
 * In-process (inprocess.ts): fractal-coord against raw XState and a plain-JavaScript floor on
 * trees of fan-out 10, side by side in one process with their command rounds interleaved:
 * build + start, heap per node after GC, command round (median, p99, messages per second,
 * longest event-loop block); for fractal-coord also the CPU of idle heartbeats (with false
 * suspicions counted) and the overhead of an inspection observer. The performance targets
 * are checked on the figures and printed met or missed.
 *
 * Across processes (nats.ts): leaf executions per second through NATS on loopback, beside raw
 * NATS request/reply as the floor (skipped, saying so, without nats-server).
 *
 *   npm run bench                      1,111 / 11,111 / 111,111 nodes; NATS 10 s per shape
 *   npm run bench -- --quick           1,111 / 11,111 nodes, short idle; NATS 1 s per shape
 *   npm run bench -- --only inprocess  the in-process part alone (with or without --quick)
 *   npm run bench -- --only nats       the NATS part alone (with or without --quick)
 *   npm run bench -- --sizes 111111    only these tree sizes (comma-separated node counts of
 *                                      1 111, 11 111 or 111 111; their plans as in full runs,
 *                                      or quick ones with --quick)
 *
 * Run with --expose-gc for heap figures and GC between rounds (the npm script does). A run
 * with both parts and every size writes bench/results.json; --only and --sizes print
 * without writing it.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { benchInProcess, formatMs, type SizePlan, type SizeResult } from './inprocess.js';
import { canGc } from './measure.js';
import { levelsFor } from './trees.js';
import { benchNats, type NatsResults } from './nats.js';
import {
  checkTargets,
  comparisonTable,
  runtimeTable,
  targetLines,
  type TargetCheck,
} from './report.js';

/** 1 111 and 11 111 nodes, a few seconds idle: about a minute. */
const QUICK_PLANS: SizePlan[] = [
  { levels: 4, rounds: 15, warmup: 2, idleMs: 3_000, inspectionRounds: 15 },
  { levels: 5, rounds: 5, warmup: 1, idleMs: 3_000, inspectionRounds: 4 },
];

/**
 * 1 111, 11 111 and 111 111 nodes. The largest tree idles 60 s (the heartbeat target's span)
 * and runs 5 rounds per side with no warm-up (the smaller sizes warmed the code up), and no
 * inspection comparison: a second 111 111-node tree with inspection takes about a minute to
 * build and, beside the first, minutes to shut down, which would double the run.
 */
const FULL_PLANS: SizePlan[] = [
  { levels: 4, rounds: 30, warmup: 3, idleMs: 10_000, inspectionRounds: 30 },
  { levels: 5, rounds: 15, warmup: 2, idleMs: 10_000, inspectionRounds: 15 },
  { levels: 6, rounds: 5, warmup: 0, idleMs: 60_000, inspectionRounds: 0 },
];

const quick = process.argv.includes('--quick');
const sizesAt = process.argv.indexOf('--sizes');
const sizesArg = sizesAt < 0 ? undefined : process.argv[sizesAt + 1];
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt < 0 ? undefined : process.argv[onlyAt + 1];
if (onlyAt >= 0 && only !== 'nats' && only !== 'inprocess') {
  console.error(`--only takes "nats" or "inprocess"; got ${only ?? 'nothing'}.`);
  process.exit(2);
}

const t0 = performance.now();
const log = (line: string): void => console.log(line);
/** A progress line, with the time since the start. */
const progress = (line: string): void =>
  log(`${`+${((performance.now() - t0) / 1000).toFixed(1)}s`.padEnd(8)}${line}`);
let inprocess: { sizes: SizeResult[]; targets: TargetCheck[]; ms: number } | undefined;
let nats: NatsResults | undefined;

if (only !== 'nats') {
  const plans = choosePlans();
  if (!canGc) log('Without --expose-gc: no heap figures, and no GC between rounds.');
  log(
    `In-process: fractal-coord vs raw XState vs a plain-JavaScript floor, fan-out 10, ` +
      `${cpus().length} cores, ${process.version}${quick ? ', quick' : ''}`,
  );
  const sizes = await benchInProcess({ plans, log: progress });
  const targets = checkTargets(sizes);
  const ms = Math.round(performance.now() - t0);
  log('');
  log(
    'Build + start (fractal-coord: to SYNCHRONIZED, beside the other two trees), heap per node ' +
      'after GC, and one command round (root to every leaf and back), rounds interleaved. ' +
      'p99 is the slowest round below 100 rounds. Messages/s: messages per round over the ' +
      'median round. Ratios: fractal-coord over the other side (below 1: fractal-coord smaller).',
  );
  log(comparisonTable(sizes));
  log('');
  log(
    'fractal-coord alone: a tree with the default heartbeat policy (1 s), idle: process CPU ' +
      'and heartbeat envelopes per second, false suspicions (links gone unreachable); and ' +
      'rounds with inspect: () => {} against rounds without, interleaved.',
  );
  log(runtimeTable(sizes));
  log('');
  log('Targets:');
  for (const line of targetLines(targets)) log(line);
  log(`In-process part: ${formatMs(ms)}`);
  inprocess = { sizes, targets, ms };
}

if (only !== 'inprocess') {
  const n0 = performance.now();
  nats = await benchNats({ quick });
  log(`NATS part: ${formatMs(performance.now() - n0)}`);
}

if (only === undefined && sizesArg === undefined) {
  const xstate = (createRequire(import.meta.url)('xstate/package.json') as { version: string })
    .version;
  writeFileSync(
    new URL('./results.json', import.meta.url),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        xstate,
        cores: cpus().length,
        quick,
        totalMs: Math.round(performance.now() - t0),
        inprocess,
        nats,
      },
      null,
      2,
    )}\n`,
  );
}

/** The plans of this run: quick or full, narrowed by --sizes. */
function choosePlans(): SizePlan[] {
  const plans = quick ? QUICK_PLANS : FULL_PLANS;
  if (sizesArg === undefined) return plans;
  const all = [...QUICK_PLANS, ...FULL_PLANS];
  return sizesArg.split(',').map((text) => {
    const nodes = Number(text.replaceAll('_', ''));
    let levels: number | undefined;
    try {
      levels = levelsFor(nodes);
    } catch {
      levels = undefined;
    }
    const plan = plans.find((p) => p.levels === levels) ?? all.find((p) => p.levels === levels);
    if (plan === undefined) {
      console.error(`--sizes takes 1111, 11111 or 111111 (comma-separated); got ${text}.`);
      process.exit(2);
    }
    return plan;
  });
}
