/**
 * The supervisor of one coordinator: it receives its children's link changes, keeps counts
 * (O(1) per change, never a scan), applies the degradation policy and tells its node the
 * decision whenever it changes. It also owns the restart budget: at most `maxRestarts`
 * recovery rounds within a sliding `windowMs`, OTP-style; past it the decision is FAILED.
 */
import { enqueueActions, raise, sendParent, setup } from 'xstate';
import {
  applyLinkChange,
  decide,
  EMPTY_COUNTS,
  type Decision,
  type DegradationPolicy,
  type LinkCounts,
  type LinkState,
} from './supervision.js';

/** Restart intensity: at most `maxRestarts` recovery rounds within `windowMs` (ms). */
export interface RestartBudget {
  readonly maxRestarts: number;
  readonly windowMs: number;
}

/** What a supervisor is created with. */
export interface SupervisorInput {
  readonly nodeId: string;
  readonly degradation: DegradationPolicy;
  readonly restartBudget: RestartBudget;
}

/** Events a supervisor accepts. */
export type SupervisorEvent =
  | {
      readonly type: 'link.changed';
      readonly childId: string;
      readonly from: LinkState | null;
      readonly to: LinkState | null;
      readonly critical: boolean;
    }
  | { readonly type: 'links.reset'; readonly counts: LinkCounts }
  | { readonly type: 'restart.request' }
  | { readonly type: 'restart.expired'; readonly generation: number }
  | { readonly type: 'budget.reset' };

/** Events a supervisor sends its node. */
export type SupervisorReport =
  | {
      readonly type: 'supervisor.decision';
      readonly decision: Decision;
      readonly counts: LinkCounts;
    }
  | { readonly type: 'supervisor.restartGranted'; readonly restartsInWindow: number };

/** A supervisor's context: counts, the last decision and the restart window. */
export interface SupervisorContext {
  readonly nodeId: string;
  readonly degradation: DegradationPolicy;
  readonly restartBudget: RestartBudget;
  readonly counts: LinkCounts;
  readonly decision: Decision;
  /** Recovery rounds within the current window. */
  readonly restarts: number;
  /** Bumped on every budget reset so that expiries of an older window are ignored. */
  readonly generation: number;
  readonly exhausted: boolean;
}

function effectiveDecision(context: SupervisorContext): Decision {
  const decision = decide(context.counts, context.degradation);
  if (!context.exhausted) return decision;
  return { state: 'FAILED', allReady: decision.allReady, reason: 'restart budget exhausted' };
}

/** The supervisor statechart. */
export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
  },
  delays: {
    restartWindow: ({ context }) => context.restartBudget.windowMs,
  },
  guards: {
    budgetLeft: ({ context }) => context.restarts < context.restartBudget.maxRestarts,
    currentGeneration: ({ context, event }) =>
      event.type === 'restart.expired' && event.generation === context.generation,
  },
  actions: {
    applyLinkChange: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'link.changed') return;
      enqueue.assign({ counts: applyLinkChange(context.counts, event) });
    }),
    resetLinks: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'links.reset') return;
      enqueue.assign({
        counts: event.counts,
        restarts: 0,
        generation: context.generation + 1,
        exhausted: false,
      });
    }),
    resetBudget: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ restarts: 0, generation: context.generation + 1, exhausted: false });
    }),
    recordRestart: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ restarts: context.restarts + 1 });
      enqueue(
        raise(
          { type: 'restart.expired', generation: context.generation },
          { delay: 'restartWindow' },
        ),
      );
      enqueue(
        sendParent({ type: 'supervisor.restartGranted', restartsInWindow: context.restarts + 1 }),
      );
    }),
    exhaustBudget: enqueueActions(({ enqueue }) => {
      enqueue.assign({ exhausted: true });
    }),
    expireRestart: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ restarts: Math.max(0, context.restarts - 1) });
    }),
    reportIfChanged: enqueueActions(({ context, enqueue }) => {
      const next = effectiveDecision(context);
      if (next.state === context.decision.state && next.allReady === context.decision.allReady) {
        return;
      }
      enqueue.assign({ decision: next });
      enqueue(sendParent({ type: 'supervisor.decision', decision: next, counts: context.counts }));
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    nodeId: input.nodeId,
    degradation: input.degradation,
    restartBudget: input.restartBudget,
    counts: EMPTY_COUNTS,
    decision: decide(EMPTY_COUNTS, input.degradation),
    restarts: 0,
    generation: 0,
    exhausted: false,
  }),
  initial: 'supervising',
  states: {
    supervising: {
      on: {
        'link.changed': { actions: ['applyLinkChange', 'reportIfChanged'] },
        'links.reset': { actions: ['resetLinks', 'reportIfChanged'] },
        'budget.reset': { actions: ['resetBudget', 'reportIfChanged'] },
        'restart.request': [
          { guard: 'budgetLeft', actions: 'recordRestart' },
          { actions: ['exhaustBudget', 'reportIfChanged'] },
        ],
        'restart.expired': { guard: 'currentGeneration', actions: 'expireRestart' },
      },
    },
  },
});
