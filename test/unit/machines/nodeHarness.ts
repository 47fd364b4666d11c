/**
 * A node statechart on simulated time with every effect recorded: what the runtime would be
 * asked to do, when, and what the node's context said at that moment. Cleanups are held until a
 * test settles them, and child nodes are inert actors that record their input.
 */
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import {
  EMPTY_COUNTS,
  nodeMachine,
  type Decision,
  type NodeContext,
  type NodeEvent,
  type NodeInput,
  type NodeShape,
} from '../../../machines/index.js';
import { machineTestPolicy } from '../../helpers/machinePolicy.js';

/** The shared machine test policy. */
export const policy = machineTestPolicy;

/** One effect the node asked for. */
export interface Effect {
  readonly effect: string;
  /** Simulated time, ms. */
  readonly at: number;
  /** The node's reason at that moment. */
  readonly reason: string;
  /** The state announced, for `announce`. */
  readonly state?: string;
}

interface PendingCleanup {
  readonly input: { readonly nodeId: string };
  resolve(): void;
  reject(error: Error): void;
}

/** Lets promise callbacks (a settled cleanup) reach the actor. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A supervisor decision as the node receives it. */
export function decision(
  state: Decision['state'],
  fields: Partial<Omit<Decision, 'state'>> = {},
): NodeEvent {
  return {
    type: 'supervisor.decision',
    decision: {
      state,
      allReady: fields.allReady ?? state === 'SYNCHRONIZED',
      recoverable: fields.recoverable ?? false,
      reason: fields.reason ?? `decided ${state}`,
    },
    counts: EMPTY_COUNTS,
  };
}

/** Starts a node of `shape` (default: a leaf) under parent `p`. */
export function startNode(shape: NodeShape = { id: 'leaf' }, nodePolicy = policy) {
  const clock = new SimulatedClock();
  let timersSet = 0;
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, timeout) => {
    timersSet++;
    return setTimeout(fn, timeout);
  };
  const effects: Effect[] = [];
  const contexts: Record<string, NodeContext[]> = {};
  const cleanups: PendingCleanup[] = [];
  const spawned: NodeInput[] = [];
  const record =
    (effect: string) =>
    ({ context }: { context: NodeContext }): void => {
      effects.push({ effect, at: clock.now(), reason: context.reason });
      (contexts[effect] ??= []).push(context);
    };
  const machine = nodeMachine.provide({
    actions: {
      attach: record('attach'),
      announce: ({ context }, params) =>
        void effects.push({
          effect: 'announce',
          at: clock.now(),
          reason: context.reason,
          state: params.state,
        }),
      resetLinks: record('resetLinks'),
      sendInit: record('sendInit'),
      restartUnavailable: record('restartUnavailable'),
      beginShutdown: record('beginShutdown'),
      forceShutdown: record('forceShutdown'),
      reportShutdownComplete: record('reportShutdownComplete'),
      reportDecision: record('reportDecision'),
      linkAdded: record('linkAdded'),
      linkRemoved: record('linkRemoved'),
    },
    actors: {
      cleanup: fromPromise<void, { nodeId: string }>(
        ({ input }) =>
          new Promise<void>((resolve, reject) => cleanups.push({ input, resolve, reject })),
      ),
      node: fromPromise<void, NodeInput>(({ input }) => {
        spawned.push(input);
        return new Promise<void>(() => {});
      }),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: { shape, parentId: 'p', policy: nodePolicy },
  }).start();
  const snapshot = () => actor.getSnapshot();
  return {
    actor,
    clock,
    effects,
    contexts,
    cleanups,
    spawned,
    snapshot,
    value: () => snapshot().value,
    /** Timers the node has set on its clock (its `after` delays). */
    timersSet: () => timersSet,
    reason: () => snapshot().context.reason,
    send: (event: NodeEvent) => actor.send(event),
    /** Advances simulated time 1 ms at a time, so that each timer fires at its own time. */
    advance(ms: number): void {
      for (let i = 0; i < ms; i++) clock.increment(1);
    },
    /** Times at which `effect` was asked for. */
    times: (effect: string) => effects.filter((e) => e.effect === effect).map((e) => e.at),
    /** The states announced, in order, with the reason given. */
    announced: () =>
      effects.filter((e) => e.effect === 'announce').map((e) => `${e.state}: ${e.reason}`),
    /** Settles the latest cleanup and lets its answer reach the node. */
    async finishCleanup(error?: Error): Promise<void> {
      const cleanup = cleanups.at(-1)!;
      if (error === undefined) cleanup.resolve();
      else cleanup.reject(error);
      await flush();
    },
  };
}

/** A coordinator `n` with children `a` and `b`. */
export const coordinator: NodeShape = { id: 'n', children: [{ id: 'a' }, { id: 'b' }] };
