/**
 * Simulated time for runtime tests: a SimulatedClock advanced in small steps, with the
 * transport's deliveries (microtasks, slices) flushed between steps.
 */
import { SimulatedClock } from 'xstate';
import { expect } from 'vitest';
import {
  createCoordinationTree,
  InProcessTransport,
  isAllowedTransitionFor,
  type InProcessTransportOptions,
  type CoordinationPolicy,
  type CoordinationTree,
  type CoordinationTreeOptions,
  type NodeSpec,
  type TransitionEvent,
  type TreeEvent,
} from './imports.js';

/**
 * An in-process transport for simulated-time tests: it slices deliveries by count only, never
 * by real time, so that a slow or loaded machine cannot change what a test sees.
 */
export function simulatedWire(options: InProcessTransportOptions = {}): InProcessTransport {
  return new InProcessTransport({ sliceMs: Number.POSITIVE_INFINITY, ...options });
}

/** Lets every queued delivery, microtask and immediate run. */
export async function flush(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Advances simulated time by `ms` in steps of `stepMs`, flushing deliveries between steps. */
export async function advance(clock: SimulatedClock, ms: number, stepMs = 10): Promise<void> {
  await flush();
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    clock.increment(Math.min(stepMs, ms - elapsed));
    await flush();
  }
}

/** Advances simulated time until `promise` settles (at most `maxMs`), then returns its value. */
export async function settle<T>(
  clock: SimulatedClock,
  promise: Promise<T>,
  maxMs = 120_000,
  stepMs = 10,
): Promise<T> {
  const outcome: { done: boolean; ok: boolean; value?: T; error?: unknown } = {
    done: false,
    ok: false,
  };
  promise.then(
    (value) => Object.assign(outcome, { done: true, ok: true, value }),
    (error: unknown) => Object.assign(outcome, { done: true, ok: false, error }),
  );
  await flush();
  for (let elapsed = 0; !outcome.done && elapsed < maxMs; elapsed += stepMs) {
    clock.increment(stepMs);
    await flush();
  }
  if (!outcome.done) throw new Error(`did not settle within ${maxMs} simulated ms`);
  if (!outcome.ok) throw outcome.error;
  return outcome.value as T;
}

/** Pending timers on a SimulatedClock. */
export function pendingTimers(clock: SimulatedClock): number {
  return (clock as unknown as { timeouts: Map<unknown, unknown> }).timeouts.size;
}

/** The demo-shaped tree of the README: 3 levels, a critical branch. */
export function sampleSpec(): NodeSpec {
  return {
    id: 'root',
    children: [
      { id: 'eu', children: [{ id: 'eu-1' }, { id: 'eu-2' }, { id: 'eu-3' }] },
      { id: 'us', critical: true, children: [{ id: 'us-1' }, { id: 'us-2' }] },
    ],
  };
}

/** Fast policy for tests (simulated ms). */
export const testPolicy: CoordinationPolicy = {
  timeouts: { initMs: 2_000, commandMs: 2_000, ackMs: 500, heartbeatMs: 1_000, shutdownMs: 2_000 },
  heartbeat: { intervalMs: 100, acceptablePauseMs: 300, minStdDevMs: 20 },
  retry: { initialDelayMs: 50, maxDelayMs: 400, jitter: 0 },
};

/** A tree on simulated time with every event recorded and every transition checked. */
export interface TestTree {
  readonly tree: CoordinationTree;
  readonly clock: SimulatedClock;
  readonly events: TreeEvent[];
  /** Leaf executions: `${nodeId}:${commandId}` for each handler run. */
  readonly executions: string[];
  /** Transitions seen, in order. */
  transitions(nodeId?: string): TransitionEvent[];
  /**
   * Fails the test if any observed transition is outside the table, or the conformance monitor
   * (on in test trees) reported any violation.
   */
  expectConformance(): void;
}

/** Builds a tree on a SimulatedClock with the test policy; `options` override. */
export function createTestTree(
  options: Partial<CoordinationTreeOptions> & { readonly spec?: NodeSpec } = {},
): TestTree {
  const clock = new SimulatedClock();
  const events: TreeEvent[] = [];
  const executions: string[] = [];
  const { spec, ...rest } = options;
  const tree = createCoordinationTree({
    root: spec ?? sampleSpec(),
    clock,
    random: () => 0.5,
    policy: testPolicy,
    monitor: true,
    transport: simulatedWire(),
    handler: (command, context) => {
      executions.push(`${context.nodeId}:${command.id}`);
      return `${context.nodeId}:${command.name}`;
    },
    ...rest,
  });
  tree.events$.subscribe((event) => events.push(event));
  return {
    tree,
    clock,
    events,
    executions,
    transitions: (nodeId) =>
      events.filter(
        (e): e is TransitionEvent =>
          e.type === 'transition' && (nodeId === undefined || e.nodeId === nodeId),
      ),
    expectConformance() {
      const bad = events.filter(
        (e): e is TransitionEvent =>
          e.type === 'transition' && !isAllowedTransitionFor(e.from, e.to),
      );
      expect(bad.map((e) => `${e.nodeId}: ${e.from} → ${e.to}`)).toEqual([]);
      expect(events.filter((e) => e.type === 'violation')).toEqual([]);
    },
  };
}
