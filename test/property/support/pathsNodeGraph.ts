/**
 * The node statechart's paths, enumerated with `xstate/graph` from a finite set of sample
 * events, and replayed microstep by microstep to find the table edges and state nodes each
 * path goes through.
 */
import { getMicrosteps, getNextTransitions, type AnyEventObject, type SnapshotFrom } from 'xstate';
import {
  adjacencyMapToArray,
  getAdjacencyMap,
  getShortestPaths,
  type StatePath,
} from 'xstate/graph';
import {
  EMPTY_COUNTS,
  nodeMachine,
  type Decision,
  type NodeEvent,
  type NodeInput,
} from '../../../machines/index.js';
import { activeStateIds, coordinationStateOf, edgeKey } from './machinesStatechart.js';
import { machineTestPolicy } from '../../helpers/machinePolicy.js';

type NodeSnapshot = SnapshotFrom<typeof nodeMachine>;

/** The shared machine test policy. */
export const pathsPolicy = machineTestPolicy;

/** A coordinator of two children: a leaf never waits in CONNECTING, so it reaches less. */
export const pathsInput: NodeInput = {
  shape: { id: 'n', children: [{ id: 'a' }, { id: 'b', critical: true }] },
  parentId: 'p',
  policy: pathsPolicy,
};

/** A supervisor decision with this verdict. */
const decision = (
  state: Decision['state'],
  allReady: boolean,
  recoverable: boolean,
): NodeEvent => ({
  type: 'supervisor.decision',
  decision: { state, allReady, recoverable, reason: `sample ${state}` },
  counts: { ...EMPTY_COUNTS, total: 2 },
});

/**
 * The sample events: one of each parent and endpoint event, and the decisions a supervisor
 * can reach (all ready; a child joining; a child DEGRADED; a child down; too many down). The
 * delays' `xstate.after.*` and the cleanup actor's `xstate.done.actor.*` / `xstate.error.actor.*`
 * events need no sample: `eventsFor` adds them by type where a state handles them. `tree.*`
 * events are left out: they change children, and the coordination state only through the
 * supervisor's decisions, which are sampled directly.
 */
export const SAMPLE_EVENTS: readonly NodeEvent[] = [
  { type: 'parent.init', epoch: 1, timeoutMs: 1_000 },
  { type: 'parent.shutdown', mode: 'drain', timeoutMs: 500 },
  { type: 'shutdown.done' },
  { type: 'supervisor.restartGranted', restartsInWindow: 1 },
  decision('SYNCHRONIZED', true, false),
  decision('SYNCHRONIZED', false, false),
  decision('DEGRADED', true, false),
  decision('DEGRADED', false, true),
  decision('FAILED', false, true),
];

/**
 * A snapshot's key for the traversal: its state value, what the guards read (the decision's
 * verdict, a pending shutdown or INIT) and the coordination state it came from, so that every
 * way into a state is a vertex of its own and its shortest path takes that edge. Counters and
 * child refs are left out (they only shape delays), which keeps the graph finite.
 */
function serializeState(snapshot: NodeSnapshot, _event: unknown, previous?: NodeSnapshot): string {
  const { decision: verdict, shutdown, initPending } = snapshot.context;
  return JSON.stringify({
    value: snapshot.value,
    from: previous === undefined ? null : coordinationStateOf(previous.value),
    decision: [verdict.state, verdict.allReady, verdict.recoverable],
    shutdown: shutdown !== null,
    initPending,
  });
}

/**
 * The events to try in a snapshot: for each event type some active state handles, the samples
 * of that type, or the bare `{ type }` of a delay's or an actor's event.
 */
function eventsFor(snapshot: NodeSnapshot): NodeEvent[] {
  const types = new Set(
    getNextTransitions(snapshot).map((transition) => String(transition.eventType)),
  );
  return [...types].flatMap((type) => {
    const samples = SAMPLE_EVENTS.filter((event) => event.type === type);
    if (samples.length > 0) return samples;
    return type.startsWith('xstate.') ? [{ type } as unknown as NodeEvent] : [];
  });
}

/** The traversal options: the coordinator input, the sample events, the key above. */
const traversal = { input: pathsInput, events: eventsFor, serializeState };

/** The shortest path to every vertex of the node machine's graph under the sample events. */
export function enumeratePaths(): StatePath<NodeSnapshot, NodeEvent>[] {
  return getShortestPaths(nodeMachine, traversal);
}

/** Top-level transitions (`FROM→TO`, re-entries included) and state node ids gone through. */
export interface Trace {
  readonly edges: string[];
  readonly stateIds: Set<string>;
  /** `event type: FROM→TO` for each edge, when asked for. */
  readonly moves?: string[];
}

/** Replays one event from a snapshot microstep by microstep, adding what it went through. */
function traceStep(previous: NodeSnapshot, event: NodeEvent, into: Trace): void {
  let from = coordinationStateOf(previous.value);
  for (const [snapshot, actions] of getMicrosteps(nodeMachine, previous, event)) {
    const to = coordinationStateOf(snapshot.value);
    for (const id of activeStateIds(nodeMachine.root.id, snapshot.value)) into.stateIds.add(id);
    // A top-level state re-entered announces itself again: that counts as a move too.
    if (to !== from || actions.some((action) => action.type === 'announce')) {
      into.edges.push(edgeKey(from, to));
      into.moves?.push(`${event.type}: ${edgeKey(from, to)}`);
    }
    from = to;
  }
}

/** What a path goes through, its initial state included. */
export function tracePath(path: StatePath<NodeSnapshot, NodeEvent>): Trace {
  const [first, ...rest] = path.steps;
  const trace: Trace = {
    edges: [],
    stateIds: new Set(first ? activeStateIds(nodeMachine.root.id, first.state.value) : []),
  };
  let previous = first?.state;
  for (const step of rest) {
    if (previous !== undefined) traceStep(previous, step.event, trace);
    previous = step.state;
  }
  return trace;
}

/** Whether an event is raised by a delay or an invoked actor rather than sent from outside. */
export const isInternalEvent = (event: AnyEventObject): boolean => event.type.startsWith('xstate.');

/**
 * What every delay's and actor's event does anywhere in the graph (not only on the shortest
 * paths): the edges it takes (with the event that took each) and the state nodes it enters.
 */
export function internalMoves(): Trace {
  const trace: Trace = { edges: [], stateIds: new Set(), moves: [] };
  const adjacency = getAdjacencyMap<NodeSnapshot, NodeEvent, NodeInput>(nodeMachine, traversal);
  for (const { state, event } of adjacencyMapToArray(adjacency)) {
    if (isInternalEvent(event)) traceStep(state, event, trace);
  }
  return trace;
}
