/**
 * Scripted runs of the node statechart as a real actor on simulated time, with its real
 * supervisor and its (inert) cleanup actor: what the graph's synthetic `xstate.after.*` and
 * `xstate.done.actor.*` events stand for, produced by timers and actors themselves.
 */
import {
  createActor,
  fromPromise,
  SimulatedClock,
  waitFor,
  type Actor,
  type InspectionEvent,
  type StateValue,
} from 'xstate';
import {
  EMPTY_COUNTS,
  nodeMachine,
  type Decision,
  type NodeInput,
} from '../../../machines/index.js';
import { activeStateIds, coordinationStateOf, edgeKey } from './machinesStatechart.js';
import { pathsInput, pathsPolicy } from './pathsNodeGraph.js';

type NodeActor = Actor<typeof nodeMachine>;

/** What a scripted run went through: `event type: FROM→TO` moves and state node ids entered. */
export interface RunTrace {
  readonly moves: Set<string>;
  readonly stateIds: Set<string>;
}

/** Sends a supervisor decision as the supervisor would. */
function sendDecision(
  actor: NodeActor,
  state: Decision['state'],
  allReady: boolean,
  recoverable: boolean,
): void {
  actor.send({
    type: 'supervisor.decision',
    decision: { state, allReady, recoverable, reason: `scripted ${state}` },
    counts: { ...EMPTY_COUNTS, total: 2 },
  });
}

/** Waits (in microtasks, not time) until the cleanup actor has finished. */
const cleanedUp = (actor: NodeActor) => waitFor(actor, (snapshot) => !snapshot.matches('FAILED'));

/** One scripted run: an input, whether cleanup fails, and what to do to the started actor. */
interface Script {
  readonly name: string;
  readonly input: NodeInput;
  readonly cleanupFails?: boolean;
  readonly run: (actor: NodeActor, clock: SimulatedClock) => Promise<void> | void;
}

/** The node machine with a cleanup that fails. */
const failingCleanup = nodeMachine.provide({
  actors: {
    cleanup: fromPromise<void, { nodeId: string }>(() =>
      Promise.reject(new Error('cleanup failed')),
    ),
  },
});

const leaf: NodeInput = { ...pathsInput, shape: { id: 'leaf' } };
const init = { type: 'parent.init', epoch: 1, timeoutMs: pathsPolicy.initTimeoutMs } as const;
const shutdown = { type: 'parent.shutdown', mode: 'drain', timeoutMs: 500 } as const;

/** The scripts: each drives one part of the chart that delays and actors move. */
export const SCRIPTS: readonly Script[] = [
  {
    name: 'INIT rounds, the init timeout, then cleanup',
    input: pathsInput,
    run: async (actor, clock) => {
      actor.send(init);
      clock.increment(pathsPolicy.ackTimeoutMs);
      clock.increment(pathsPolicy.initTimeoutMs);
      await cleanedUp(actor);
    },
  },
  ...[false, true].map((cleanupFails): Script => ({
    name: `INIT while FAILED: reconnect once cleanup ${cleanupFails ? 'failed' : 'finished'}`,
    input: pathsInput,
    cleanupFails,
    run: async (actor, clock) => {
      actor.send(init);
      clock.increment(pathsPolicy.initTimeoutMs);
      actor.send(init);
      await cleanedUp(actor);
    },
  })),
  {
    name: 'recovery rounds until the restart budget is spent, then cleanup',
    input: pathsInput,
    run: async (actor, clock) => {
      actor.send(init);
      sendDecision(actor, 'SYNCHRONIZED', true, false);
      sendDecision(actor, 'DEGRADED', false, true);
      // Each round: the backoff delay, a restart request, the supervisor's grant; one past the
      // budget and the supervisor decides FAILED.
      for (let round = 0; round <= pathsPolicy.restartBudget.maxRestarts; round += 1) {
        clock.increment(pathsPolicy.retryMaxDelayMs);
      }
      await cleanedUp(actor);
    },
  },
  {
    name: 'draining past the deadline from SYNCHRONIZED',
    input: leaf,
    run: (actor, clock) => {
      actor.send(init);
      actor.send(shutdown);
      clock.increment(shutdown.timeoutMs);
    },
  },
  {
    name: 'draining past the deadline from DEGRADED',
    input: pathsInput,
    run: (actor, clock) => {
      actor.send(init);
      sendDecision(actor, 'SYNCHRONIZED', true, false);
      sendDecision(actor, 'DEGRADED', true, false);
      actor.send(shutdown);
      clock.increment(shutdown.timeoutMs);
    },
  },
  {
    name: 'SHUTDOWN during init: cleanup, then shutting down past the deadline',
    input: pathsInput,
    run: async (actor, clock) => {
      actor.send(init);
      actor.send(shutdown);
      await cleanedUp(actor);
      clock.increment(shutdown.timeoutMs);
    },
  },
];

/** Runs one script and records every microstep of the node actor (its children's aside). */
export async function runScript(script: Script): Promise<RunTrace> {
  const trace: RunTrace = { moves: new Set(), stateIds: new Set() };
  const rootId = nodeMachine.root.id;
  let from = coordinationStateOf(nodeMachine.config.initial as string);
  const clock = new SimulatedClock();
  const inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.microstep' || event.actorRef !== actor) return;
    const { value } = event.snapshot as unknown as { value: StateValue };
    const to = coordinationStateOf(value);
    if (to !== from) trace.moves.add(`${event.event.type}: ${edgeKey(from, to)}`);
    for (const id of activeStateIds(rootId, value)) trace.stateIds.add(id);
    from = to;
  };
  const machine = script.cleanupFails ? failingCleanup : nodeMachine;
  const actor: NodeActor = createActor(machine, { clock, input: script.input, inspect });
  actor.start();
  for (const id of activeStateIds(rootId, actor.getSnapshot().value)) trace.stateIds.add(id);
  await script.run(actor, clock);
  actor.stop();
  return trace;
}
