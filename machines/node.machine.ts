/**
 * The node statechart: a coordinator of its children and a participant under its parent.
 *
 * The coordinator side has exactly the five protocol states and the ten table transitions.
 * The participant side is the handling of `parent.*` events (INIT, SHUTDOWN) and the replies
 * its named actions send. Per-message work that changes no state (acks, heartbeats, command
 * fan-out and completion counting) never reaches the statechart: the runtime's endpoint does it
 * and sends the machine only the events that matter.
 *
 * Every effect is a named action, actor or delay; `src/` provides the real ones through
 * `machine.provide()`. The defaults here are inert so the chart can be run and tested alone.
 */
import { assign, fromPromise, sendTo, setup, stopChild, type AnyActorRef } from 'xstate';
import {
  initRetryDelay,
  backoffDelay,
  type AnnounceParams,
  type NodeContext,
  type NodeEvent,
  type NodeInput,
} from './node.types.js';
import { LEAF_DECISION } from './leafChart.js';
import { decide, EMPTY_COUNTS, type Decision } from './supervision.js';
import { supervisorMachine } from './supervisor.machine.js';

const initialDecision = (childCount: number): Decision =>
  childCount === 0
    ? LEAF_DECISION
    : { ...decide(EMPTY_COUNTS, { maxUnavailable: 0, minAvailable: 0 }), allReady: false };

/** A leaf's child actors: none, and the same frozen object for every leaf. */
const NO_CHILD_ACTORS: Record<string, AnyActorRef> = Object.freeze({});

/** What every new CONNECTING starts from: no INIT round yet, none pending, nobody ready. */
const connecting = (context: NodeContext) =>
  ({
    initAttempt: 0,
    initPending: false,
    decision: initialDecision(context.childCount),
  }) as const;

/** The INIT budget an event carries (a parent's INIT), or the one the node has. */
const initBudgetOf = ({ context, event }: { context: NodeContext; event: NodeEvent }): number =>
  event.type === 'parent.init' ? event.timeoutMs : context.initBudgetMs;

const notShuttingDown = ({ context }: { context: NodeContext }): boolean =>
  context.shutdown === null;

/**
 * Shutting down, from any state that had children to shut: wait for the endpoint's
 * `shutdown.done` or force it at the deadline, then stop (answering the parent). The same
 * sub-state serves as `SYNCHRONIZED.draining`, `DEGRADED.draining` and
 * `DISCONNECTED.shuttingDown`.
 */
const shuttingDown = {
  entry: 'beginShutdown',
  after: {
    shutdownTimeout: {
      target: '#node.DISCONNECTED.stopped',
      actions: [
        'forceShutdown',
        { type: 'setReason', params: { reason: 'shutdown deadline passed' } },
      ],
    },
  },
  on: {
    'shutdown.done': {
      target: '#node.DISCONNECTED.stopped',
      actions: { type: 'setReason', params: { reason: 'shutdown complete' } },
    },
    // Already shutting down: a second SHUTDOWN neither restarts it nor moves its deadline.
    'parent.shutdown': {},
  },
} as const;

/** The node statechart. */
export const nodeMachine = setup({
  types: {
    context: {} as NodeContext,
    events: {} as NodeEvent,
    input: {} as NodeInput,
  },
  actors: {
    supervisor: supervisorMachine,
    /** Cleans up after a failure (aborts in-flight work); provided by `src/`. */
    cleanup: fromPromise<void, { nodeId: string }>(async () => {}),
    /** Placeholder: `src/` provides the node machine itself so nodes spawn nodes. */
    node: fromPromise<void, NodeInput>(async () => {}),
    /** Placeholder: `src/` provides the proxy of a child that runs in another process. */
    remote: fromPromise<void, NodeInput>(async () => {}),
  },
  delays: {
    initTimeout: ({ context }) => context.initBudgetMs,
    initRetryDelay: ({ context }) => initRetryDelay(context.policy, context.initAttempt),
    recoveryDelay: ({ context }) => backoffDelay(context.policy, context.recoveryAttempt),
    shutdownTimeout: ({ context }) => context.shutdown?.timeoutMs ?? 0,
  },
  guards: {
    allChildrenReady: ({ context }) => context.decision.allReady,
    hasChildren: ({ context }) => context.childCount > 0,
    someChildUnavailable: ({ context }) => context.decision.recoverable,
    decidedFailed: ({ context }) =>
      notShuttingDown({ context }) && context.decision.state === 'FAILED',
    decidedDegraded: ({ context }) =>
      notShuttingDown({ context }) && context.decision.state === 'DEGRADED',
    decidedSynchronized: ({ context }) =>
      notShuttingDown({ context }) && context.decision.state === 'SYNCHRONIZED',
    shutdownRequested: ({ context }) => context.shutdown !== null,
    initPending: ({ context }) => context.initPending,
  },
  actions: {
    // Effects, provided by src/ (inert here).
    /** Tells the runtime this actor (and its supervisor) now stands for the node. */
    attach: () => {},
    /** The node entered a coordination state: record, publish, answer the parent. */
    announce: (_, _params: AnnounceParams) => {},
    /** A new CONNECTING began: every link is pending again. */
    resetLinks: () => {},
    /** Send COORD_INIT to every child not yet ready. */
    sendInit: () => {},
    /** Re-INIT every unavailable child (a recovery round). */
    restartUnavailable: () => {},
    /** Begin a shutdown: stop taking commands, shut children, drain or abort work. */
    beginShutdown: () => {},
    /** The shutdown deadline passed: abort what is left. */
    forceShutdown: () => {},
    /** Answer the parent's SHUTDOWN with COMPLETE. */
    reportShutdownComplete: () => {},
    /** The supervisor decided. */
    reportDecision: () => {},
    /** A child was spawned at run time (`tree.spawnChild`): count its link. */
    linkAdded: () => {},
    /** A child was stopped at run time (`tree.stopChild`): uncount its link if forgotten. */
    linkRemoved: () => {},

    // Pure bookkeeping.
    adoptDecision: assign({
      decision: ({ context, event }) =>
        event.type === 'supervisor.decision' ? event.decision : context.decision,
    }),
    adoptInit: assign({ initBudgetMs: initBudgetOf }),
    /**
     * The parent's INIT opens CONNECTING: its budget, the reason and a fresh attempt, in one
     * assign (each assign re-derives the snapshot: a large share of a big tree's start).
     */
    openOnInit: assign((args) => ({
      ...connecting(args.context),
      initBudgetMs: initBudgetOf(args),
      reason: 'INIT from parent',
    })),
    /** An INIT that arrived while FAILED opens CONNECTING once cleaned up. */
    openOnPendingInit: assign(({ context }) => ({
      ...connecting(context),
      reason: 'INIT received while failed',
    })),
    adoptShutdown: assign({
      shutdown: ({ context, event }) =>
        event.type === 'parent.shutdown'
          ? { mode: event.mode, timeoutMs: event.timeoutMs }
          : context.shutdown,
    }),
    countInitAttempt: assign({ initAttempt: ({ context }) => context.initAttempt + 1 }),
    resetRecovery: assign({ recoveryAttempt: 0 }),
    countRecoveryAttempt: assign({ recoveryAttempt: ({ context }) => context.recoveryAttempt + 1 }),
    setReason: assign((_, params: { reason: string }) => ({ reason: params.reason })),
    reasonFromDecision: assign({ reason: ({ context }) => context.decision.reason }),
    reasonReady: assign({
      reason: ({ context }) => (context.childCount === 0 ? 'leaf ready' : 'all children ready'),
    }),
    markInitPending: assign({ initPending: true }),
    requestRestart: sendTo(({ context }) => context.supervisor!, { type: 'restart.request' }),
    spawnChild: assign(({ context, event, spawn }) => {
      if (event.type !== 'tree.spawnChild') return {};
      const { shape } = event;
      const children =
        shape.inline === true
          ? context.children
          : {
              ...context.children,
              [shape.id]: spawn(shape.remote === true ? 'remote' : 'node', {
                id: shape.id,
                systemId: shape.id,
                input: { shape, parentId: context.nodeId, policy: context.policy },
              }),
            };
      return {
        children,
        childCount: context.childCount + (event.rejoin ? 0 : 1),
        supervisor:
          context.supervisor ??
          spawn('supervisor', {
            id: `${context.nodeId}/supervisor`,
            input: {
              nodeId: context.nodeId,
              degradation: context.policy.degradation,
              restartBudget: context.policy.restartBudget,
            },
          }),
      };
    }),
    stopChildActor: stopChild(({ context, event }) =>
      event.type === 'tree.stopChild' ? (context.children[event.childId] ?? '') : '',
    ),
    forgetChildActor: assign(({ context, event }) => {
      if (event.type !== 'tree.stopChild') return {};
      // A killed child has no actor left but still counts until it is forgotten.
      const { [event.childId]: _stopped, ...rest } = context.children;
      return { children: rest, childCount: context.childCount - (event.forget ? 1 : 0) };
    }),
  },
}).createMachine({
  id: 'node',
  context: ({ input, spawn }) => {
    const kids = input.shape.children ?? [];
    const children: Record<string, AnyActorRef> = kids.length === 0 ? NO_CHILD_ACTORS : {};
    for (const shape of kids) {
      if (shape.inline === true) continue; // the runtime runs it
      children[shape.id] = spawn(shape.remote === true ? 'remote' : 'node', {
        id: shape.id,
        systemId: shape.id,
        input: { shape, parentId: input.shape.id, policy: input.policy },
      });
    }
    return {
      nodeId: input.shape.id,
      parentId: input.parentId,
      policy: input.policy,
      children,
      childCount: kids.length,
      supervisor:
        kids.length === 0
          ? null
          : spawn('supervisor', {
              id: `${input.shape.id}/supervisor`,
              input: {
                nodeId: input.shape.id,
                degradation: input.policy.degradation,
                restartBudget: input.policy.restartBudget,
              },
            }),
      decision: initialDecision(kids.length),
      reason: 'created',
      initBudgetMs: input.policy.initTimeoutMs,
      initAttempt: 0,
      recoveryAttempt: 0,
      shutdown: null,
      initPending: false,
    };
  },
  entry: 'attach',
  on: {
    'tree.spawnChild': { actions: ['spawnChild', 'attach', 'linkAdded'] },
    'tree.stopChild': { actions: ['stopChildActor', 'forgetChildActor', 'linkRemoved'] },
    'supervisor.decision': { actions: ['adoptDecision', 'reportDecision'] },
  },
  initial: 'DISCONNECTED',
  states: {
    DISCONNECTED: {
      entry: { type: 'announce', params: { state: 'DISCONNECTED' } },
      initial: 'idle',
      states: {
        idle: {
          always: [
            { guard: 'shutdownRequested', target: 'shuttingDown' },
            { guard: 'initPending', target: '#node.CONNECTING', actions: 'openOnPendingInit' },
          ],
          on: {
            'parent.init': {
              target: '#node.CONNECTING',
              actions: 'openOnInit',
            },
            'parent.shutdown': { target: 'shuttingDown', actions: 'adoptShutdown' },
          },
        },
        shuttingDown,
        stopped: { entry: 'reportShutdownComplete' },
      },
    },
    CONNECTING: {
      // Entered only by `openOnInit` or `openOnPendingInit`, which start the attempt.
      entry: ['resetLinks', { type: 'announce', params: { state: 'CONNECTING' } }],
      always: {
        guard: 'allChildrenReady',
        target: 'SYNCHRONIZED',
        actions: 'reasonReady',
      },
      on: {
        'supervisor.decision': { actions: ['adoptDecision', 'reportDecision'] },
        'parent.init': { actions: 'adoptInit' },
        'parent.shutdown': {
          target: 'FAILED',
          actions: [
            'adoptShutdown',
            { type: 'setReason', params: { reason: 'shutdown during init' } },
          ],
        },
      },
      initial: 'starting',
      states: {
        // A leaf waits for nobody: it is ready at once (the `always` above) and never enters a
        // state with a timer. Scheduling and cancelling two delayed events per leaf cost about
        // a tenth of a large tree's start.
        starting: { always: { guard: 'hasChildren', target: 'waiting' } },
        // The children have `initTimeout` in all to answer INIT, resent while they do not.
        waiting: {
          after: {
            initTimeout: {
              target: '#node.FAILED',
              actions: { type: 'setReason', params: { reason: 'init timeout' } },
            },
          },
          initial: 'initializing',
          states: {
            // The attempt counts on the transition: a state's `after` delays are computed on
            // entry, before its entry actions run.
            initializing: {
              entry: 'sendInit',
              after: { initRetryDelay: { target: 'retrying', actions: 'countInitAttempt' } },
            },
            retrying: {
              entry: 'sendInit',
              after: {
                initRetryDelay: { target: 'retrying', reenter: true, actions: 'countInitAttempt' },
              },
            },
          },
        },
      },
    },
    SYNCHRONIZED: {
      entry: { type: 'announce', params: { state: 'SYNCHRONIZED' } },
      always: [
        { guard: 'decidedFailed', target: 'FAILED', actions: 'reasonFromDecision' },
        { guard: 'decidedDegraded', target: 'DEGRADED', actions: 'reasonFromDecision' },
      ],
      on: {
        'parent.shutdown': { target: '.draining', actions: 'adoptShutdown' },
      },
      initial: 'active',
      states: {
        active: {},
        draining: shuttingDown,
      },
    },
    DEGRADED: {
      entry: ['resetRecovery', { type: 'announce', params: { state: 'DEGRADED' } }],
      always: [
        { guard: 'decidedFailed', target: 'FAILED', actions: 'reasonFromDecision' },
        { guard: 'decidedSynchronized', target: 'SYNCHRONIZED', actions: 'reasonFromDecision' },
      ],
      on: {
        'parent.shutdown': { target: '.draining', actions: 'adoptShutdown' },
      },
      initial: 'backoff',
      states: {
        // Recovery rounds run only while some child is unavailable: a node DEGRADED because a
        // child is DEGRADED has nothing to restart and must not spend its restart budget.
        backoff: {
          after: { recoveryDelay: { guard: 'someChildUnavailable', target: 'restarting' } },
          on: {
            'supervisor.decision': {
              target: 'backoff',
              reenter: true,
              actions: ['adoptDecision', 'reportDecision'],
            },
          },
        },
        restarting: {
          entry: 'requestRestart',
          on: {
            'supervisor.restartGranted': {
              target: 'backoff',
              actions: ['restartUnavailable', 'countRecoveryAttempt'],
            },
          },
        },
        draining: shuttingDown,
      },
    },
    FAILED: {
      entry: { type: 'announce', params: { state: 'FAILED' } },
      invoke: {
        src: 'cleanup',
        input: ({ context }) => ({ nodeId: context.nodeId }),
        onDone: {
          target: 'DISCONNECTED',
          actions: { type: 'setReason', params: { reason: 'cleaned up after failure' } },
        },
        onError: {
          target: 'DISCONNECTED',
          actions: { type: 'setReason', params: { reason: 'cleanup failed' } },
        },
      },
      on: {
        'parent.init': { actions: ['adoptInit', 'markInitPending'] },
        'parent.shutdown': { actions: 'adoptShutdown' },
      },
    },
  },
});
