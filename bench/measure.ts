/**
 * Measuring tools shared by the sides of the in-process bench: heap after GC, build timing,
 * interleaved command rounds with their event-loop delay, idle CPU, and the summary figures
 * (median, p99).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** One side of the comparison, built and ready for command rounds. */
export interface RoundSide {
  /** Short label, e.g. `fractal-coord`. */
  readonly label: string;
  /** One command round, root to every leaf and back. Resolves with the messages it sent. */
  round(): Promise<number>;
  /** Stops everything the side runs (actors, timers) so that it can be collected. */
  dispose(): Promise<void>;
}

const gcHook = (globalThis as { gc?: () => void }).gc;

/**
 * Wait after a forced GC before a timed round: at least 100 ms, and 0.5 ms per MB of heap
 * (sweeping a 900 MB heap outlasted 100 ms, and then blocked the start of the round).
 */
const GC_SETTLE_MS = 100;
const GC_SETTLE_MS_PER_MB = 0.5;

function settleMs(): number {
  return Math.max(GC_SETTLE_MS, (process.memoryUsage().heapUsed / 1e6) * GC_SETTLE_MS_PER_MB);
}

/** True when the process runs with --expose-gc, so heap figures are after a full GC. */
export const canGc = gcHook !== undefined;

/** A full garbage collection, when --expose-gc allows it. */
export function collect(): void {
  gcHook?.();
}

/** Heap in use after a full GC (without --expose-gc, whatever is in use now). */
export function heapUsed(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

/** What building a side cost. */
export interface BuildFigures {
  /** Wall time from nothing to ready (fractal-coord: to SYNCHRONIZED), ms. */
  readonly buildMs: number;
  /** Heap retained by the built side, per node, after GC; null without --expose-gc. */
  readonly heapBytesPerNode: number | null;
}

/** Builds a side, timing it and weighing what it retains. */
export async function measureBuild<S>(
  nodes: number,
  build: () => Promise<S>,
): Promise<{ side: S; figures: BuildFigures }> {
  const before = heapUsed();
  const t0 = performance.now();
  const side = await build();
  const buildMs = performance.now() - t0;
  const after = heapUsed();
  return {
    side,
    figures: {
      buildMs: round1(buildMs),
      heapBytesPerNode: canGc ? Math.round((after - before) / nodes) : null,
    },
  };
}

/** Every timed round of one side. */
export interface RoundSamples {
  readonly times: number[];
  readonly messages: number[];
  /** Longest event-loop delay seen while this side's rounds ran, ms. */
  loopMaxMs: number;
}

/** Summary of one side's rounds. */
export interface RoundFigures {
  readonly rounds: number;
  readonly medianMs: number;
  /** Nearest-rank 99th percentile; with fewer than 100 rounds, the slowest round. */
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Messages one round sent (the median over rounds). */
  readonly messagesPerRound: number;
  /** `messagesPerRound` over the median round time. */
  readonly messagesPerSecond: number;
  /** Longest event-loop block during this side's rounds (monitorEventLoopDelay max), ms. */
  readonly loopBlockMaxMs: number;
}

/**
 * Runs `warmup` untimed rounds and then `rounds` timed rounds of every side, alternating
 * sides round by round so that whatever else slows the machine meanwhile hits every side
 * alike. Each cycle starts one side further (a, b, c, b, c, a, c, a, b, ...), so that no side
 * always runs right after the same other one. Before every round, a full GC (untimed), so that
 * no side pays for garbage another left behind, and time for its sweeping to finish. Around
 * each timed round an event-loop delay histogram is enabled (1 ms resolution), armed by a
 * short sleep before the round and read after a short sleep behind it, so that a block at the
 * very end of the round is recorded too.
 * A round that throws fails the bench.
 */
export async function interleavedRounds(
  sides: readonly RoundSide[],
  rounds: number,
  warmup: number,
  onRound?: (side: RoundSide, index: number, ms: number) => void,
): Promise<RoundSamples[]> {
  const samples = sides.map(() => ({
    times: [] as number[],
    messages: [] as number[],
    loopMaxMs: 0,
  }));
  for (let i = 0; i < warmup; i++) {
    for (const side of sides) {
      collect();
      await side.round();
    }
  }
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < sides.length; k++) {
      const s = (i + k) % sides.length;
      const side = sides[s]!;
      collect();
      // The forced GC leaves sweeping behind, done on later allocations: let it finish, so that
      // the bench's own GC does not show as a block in the round (worst for the biggest heap).
      await sleep(settleMs());
      // A fresh histogram per round: a re-enabled one would record the gap since it was
      // disabled (the other sides' rounds) as its first delay.
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      await sleep(3);
      const t0 = performance.now();
      const messages = await side.round();
      const ms = performance.now() - t0;
      await sleep(3);
      histogram.disable();
      const sample = samples[s]!;
      sample.times.push(ms);
      sample.messages.push(messages);
      // Nanoseconds between two ticks of its 1 ms timer (the timer period included).
      if (histogram.count > 0) sample.loopMaxMs = Math.max(sample.loopMaxMs, histogram.max / 1e6);
      onRound?.(side, i, ms);
    }
  }
  return samples;
}

/** Median, p99 and rate of one side's rounds. */
export function summarizeRounds(samples: RoundSamples): RoundFigures {
  const times = [...samples.times].sort((a, b) => a - b);
  const messages = [...samples.messages].sort((a, b) => a - b);
  const medianMs = quantile(times, 0.5);
  const messagesPerRound = quantile(messages, 0.5);
  return {
    rounds: times.length,
    medianMs: round1(medianMs),
    p99Ms: round1(quantile(times, 0.99)),
    maxMs: round1(times.at(-1) ?? 0),
    messagesPerRound,
    messagesPerSecond: Math.round(messagesPerRound / (medianMs / 1000)),
    loopBlockMaxMs: round1(samples.loopMaxMs),
  };
}

/** Nearest-rank quantile of sorted values; the median of an even count is the upper middle. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  if (q === 0.5) return sorted[Math.floor(sorted.length / 2)]!;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** CPU this process used over a stretch of wall time. */
export interface CpuFigures {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** `cpuMs / wallMs`: 1 is one core busy all the time. */
  readonly coreShare: number;
}

/** Measures process CPU (user + system, every thread) while `wait` runs. */
export async function measureCpu(wait: () => Promise<void>): Promise<CpuFigures> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await wait();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpuMs),
    coreShare: Math.round((cpuMs / wallMs) * 10_000) / 10_000,
  };
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
export const round2 = (x: number): number => Math.round(x * 100) / 100;
