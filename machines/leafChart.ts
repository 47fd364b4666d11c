/**
 * The node statechart specialised to a leaf, as a pure transition function.
 *
 * A node with no children takes only a few paths through the node statechart: its CONNECTING
 * is over in the same step (nobody to wait for), its decision never changes (no supervisor),
 * so it is never DEGRADED or FAILED, and shutting down needs only its own work drained. This
 * function takes exactly those paths, with the same states, reasons and named actions in the
 * same order, so that the runtime can run a leaf without an actor of its own: a large tree is
 * about nine tenths leaves, and an actor costs kilobytes and tens of microseconds to start.
 * A property test holds it equal to `nodeMachine` run with no children.
 *
 * The runtime still gives a leaf a full node actor where one is wanted: under an inspector,
 * and once the leaf gains a child.
 */
import type { StateValue } from 'xstate';
import type { NodeContext, NodeEvent, NodeInput } from './node.types.js';
import type { CoordinationState, ShutdownMode } from './protocol.js';
import { decide, EMPTY_COUNTS, type Decision } from './supervision.js';

/** A leaf's decision, which never changes: one frozen object shared by every leaf. */
export const LEAF_DECISION: Decision = Object.freeze({
  ...decide(EMPTY_COUNTS, { maxUnavailable: 0, minAvailable: 0 }),
  allReady: true,
});

/** Where a leaf is: the leaf states of the node statechart it can rest in. */
export type LeafStep =
  /** `DISCONNECTED.idle`: created, waiting for its parent's INIT. */
  | 'idle'
  /** `DISCONNECTED.shuttingDown`: SHUTDOWN before any INIT. */
  | 'shuttingDown'
  /** `DISCONNECTED.stopped`: shut down and answered. */
  | 'stopped'
  /** `SYNCHRONIZED.active`. */
  | 'active'
  /** `SYNCHRONIZED.draining`: SHUTDOWN while synchronized. */
  | 'draining';

/** A leaf's state and the parts of the node statechart's context a leaf uses. */
export interface LeafSnapshot {
  readonly step: LeafStep;
  /** Why the leaf is where it is, in words (the statechart's `reason`). */
  readonly reason: string;
  /** Budget of the last INIT that opened CONNECTING, in ms. */
  readonly initBudgetMs: number;
  /** The shutdown asked for by the parent, if any. */
  readonly shutdown: { readonly mode: ShutdownMode; readonly timeoutMs: number } | null;
}

/**
 * What a leaf accepts: its parent's INIT and SHUTDOWN, the runtime's `shutdown.done`, and
 * `shutdown.timeout`, the statechart's `after: shutdownTimeout` delay expiring.
 */
export type LeafEvent =
  | Extract<NodeEvent, { type: 'parent.init' | 'parent.shutdown' | 'shutdown.done' }>
  | { readonly type: 'shutdown.timeout' };

/**
 * A named action of the node statechart, or the delay it arms and cancels. `armShutdownTimer`
 * asks for `shutdown.timeout` after the snapshot's `shutdown.timeoutMs`.
 */
export type LeafAction =
  | { readonly type: 'announce'; readonly state: CoordinationState; readonly reason: string }
  | {
      readonly type:
        | 'resetLinks'
        | 'beginShutdown'
        | 'forceShutdown'
        | 'reportShutdownComplete'
        | 'armShutdownTimer'
        | 'cancelShutdownTimer';
    };

/** One step: the snapshot after it and the actions to run, in order. */
export type LeafTransition = readonly [LeafSnapshot, readonly LeafAction[]];

/** The coordination state of a leaf step. */
export function leafState(step: LeafStep): CoordinationState {
  return step === 'active' || step === 'draining' ? 'SYNCHRONIZED' : 'DISCONNECTED';
}

/** The node statechart's state value for a leaf step. */
export function leafStateValue(step: LeafStep): StateValue {
  return { [leafState(step) === 'SYNCHRONIZED' ? 'SYNCHRONIZED' : 'DISCONNECTED']: step };
}

/**
 * The node statechart's context for a leaf of `input` at `snapshot`: what a node actor that
 * takes the leaf over starts from.
 */
export function leafNodeContext(input: NodeInput, snapshot: LeafSnapshot): NodeContext {
  return {
    nodeId: input.shape.id,
    parentId: input.parentId,
    policy: input.policy,
    children: {},
    childCount: 0,
    supervisor: null,
    decision: LEAF_DECISION,
    reason: snapshot.reason,
    initBudgetMs: snapshot.initBudgetMs,
    initAttempt: 0,
    recoveryAttempt: 0,
    shutdown: snapshot.shutdown,
    initPending: false,
  };
}

const NONE: readonly LeafAction[] = Object.freeze([]);
const act = (...actions: LeafAction[]): readonly LeafAction[] => Object.freeze(actions);

const ENTER: readonly LeafAction[] = act({
  type: 'announce',
  state: 'DISCONNECTED',
  reason: 'created',
});
const CONNECT: readonly LeafAction[] = act(
  { type: 'resetLinks' },
  { type: 'announce', state: 'CONNECTING', reason: 'INIT from parent' },
  { type: 'announce', state: 'SYNCHRONIZED', reason: 'leaf ready' },
);
const SHUT: readonly LeafAction[] = act({ type: 'beginShutdown' }, { type: 'armShutdownTimer' });

/** The actions of leaving a shutdown for `stopped`, by how and from where. */
function stopping(outcome: 'done' | 'timeout', from: 'shuttingDown' | 'draining') {
  const reason = outcome === 'done' ? 'shutdown complete' : 'shutdown deadline passed';
  const actions: LeafAction[] = [
    outcome === 'done' ? { type: 'cancelShutdownTimer' } : { type: 'forceShutdown' },
  ];
  // Leaving SYNCHRONIZED enters DISCONNECTED, which announces itself.
  if (from === 'draining') actions.push({ type: 'announce', state: 'DISCONNECTED', reason });
  actions.push({ type: 'reportShutdownComplete' });
  return { reason, actions: act(...actions) };
}

const STOPPING = {
  done: { shuttingDown: stopping('done', 'shuttingDown'), draining: stopping('done', 'draining') },
  timeout: {
    shuttingDown: stopping('timeout', 'shuttingDown'),
    draining: stopping('timeout', 'draining'),
  },
} as const;

/** A leaf as its statechart starts: `DISCONNECTED.idle`, announced. */
export function initialLeaf(initBudgetMs: number): LeafTransition {
  return [{ step: 'idle', reason: 'created', initBudgetMs, shutdown: null }, ENTER];
}

/** The node statechart's step for a leaf: what `event` does in `snapshot`. */
export function leafTransition(snapshot: LeafSnapshot, event: LeafEvent): LeafTransition {
  const { step } = snapshot;
  switch (event.type) {
    case 'parent.init':
      if (step !== 'idle') return [snapshot, NONE];
      return [
        { ...snapshot, step: 'active', reason: 'leaf ready', initBudgetMs: event.timeoutMs },
        CONNECT,
      ];
    case 'parent.shutdown':
      if (step !== 'idle' && step !== 'active') return [snapshot, NONE];
      return [
        {
          ...snapshot,
          step: step === 'idle' ? 'shuttingDown' : 'draining',
          shutdown: { mode: event.mode, timeoutMs: event.timeoutMs },
        },
        SHUT,
      ];
    case 'shutdown.done':
    case 'shutdown.timeout': {
      if (step !== 'shuttingDown' && step !== 'draining') return [snapshot, NONE];
      const { reason, actions } =
        STOPPING[event.type === 'shutdown.done' ? 'done' : 'timeout'][step];
      return [{ ...snapshot, step: 'stopped', reason }, actions];
    }
  }
}
