/**
 * The leaf chart is the node statechart run with no children: the same states, context and
 * named actions, in the same order, for any sequence of the events a leaf gets and any passing
 * of time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  initialLeaf,
  leafStateValue,
  leafTransition,
  nodeMachine,
  type LeafAction,
  type LeafEvent,
  type LeafSnapshot,
  type NodeContext,
  type ShutdownMode,
} from '../../machines/index.js';
import { machineTestPolicy } from '../helpers/machinePolicy.js';
import {
  logSeed,
  propertyRun,
  propertyTimeoutMs,
  seedLabel,
} from './support/machinesPropertyRun.js';

/** One step: an event a leaf's endpoint passes on, or time passing. */
type LeafStepInput =
  Exclude<LeafEvent, { type: 'shutdown.timeout' }> | { readonly type: 'wait'; readonly ms: number };

const leafStepArb: fc.Arbitrary<LeafStepInput> = fc.oneof(
  fc.record({
    type: fc.constant('parent.init' as const),
    epoch: fc.integer({ min: 1, max: 3 }),
    timeoutMs: fc.integer({ min: 1, max: 5_000 }),
  }),
  fc.record({
    type: fc.constant('parent.shutdown' as const),
    mode: fc.constantFrom<ShutdownMode>('drain', 'abort'),
    timeoutMs: fc.integer({ min: 0, max: 500 }),
  }),
  fc.constant({ type: 'shutdown.done' as const }),
  fc.record({ type: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 600 }) }),
);

/**
 * An action as both sides record it, with what the runtime reads for it: the reason of an
 * announcement, the budget links are reset to, the shutdown begun. The chart's timer actions
 * are the machine's `after` delay, seen through time, not recorded.
 */
type Recorded = string;

const shutdownOf = (shutdown: NodeContext['shutdown']): string =>
  shutdown === null ? 'none' : `${shutdown.mode} ${shutdown.timeoutMs}`;

/** The node statechart for a leaf on simulated time, its named actions recorded. */
function machineLeaf(initBudgetMs: number) {
  const clock = new SimulatedClock();
  const recorded: Recorded[] = [];
  const record = (name: string) => (): void => void recorded.push(name);
  const machine = nodeMachine.provide({
    actions: {
      announce: ({ context }, params) => void recorded.push(`${params.state}: ${context.reason}`),
      resetLinks: ({ context }) => void recorded.push(`resetLinks ${context.initBudgetMs}`),
      beginShutdown: ({ context }) =>
        void recorded.push(`beginShutdown ${shutdownOf(context.shutdown)}`),
      forceShutdown: record('forceShutdown'),
      reportShutdownComplete: record('reportShutdownComplete'),
    },
  });
  const policy = { ...machineTestPolicy, initTimeoutMs: initBudgetMs };
  const actor = createActor(machine, {
    clock,
    input: { shape: { id: 'leaf' }, parentId: 'p', policy },
  }).start();
  return {
    recorded,
    apply(step: LeafStepInput): void {
      if (step.type === 'wait') clock.increment(step.ms);
      else actor.send(step);
    },
    snapshot: () => actor.getSnapshot(),
    stop: () => actor.stop(),
  };
}

/** The leaf chart with its shutdown timer kept on a simple simulated clock. */
function chartLeaf(initBudgetMs: number) {
  const recorded: Recorded[] = [];
  let now = 0;
  let due: number | null = null;
  const [first, initial] = initialLeaf(initBudgetMs);
  let snapshot = first;
  const run = (actions: readonly LeafAction[]): void => {
    for (const action of actions) {
      switch (action.type) {
        case 'announce':
          recorded.push(`${action.state}: ${action.reason}`);
          break;
        case 'resetLinks':
          recorded.push(`resetLinks ${snapshot.initBudgetMs}`);
          break;
        case 'armShutdownTimer':
          due = now + (snapshot.shutdown?.timeoutMs ?? 0);
          break;
        case 'cancelShutdownTimer':
          due = null;
          break;
        case 'beginShutdown':
          recorded.push(`beginShutdown ${shutdownOf(snapshot.shutdown)}`);
          break;
        default:
          recorded.push(action.type);
      }
    }
  };
  const take = (event: LeafEvent): void => {
    const [next, actions] = leafTransition(snapshot, event);
    snapshot = next;
    run(actions);
  };
  run(initial);
  return {
    recorded,
    apply(step: LeafStepInput): void {
      if (step.type !== 'wait') return take(step);
      now += step.ms;
      if (due !== null && due <= now) {
        due = null;
        take({ type: 'shutdown.timeout' });
      }
    },
    snapshot: (): LeafSnapshot => snapshot,
  };
}

describe('leafTransition', () => {
  const run = propertyRun();
  it(
    `should take the node statechart's steps for a leaf ${seedLabel(run)}`,
    () => {
      logSeed('leafTransition equivalence', run);
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5_000 }),
          fc.array(leafStepArb, { maxLength: 40 }),
          (initBudgetMs, steps) => {
            // Arrange
            const machine = machineLeaf(initBudgetMs);
            const chart = chartLeaf(initBudgetMs);
            expect(chart.recorded).toEqual(machine.recorded);
            for (const step of steps) {
              // Act
              machine.apply(step);
              chart.apply(step);
              // Assert: the same actions so far, the same state and context
              expect(chart.recorded).toEqual(machine.recorded);
              const { value, context } = machine.snapshot();
              const leaf = chart.snapshot();
              expect(leafStateValue(leaf.step)).toEqual(value);
              expect(leaf.reason).toBe(context.reason);
              expect(leaf.initBudgetMs).toBe(context.initBudgetMs);
              expect(leaf.shutdown).toEqual(context.shutdown);
            }
            machine.stop();
          },
        ),
        run,
      );
    },
    propertyTimeoutMs,
  );
});
