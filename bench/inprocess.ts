/**
 * The in-process comparison: fractal-coord against raw XState and a plain-JavaScript floor on
 * balanced trees of fan-out 10, in one process, interleaved.
 *
 * Per tree size, in this order:
 *
 * 1. Idle heartbeats: a fractal-coord tree with the default heartbeat policy (1 s interval),
 *    alone in the heap, is built, started, and left idle; the process's CPU over that time is
 *    the heartbeats' cost, and every link event is watched for a false suspicion. Shut down.
 * 2. The comparison: the floor, raw XState and fractal-coord trees are built one after the
 *    other (build time, heap per node after GC), all three stay alive, and command rounds
 *    alternate between them: fractal-coord, raw XState, floor, fractal-coord, ... (see
 *    {@link interleavedRounds}). Raw XState and the floor are then disposed, and the
 *    fractal-coord tree runs the same number of rounds alone in the heap.
 * 3. Inspection: a second fractal-coord tree with `inspect: () => {}` is built, and rounds
 *    alternate between it and the uninspected tree of step 2; the overhead is the ratio of
 *    their medians. Both are then shut down.
 *
 * Before all sizes, every side is built and run on a 111-node tree once, untimed, so that no
 * side pays for compiling its code inside the first measurement.
 */
import { performance } from 'node:perf_hooks';
import { buildFloor } from './floor.js';
import {
  collect,
  interleavedRounds,
  measureBuild,
  round1,
  summarizeRounds,
  type BuildFigures,
  type RoundFigures,
  type RoundSide,
} from './measure.js';
import { buildRawXState } from './rawXState.js';
import {
  buildRuntime,
  HEARTBEAT_POLICY,
  measureIdle,
  ROUND_POLICY,
  type IdleFigures,
} from './runtimeSide.js';
import { balancedTree, FAN_OUT } from './trees.js';

/** How one tree size is measured. */
export interface SizePlan {
  readonly levels: number;
  /** Timed rounds per side in the comparison. */
  readonly rounds: number;
  /** Untimed rounds per side before them. */
  readonly warmup: number;
  /** Idle time of the heartbeat tree, ms. */
  readonly idleMs: number;
  /** Timed rounds per side of the inspection comparison; 0 skips it. */
  readonly inspectionRounds: number;
}

/** The three sides, figure by figure. */
export interface BySide<T> {
  readonly runtime: T;
  readonly rawXState: T;
  readonly floor: T;
}

/** fractal-coord's figure over another side's, per metric (null without a figure). */
export interface Ratios {
  readonly buildMs: number;
  readonly heapBytesPerNode: number | null;
  readonly roundMedianMs: number;
  readonly roundP99Ms: number;
  readonly messagesPerSecond: number;
  readonly loopBlockMaxMs: number;
}

/** What the inspection comparison found. */
export type InspectionFigures =
  | { readonly skipped: string }
  | {
      /** Build + start of the inspected tree, ms. */
      readonly buildMs: number;
      readonly off: RoundFigures;
      readonly on: RoundFigures;
      /** Median round with inspection over the median without, same phase, interleaved. */
      readonly ratio: number;
    };

/** Everything measured at one tree size. */
export interface SizeResult {
  readonly nodes: number;
  readonly levels: number;
  readonly leaves: number;
  readonly fanOut: number;
  readonly plan: SizePlan;
  /** How fractal-coord's root settled at start (`SYNCHRONIZED` expected). */
  readonly runtimeStarted: string;
  readonly build: BySide<BuildFigures>;
  readonly round: BySide<RoundFigures>;
  /**
   * fractal-coord's rounds once raw XState and the floor are disposed: the same tree alone in
   * the heap, where no other side's garbage adds to its collections.
   */
  readonly aloneRound: RoundFigures;
  /** fractal-coord's figures over raw XState's and over the floor's. */
  readonly ratios: { readonly vsRawXState: Ratios; readonly vsFloor: Ratios };
  /** Time to dispose of each side's tree (fractal-coord: a graceful shutdown), ms. */
  readonly disposeMs: BySide<number>;
  readonly idle: IdleFigures & {
    /** Build + start of the idle tree (default heartbeat policy, alone in the heap), ms. */
    readonly buildMs: number;
    readonly heapBytesPerNode: number | null;
    readonly started: string;
  };
  readonly inspection: InspectionFigures;
}

export interface InProcessOptions {
  readonly plans: readonly SizePlan[];
  readonly log: (line: string) => void;
}

const LABELS = { runtime: 'fractal-coord', rawXState: 'raw XState', floor: 'floor' } as const;

export async function benchInProcess(options: InProcessOptions): Promise<SizeResult[]> {
  const { log } = options;
  await warmUp();
  const results: SizeResult[] = [];
  for (const plan of options.plans) results.push(await benchSize(plan, log));
  return results;
}

/** Builds and runs every side once on a small tree, untimed. */
async function warmUp(): Promise<void> {
  const { spec } = balancedTree(3);
  const sides = [
    await buildFloor(spec),
    await buildRawXState(spec),
    await buildRuntime(spec, { label: LABELS.runtime, policy: ROUND_POLICY }),
    await buildRuntime(spec, { label: 'inspected', policy: ROUND_POLICY, inspect: () => {} }),
  ];
  for (let i = 0; i < 5; i++) for (const side of sides) await side.round();
  for (const side of sides) await side.dispose();
}

async function benchSize(plan: SizePlan, log: (line: string) => void): Promise<SizeResult> {
  const shape = balancedTree(plan.levels);
  const { spec, nodes } = shape;
  const at = `${nodes.toLocaleString('en-US')} nodes`;
  const timed = async <T>(what: string, work: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const value = await work();
    const ms = performance.now() - t0;
    log(`${at}: ${what} in ${formatMs(ms)}`);
    return [value, round1(ms)];
  };

  // 1. Idle heartbeats, alone.
  const idleBuild = await measureBuild(nodes, () =>
    buildRuntime(spec, { label: LABELS.runtime, policy: HEARTBEAT_POLICY }),
  );
  log(`${at}: idle tree (default heartbeats) started in ${formatMs(idleBuild.figures.buildMs)}`);
  const idleFigures = await measureIdle(
    idleBuild.side,
    plan.idleMs,
    HEARTBEAT_POLICY.heartbeat?.intervalMs ?? 1_000,
  );
  log(
    `${at}: idle ${plan.idleMs / 1000} s: ${(idleFigures.coreShare * 100).toFixed(1)} % of a core, ` +
      `${idleFigures.falseSuspicions} false suspicion(s)`,
  );
  await timed('idle tree shut down', () => idleBuild.side.dispose());

  // 2. The three sides, built one after the other, then rounds interleaved.
  const floor = await measureBuild(nodes, () => buildFloor(spec));
  log(`${at}: floor built in ${formatMs(floor.figures.buildMs)}`);
  const raw = await measureBuild(nodes, () => buildRawXState(spec));
  log(`${at}: raw XState built in ${formatMs(raw.figures.buildMs)}`);
  const runtime = await measureBuild(nodes, () =>
    buildRuntime(spec, { label: LABELS.runtime, policy: ROUND_POLICY }),
  );
  log(
    `${at}: fractal-coord started (${runtime.side.started}) in ${formatMs(runtime.figures.buildMs)}`,
  );
  const sides: RoundSide[] = [runtime.side, raw.side, floor.side];
  const samples = await interleavedRounds(sides, plan.rounds, plan.warmup, progress(at, log));
  const [, rawDisposeMs] = await timed('raw XState stopped', () => raw.side.dispose());
  const [, floorDisposeMs] = await timed('floor dropped', () => floor.side.dispose());
  collect();
  const [aloneSamples] = await interleavedRounds(
    [runtime.side],
    plan.rounds,
    0,
    progress(at, log, ' (alone)'),
  );

  // 3. Inspection on and off, interleaved.
  let inspection: InspectionFigures;
  if (plan.inspectionRounds > 0) {
    const inspected = await measureBuild(nodes, () =>
      buildRuntime(spec, {
        label: `${LABELS.runtime} + inspect`,
        policy: ROUND_POLICY,
        inspect: () => {},
      }),
    );
    log(`${at}: fractal-coord with inspect started in ${formatMs(inspected.figures.buildMs)}`);
    const [off, on] = (
      await interleavedRounds(
        [runtime.side, inspected.side],
        plan.inspectionRounds,
        plan.warmup,
        progress(at, log),
      )
    ).map(summarizeRounds) as [RoundFigures, RoundFigures];
    inspection = {
      buildMs: inspected.figures.buildMs,
      off,
      on,
      ratio: Math.round((on.medianMs / off.medianMs) * 1000) / 1000,
    };
    await timed('inspected tree shut down', () => inspected.side.dispose());
  } else {
    inspection = { skipped: `no inspection rounds planned at ${nodes} nodes` };
  }
  const [, runtimeDisposeMs] = await timed('fractal-coord shut down', () => runtime.side.dispose());
  collect();

  const [runtimeRound, rawRound, floorRound] = samples.map(summarizeRounds) as [
    RoundFigures,
    RoundFigures,
    RoundFigures,
  ];
  return {
    nodes,
    levels: shape.levels,
    leaves: shape.leaves,
    fanOut: FAN_OUT,
    plan,
    runtimeStarted: runtime.side.started,
    build: { runtime: runtime.figures, rawXState: raw.figures, floor: floor.figures },
    round: { runtime: runtimeRound, rawXState: rawRound, floor: floorRound },
    aloneRound: summarizeRounds(aloneSamples!),
    ratios: {
      vsRawXState: ratios(runtime.figures, runtimeRound, raw.figures, rawRound),
      vsFloor: ratios(runtime.figures, runtimeRound, floor.figures, floorRound),
    },
    disposeMs: { runtime: runtimeDisposeMs, rawXState: rawDisposeMs, floor: floorDisposeMs },
    idle: {
      ...idleFigures,
      buildMs: idleBuild.figures.buildMs,
      heapBytesPerNode: idleBuild.figures.heapBytesPerNode,
      started: idleBuild.side.started,
    },
    inspection,
  };
}

function ratios(
  build: BuildFigures,
  round: RoundFigures,
  otherBuild: BuildFigures,
  otherRound: RoundFigures,
): Ratios {
  const over = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;
  return {
    buildMs: over(build.buildMs, otherBuild.buildMs),
    heapBytesPerNode:
      build.heapBytesPerNode === null || otherBuild.heapBytesPerNode === null
        ? null
        : over(build.heapBytesPerNode, otherBuild.heapBytesPerNode),
    roundMedianMs: over(round.medianMs, otherRound.medianMs),
    roundP99Ms: over(round.p99Ms, otherRound.p99Ms),
    messagesPerSecond: over(round.messagesPerSecond, otherRound.messagesPerSecond),
    loopBlockMaxMs: over(round.loopBlockMaxMs, otherRound.loopBlockMaxMs),
  };
}

/** Logs each round, briefly, once rounds take long enough to wonder about. */
function progress(
  at: string,
  log: (line: string) => void,
  note = '',
): (side: RoundSide, index: number, ms: number) => void {
  return (side, index, ms) => {
    if (ms >= 1_000) log(`${at}: ${side.label}${note} round ${index + 1} in ${formatMs(ms)}`);
  };
}

export function formatMs(ms: number): string {
  return ms >= 1_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(1)} ms`;
}
