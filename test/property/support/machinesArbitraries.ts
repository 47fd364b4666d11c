/**
 * fast-check arbitraries for the machines: policies, link states, supervisor decisions, node
 * inputs, and the steps of random event sequences.
 */
import fc from 'fast-check';
import {
  decide,
  type Decision,
  type DegradationPolicy,
  type NodeInput,
  type NodeMachinePolicy,
  type RestartBudget,
  type ShutdownMode,
  type LinkState,
} from '../../../machines/index.js';
import { LINK_STATES, scanCounts, type ModelLink } from './machinesLinkModel.js';

/** Degradation policies: a count or a ratio of unavailable children, and a minimum available. */
export const degradationPolicyArb: fc.Arbitrary<DegradationPolicy> = fc.record({
  maxUnavailable: fc.oneof(
    fc.nat({ max: 5 }),
    fc.record({ ratio: fc.double({ min: 0, max: 1, noNaN: true }) }),
  ),
  minAvailable: fc.nat({ max: 5 }),
});

/** Restart budgets: up to 4 restarts within 1 ms to 1 s. */
export const restartBudgetArb: fc.Arbitrary<RestartBudget> = fc.record({
  maxRestarts: fc.nat({ max: 4 }),
  windowMs: fc.integer({ min: 1, max: 1_000 }),
});

/** Any link state. */
export const linkStateArb: fc.Arbitrary<LinkState> = fc.constantFrom(...LINK_STATES);

/** Criticality, one child in four critical. */
const criticalArb = fc.oneof(
  { arbitrary: fc.constant(false), weight: 3 },
  { arbitrary: fc.constant(true), weight: 1 },
);

/** A child link: its state and whether it is critical. */
export const modelLinkArb: fc.Arbitrary<ModelLink> = fc.record({
  state: linkStateArb,
  critical: criticalArb,
});

/**
 * Supervisor decisions: a policy applied to some children (consistent), or any combination of
 * fields at all (the node must stay on the table whatever it is told).
 */
export const decisionArb: fc.Arbitrary<Decision> = fc.oneof(
  fc
    .tuple(fc.array(modelLinkArb, { maxLength: 6 }), degradationPolicyArb)
    .map(([links, policy]) => decide(scanCounts(links), policy)),
  fc.record({
    state: fc.constantFrom('SYNCHRONIZED', 'DEGRADED', 'FAILED'),
    allReady: fc.boolean(),
    recoverable: fc.boolean(),
    reason: fc.constant('arbitrary decision'),
  }),
);

/** Node policies with small delays (ms), so that timers of different kinds interleave. */
export const nodePolicyArb: fc.Arbitrary<NodeMachinePolicy> = fc.record({
  degradation: degradationPolicyArb,
  restartBudget: restartBudgetArb,
  initTimeoutMs: fc.integer({ min: 1, max: 5_000 }),
  ackTimeoutMs: fc.integer({ min: 1, max: 1_000 }),
  retryInitialDelayMs: fc.integer({ min: 1, max: 1_000 }),
  retryFactor: fc.integer({ min: 1, max: 3 }),
  retryMaxDelayMs: fc.integer({ min: 1, max: 4_000 }),
});

/** A node input: a leaf (one in five) or a coordinator of up to four children, some critical. */
export const nodeInputArb: fc.Arbitrary<NodeInput> = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.constant([]), weight: 1 },
      { arbitrary: fc.array(criticalArb, { minLength: 1, maxLength: 4 }), weight: 4 },
    ),
    nodePolicyArb,
  )
  .map(([critical, policy]) => ({
    shape: { id: 'n', children: critical.map((flag, i) => ({ id: `c${i}`, critical: flag })) },
    parentId: 'parent',
    policy,
  }));

/**
 * One step of a random run of the node machine. Most are the events it accepts; `timer` lets
 * the earliest pending delay fire, `wait` lets time pass (up to the next delay, which then
 * fires) and `settle` ends the invoked cleanup actor. Children are picked by index among those
 * the step can mean something for.
 */
export type NodeStep =
  | { readonly kind: 'init'; readonly epoch: number; readonly timeoutMs: number }
  | { readonly kind: 'shutdown'; readonly mode: ShutdownMode; readonly timeoutMs: number }
  | { readonly kind: 'shutdownDone' }
  | { readonly kind: 'decision'; readonly decision: Decision }
  | { readonly kind: 'restartGranted'; readonly restartsInWindow: number }
  | { readonly kind: 'spawnChild'; readonly rejoin: boolean; readonly pick: number }
  | { readonly kind: 'stopChild'; readonly pick: number; readonly forget: boolean }
  | { readonly kind: 'timer' }
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'settle'; readonly ok: boolean };

const timeoutArb = fc.integer({ min: 0, max: 2_000 });

/** A SHUTDOWN from the parent, either mode, with a deadline of up to 2 s. */
export const shutdownStepArb = fc.record({
  kind: fc.constant('shutdown' as const),
  mode: fc.constantFrom<ShutdownMode>('drain', 'abort'),
  timeoutMs: timeoutArb,
});

/**
 * Node steps, weighted towards decisions and timers (what moves a node most); shutdowns are
 * rare, since a node that has stopped stays stopped.
 */
export const nodeStepArb: fc.Arbitrary<NodeStep> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('init'),
      epoch: fc.nat({ max: 3 }),
      timeoutMs: timeoutArb,
    }),
    weight: 4,
  },
  { arbitrary: shutdownStepArb, weight: 1 },
  { arbitrary: fc.constant({ kind: 'shutdownDone' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('decision'), decision: decisionArb }), weight: 12 },
  {
    arbitrary: fc.record({
      kind: fc.constant('restartGranted'),
      restartsInWindow: fc.nat({ max: 4 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('spawnChild'), rejoin: fc.boolean(), pick: fc.nat() }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('stopChild'), pick: fc.nat(), forget: fc.boolean() }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'timer' as const }), weight: 6 },
  {
    arbitrary: fc.record({ kind: fc.constant('wait'), ms: fc.integer({ min: 1, max: 2_000 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('settle'), ok: fc.boolean() }), weight: 2 },
);

/** One operation on a supervisor's children, picked by index where it names one. */
export type SupervisorOp =
  | { readonly op: 'add'; readonly link: ModelLink }
  | { readonly op: 'change'; readonly pick: number; readonly to: LinkState }
  | { readonly op: 'remove'; readonly pick: number }
  | { readonly op: 'reset'; readonly links: readonly ModelLink[] }
  | { readonly op: 'restart' }
  | { readonly op: 'budgetReset' }
  | { readonly op: 'expire' };

/** Supervisor operations, mostly link changes. */
export const supervisorOpArb: fc.Arbitrary<SupervisorOp> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('add'), link: modelLinkArb }), weight: 3 },
  {
    arbitrary: fc.record({ op: fc.constant('change'), pick: fc.nat(), to: linkStateArb }),
    weight: 6,
  },
  { arbitrary: fc.record({ op: fc.constant('remove'), pick: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('reset'),
      links: fc.array(modelLinkArb, { maxLength: 6 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ op: 'restart' as const }), weight: 2 },
  { arbitrary: fc.constant({ op: 'budgetReset' as const }), weight: 1 },
  { arbitrary: fc.constant({ op: 'expire' as const }), weight: 1 },
);
