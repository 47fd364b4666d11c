/**
 * The supervisor of one coordinator: it receives its children's link changes, keeps counts
 * (O(1) per change, never a scan), applies the degradation policy and tells its node the
 * decision whenever it changes. It also owns the restart budget: at most `maxRestarts`
 * recovery rounds within a sliding `windowMs`, OTP-style; past it the decision is FAILED.
 */
import { assign, raise, sendParent, setup } from 'xstate';
import {
  applyLinkChange,
  applyLinkChanges,
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

/** One child's link changed (`from: null` added, `to: null` removed). */
export interface LinkChange {
  readonly childId: string;
  readonly from: LinkState | null;
  readonly to: LinkState | null;
  readonly critical: boolean;
}

/** Events a supervisor accepts. */
export type SupervisorEvent =
  | ({ readonly type: 'link.changed' } & LinkChange)
  /** Several changes at once, in order (the runtime sends a tick's changes together). */
  | { readonly type: 'links.changed'; readonly changes: readonly LinkChange[] }
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
  return { ...decision, state: 'FAILED', reason: 'restart budget exhausted' };
}

function decisionChanged(context: SupervisorContext): boolean {
  const next = effectiveDecision(context);
  return (
    next.state !== context.decision.state ||
    next.allReady !== context.decision.allReady ||
    next.recoverable !== context.decision.recoverable
  );
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
    decisionChanged: ({ context }) => decisionChanged(context),
  },
  actions: {
    applyLinkChange: assign({
      counts: ({ context, event }) => {
        if (event.type === 'link.changed') return applyLinkChange(context.counts, event);
        if (event.type === 'links.changed') return applyLinkChanges(context.counts, event.changes);
        return context.counts;
      },
    }),
    resetLinks: assign(({ context, event }) =>
      event.type === 'links.reset'
        ? {
            counts: event.counts,
            restarts: 0,
            generation: context.generation + 1,
            exhausted: false,
          }
        : {},
    ),
    resetBudget: assign(({ context }) => ({
      restarts: 0,
      generation: context.generation + 1,
      exhausted: false,
    })),
    recordRestart: assign({ restarts: ({ context }) => context.restarts + 1 }),
    scheduleExpiry: raise(
      ({ context }) => ({ type: 'restart.expired' as const, generation: context.generation }),
      { delay: 'restartWindow' },
    ),
    grantRestart: sendParent(({ context }) => ({
      type: 'supervisor.restartGranted',
      restartsInWindow: context.restarts,
    })),
    exhaustBudget: assign({ exhausted: true }),
    expireRestart: assign({ restarts: ({ context }) => Math.max(0, context.restarts - 1) }),
    adoptDecision: assign({ decision: ({ context }) => effectiveDecision(context) }),
    reportDecision: sendParent(({ context }) => ({
      type: 'supervisor.decision',
      decision: context.decision,
      counts: context.counts,
    })),
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
      // Report whenever the decision changed, whatever changed it.
      always: { guard: 'decisionChanged', actions: ['adoptDecision', 'reportDecision'] },
      on: {
        'link.changed': { actions: 'applyLinkChange' },
        'links.changed': { actions: 'applyLinkChange' },
        'links.reset': { actions: 'resetLinks' },
        'budget.reset': { actions: 'resetBudget' },
        'restart.request': [
          { guard: 'budgetLeft', actions: ['recordRestart', 'scheduleExpiry', 'grantRestart'] },
          { actions: 'exhaustBudget' },
        ],
        'restart.expired': { guard: 'currentGeneration', actions: 'expireRestart' },
      },
    },
  },
});
