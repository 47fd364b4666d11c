/**
 * Raw XState, the naive way: the same tree as spawned XState v5 actors exchanging COMMAND
 * down and ACK + COMPLETE up, with no protocol (no INIT, no heartbeats, no supervision, no
 * deduplication, no deadlines).
 *
 * Each node spawns all of its children in one `assign` on entry (spawning them one
 * `spawnChild` at a time copies the children map per spawn, which is quadratic in fan-out).
 * A node in `idle` that receives COMMAND answers ACK to its parent; a coordinator forwards
 * the COMMAND to each child (`sendTo`) and waits in `waiting`, counting ACKs and COMPLETEs in
 * its context, and once every child completed sends its own COMPLETE up; a leaf goes through
 * `executing`, runs the leaf work there, and answers COMPLETE with the result. The tree's root
 * answers a client actor, which stands where fractal-coord's API does.
 */
import {
  assign,
  createActor,
  enqueueActions,
  sendParent,
  setup,
  type ActorRefFrom,
  type AnyActorRef,
  type AnyStateMachine,
} from 'xstate';
import type { NodeSpec } from '../src/index.js';
import type { RoundSide } from './measure.js';
import { leafWork } from './trees.js';

type RawEvent =
  | { type: 'COMMAND'; id: number; name: string }
  | { type: 'ACK'; id: number }
  | { type: 'COMPLETE'; id: number; result?: unknown };

interface RawNodeContext {
  readonly spec: NodeSpec;
  readonly children: AnyActorRef[];
  readonly commandId: number;
  readonly commandName: string;
  readonly acks: number;
  readonly completed: number;
  readonly result: unknown;
}

/** Messages sent by every raw tree so far (rounds never overlap, so a delta is one round's). */
const counter = { sent: 0 };

const rawNode = setup({
  types: {
    context: {} as RawNodeContext,
    input: {} as { spec: NodeSpec },
    events: {} as RawEvent,
  },
  guards: {
    isLeaf: ({ context }) => context.children.length === 0,
    allCompleted: ({ context }) => context.completed === context.children.length,
  },
  actions: {
    spawnChildren: assign({
      // All children in one assign: one copy of the children map, not one per child.
      children: ({ context, spawn }): AnyActorRef[] =>
        (context.spec.children ?? []).map((child) =>
          spawn(rawNodeLogic(), { input: { spec: child } }),
        ),
    }),
    take: assign({
      commandId: ({ event }) => (event.type === 'COMMAND' ? event.id : -1),
      commandName: ({ event }) => (event.type === 'COMMAND' ? event.name : ''),
      acks: 0,
      completed: 0,
    }),
    ackParent: enqueueActions(({ context, enqueue }) => {
      counter.sent++;
      enqueue(sendParent({ type: 'ACK', id: context.commandId }));
    }),
    forward: enqueueActions(({ context, enqueue }) => {
      const command = {
        type: 'COMMAND' as const,
        id: context.commandId,
        name: context.commandName,
      };
      counter.sent += context.children.length;
      for (const child of context.children) enqueue.sendTo(child, command);
    }),
    execute: assign({
      result: ({ context }) => leafWork(context.spec.id, context.commandName),
    }),
    completeParent: enqueueActions(({ context, enqueue }) => {
      counter.sent++;
      enqueue(sendParent({ type: 'COMPLETE', id: context.commandId, result: context.result }));
    }),
    countAck: assign({ acks: ({ context }) => context.acks + 1 }),
    countComplete: assign({ completed: ({ context }) => context.completed + 1 }),
  },
}).createMachine({
  id: 'rawNode',
  context: ({ input }) => ({
    spec: input.spec,
    children: [],
    commandId: -1,
    commandName: '',
    acks: 0,
    completed: 0,
    result: undefined,
  }),
  entry: 'spawnChildren',
  initial: 'idle',
  states: {
    idle: {
      on: {
        COMMAND: [
          { guard: 'isLeaf', target: 'executing', actions: ['take', 'ackParent'] },
          { target: 'waiting', actions: ['take', 'ackParent', 'forward'] },
        ],
      },
    },
    executing: {
      entry: 'execute',
      always: { target: 'idle', actions: 'completeParent' },
    },
    waiting: {
      on: {
        ACK: { actions: 'countAck' },
        COMPLETE: { actions: 'countComplete' },
      },
      always: { guard: 'allCompleted', target: 'idle', actions: 'completeParent' },
    },
  },
});

/** The node machine spawns itself for its children; a function defers the reference. */
function rawNodeLogic(): AnyStateMachine {
  return rawNode;
}

/** The client: sends a command to the root and is told when the root completed it. */
const rawClient = setup({
  types: {
    context: {} as {
      readonly root: ActorRefFrom<typeof rawNode>;
      readonly onComplete: (id: number) => void;
    },
    input: {} as { spec: NodeSpec; onComplete: (id: number) => void },
    events: {} as RawEvent,
  },
}).createMachine({
  id: 'rawClient',
  context: ({ input, spawn }) => ({
    root: spawn(rawNode, { input: { spec: input.spec } }),
    onComplete: input.onComplete,
  }),
  on: {
    COMMAND: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        counter.sent++;
        enqueue.sendTo(context.root, event);
      }),
    },
    COMPLETE: { actions: ({ context, event }) => context.onComplete(event.id) },
  },
});

/**
 * Builds the raw XState tree. Spawning is synchronous, so the build is complete when the
 * client actor has started.
 */
export function buildRawXState(spec: NodeSpec): Promise<RoundSide> {
  let waiting: { id: number; resolve: () => void } | undefined;
  const client = createActor(rawClient, {
    input: {
      spec,
      onComplete: (id) => {
        if (waiting?.id !== id) throw new Error(`raw XState: unexpected COMPLETE of ${id}`);
        const { resolve } = waiting;
        waiting = undefined;
        resolve();
      },
    },
  });
  client.start();
  let nextId = 0;
  return Promise.resolve({
    label: 'raw XState',
    round: async () => {
      const id = ++nextId;
      const sentBefore = counter.sent;
      await new Promise<void>((resolve) => {
        waiting = { id, resolve };
        client.send({ type: 'COMMAND', id, name: 'bench' });
      });
      return counter.sent - sentBefore;
    },
    dispose: () => {
      client.stop();
      return Promise.resolve();
    },
  });
}
