/**
 * fractal-coord's side of the in-process bench: a coordination tree over the default
 * in-process transport, started to SYNCHRONIZED, whose command rounds go through
 * `tree.command()`; and the idle-heartbeat figure of a tree left alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createCoordinationTree,
  type CoordinationPolicy,
  type CoordinationTree,
  type NodeSpec,
} from '../src/index.js';
import { collect, measureCpu, type CpuFigures, type RoundSide } from './measure.js';
import { leafWork } from './trees.js';

/**
 * Timeouts wide enough that the largest tree builds and runs a round under load without a
 * deadline firing: a bench measures speed, not timeouts.
 */
const BENCH_TIMEOUTS = { initMs: 300_000, commandMs: 300_000, ackMs: 60_000 } as const;

/**
 * The policy of the trees whose rounds are measured: heartbeats every 60 s, so that a tree's
 * heartbeats do not run inside the other sides' interleaved rounds (busy links skip pings
 * anyway, and the idle figure measures heartbeats on their own).
 */
export const ROUND_POLICY: CoordinationPolicy = {
  timeouts: BENCH_TIMEOUTS,
  heartbeat: { intervalMs: 60_000 },
};

/** The policy of the idle-heartbeat tree: the default heartbeat policy (1 s interval). */
export const HEARTBEAT_POLICY: CoordinationPolicy = { timeouts: BENCH_TIMEOUTS };

/** A started tree as a side of the interleaved rounds. */
export interface RuntimeSide extends RoundSide {
  readonly tree: CoordinationTree;
  readonly rootId: string;
  /** How the root settled (`SYNCHRONIZED` unless something degraded while starting). */
  readonly started: string;
}

export interface RuntimeSideOptions {
  readonly label: string;
  readonly policy: CoordinationPolicy;
  /** Passed to createCoordinationTree as `inspect` when set. */
  readonly inspect?: () => void;
}

/** Creates a tree and starts it; resolves once the root has settled. */
export async function buildRuntime(
  spec: NodeSpec,
  options: RuntimeSideOptions,
): Promise<RuntimeSide> {
  const tree = createCoordinationTree({
    root: spec,
    handler: (command, { nodeId }) => leafWork(nodeId, command.name),
    policy: options.policy,
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  const started = await tree.start();
  return {
    label: options.label,
    tree,
    rootId: spec.id,
    started,
    round: async () => {
      const sentBefore = tree.stats.sent;
      const result = await tree.command('bench');
      if (result.status !== 'completed') {
        throw new Error(
          `${options.label}: a round ended ${result.status} (${JSON.stringify(result.counts)})`,
        );
      }
      return tree.stats.sent - sentBefore;
    },
    dispose: async () => {
      await tree.shutdown();
    },
  };
}

/** What an idle tree's heartbeats cost. */
export interface IdleFigures extends CpuFigures {
  /** Heartbeat policy interval, ms. */
  readonly intervalMs: number;
  /** Envelopes sent while idle, per second (pings and their answers). */
  readonly messagesPerSecond: number;
  /** `link` events to `unreachable` while idle: each is a false suspicion. */
  readonly falseSuspicions: number;
  /** Any other link change while idle. */
  readonly otherLinkChanges: number;
  /** The root's state at the end. */
  readonly rootState: string;
}

/**
 * Leaves a started tree idle for `idleMs` and measures the process's CPU over that time as a
 * share of one core, with its `link` events watched for a child going `unreachable`. A full GC
 * first, so that the build's garbage is not collected inside the window. Only `link` events are
 * watched, so the tree builds no event per envelope (watching `events$` would: 3-4 % more of a
 * core at 111 111 nodes).
 */
export async function measureIdle(
  side: RuntimeSide,
  idleMs: number,
  intervalMs: number,
): Promise<IdleFigures> {
  const { tree } = side;
  collect();
  let falseSuspicions = 0;
  let otherLinkChanges = 0;
  const subscription = tree.eventsOf('link').subscribe((event) => {
    if (event.to === 'unreachable') falseSuspicions++;
    else otherLinkChanges++;
  });
  const sentBefore = tree.stats.sent;
  let cpu: CpuFigures;
  try {
    cpu = await measureCpu(() => sleep(idleMs).then(() => undefined));
  } finally {
    subscription.unsubscribe();
  }
  const sent = tree.stats.sent - sentBefore;
  return {
    ...cpu,
    intervalMs,
    messagesPerSecond: Math.round(sent / (cpu.wallMs / 1000)),
    falseSuspicions,
    otherLinkChanges,
    rootState: tree.stateOf(side.rootId),
  };
}
