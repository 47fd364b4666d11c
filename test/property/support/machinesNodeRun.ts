/**
 * A run of the node statechart through its pure transition functions. Delays and the invoked
 * cleanup actor are driven from the actions each transition returns: a delayed `xstate.raise`
 * schedules a timer on the run's own clock, `xstate.cancel` drops it, and an invoked actor is
 * live while the snapshot has it as a child.
 */
import {
  fromPromise,
  initialTransition,
  transition,
  type AnyEventObject,
  type SnapshotFrom,
} from 'xstate';
import { getStateNodes } from 'xstate/graph';
import {
  EMPTY_COUNTS,
  nodeMachine,
  type CoordinationState,
  type NodeInput,
} from '../../../machines/index.js';
import type { NodeStep } from './machinesArbitraries.js';
import { activeStateIds, coordinationStateOf } from './machinesStatechart.js';

/**
 * The node machine with its runtime effects stubbed: actions are inert, and the cleanup actor
 * never settles by itself (the run settles it with `xstate.done.actor.*` / `xstate.error.actor.*`).
 */
export const pureNodeMachine = nodeMachine.provide({
  actors: { cleanup: fromPromise<void, { nodeId: string }>(() => new Promise<void>(() => {})) },
});

type NodeSnapshot = SnapshotFrom<typeof pureNodeMachine>;

/** The ids of the actors the definition invokes (`0.node.FAILED`). */
const INVOKE_IDS: readonly string[] = getStateNodes(pureNodeMachine.root).flatMap((node) =>
  node.invoke.map((definition) => definition.id),
);

/** A pending delayed event: its send id, the event, and when it is due (ms on the run's clock). */
interface Timer {
  readonly id: string;
  readonly event: AnyEventObject;
  readonly due: number;
}

/** What one step did. */
export interface StepObservation {
  readonly event: AnyEventObject;
  /** Coordination state before the step. */
  readonly from: CoordinationState;
  /** States announced during the step, in order (the transitions the runtime publishes). */
  readonly announced: readonly CoordinationState[];
  /** Coordination state after the step. */
  readonly to: CoordinationState;
  /** Every state node the snapshot is in after the step. */
  readonly stateIds: readonly string[];
}

/** One random run: the current snapshot, pending timers and children the runtime killed. */
export class PureNodeRun {
  snapshot: NodeSnapshot;
  private now = 0;
  private timers: Timer[] = [];
  private killed: string[] = [];
  private spawned = 0;

  constructor(input: NodeInput) {
    const [snapshot, actions] = initialTransition(pureNodeMachine, input);
    this.snapshot = snapshot;
    this.schedule(actions);
  }

  /** The run's clock, in ms: moved on by timers firing and by `wait` steps. */
  get time(): number {
    return this.now;
  }

  /**
   * Lets every invoked actor finish and every pending timer fire, with no other event, until
   * nothing is pending; calls `afterStep` after each. Throws past `limit` steps.
   */
  quiesce(afterStep: (seen: StepObservation) => void = () => {}, limit = 1_000): void {
    for (let i = 0; i < limit; i += 1) {
      const seen = this.apply({ kind: 'settle', ok: true }) ?? this.apply({ kind: 'timer' });
      if (seen === null) return;
      afterStep(seen);
    }
    throw new Error(`still busy after ${limit} timers and settlements`);
  }

  /** Applies one step; `null` when the step means nothing in the current snapshot. */
  apply(step: NodeStep): StepObservation | null {
    const event = this.eventFor(step);
    if (event === null) return null;
    const from = coordinationStateOf(this.snapshot.value);
    const [next, actions] = transition(pureNodeMachine, this.snapshot, event as never);
    this.snapshot = next;
    this.schedule(actions);
    return {
      event,
      from,
      announced: actions.flatMap((action) =>
        action.type === 'announce' ? [(action.params as { state: CoordinationState }).state] : [],
      ),
      to: coordinationStateOf(next.value),
      stateIds: activeStateIds(pureNodeMachine.root.id, next.value),
    };
  }

  /** The event a step stands for now, or `null`; keeps the list of killed children. */
  private eventFor(step: NodeStep): AnyEventObject | null {
    const { context } = this.snapshot;
    const supervised = context.supervisor !== null;
    switch (step.kind) {
      case 'init':
        return { type: 'parent.init', epoch: step.epoch, timeoutMs: step.timeoutMs };
      case 'shutdown':
        return { type: 'parent.shutdown', mode: step.mode, timeoutMs: step.timeoutMs };
      case 'shutdownDone':
        return { type: 'shutdown.done' };
      case 'decision':
        return supervised
          ? { type: 'supervisor.decision', decision: step.decision, counts: EMPTY_COUNTS }
          : null;
      case 'restartGranted':
        return supervised
          ? { type: 'supervisor.restartGranted', restartsInWindow: step.restartsInWindow }
          : null;
      case 'spawnChild': {
        // A fresh child, or one the runtime killed coming back.
        const id = step.rejoin ? this.killed[step.pick % this.killed.length] : `x${this.spawned++}`;
        if (id === undefined) return null;
        this.killed = this.killed.filter((killed) => killed !== id);
        return { type: 'tree.spawnChild', shape: { id }, rejoin: step.rejoin };
      }
      case 'stopChild': {
        // Kill a live child (it may rejoin), or remove a live or killed one for good.
        const live = Object.keys(context.children);
        const candidates = step.forget ? [...live, ...this.killed] : live;
        const id = candidates[step.pick % candidates.length];
        if (id === undefined) return null;
        this.killed = this.killed.filter((killed) => killed !== id);
        if (!step.forget) this.killed.push(id);
        return { type: 'tree.stopChild', childId: id, forget: step.forget };
      }
      case 'timer':
        return this.fireTimer();
      case 'wait':
        return this.wait(step.ms);
      case 'settle': {
        const id = INVOKE_IDS.find((invokeId) => this.snapshot.children[invokeId] !== undefined);
        if (id === undefined) return null;
        return step.ok
          ? { type: `xstate.done.actor.${id}`, output: undefined, actorId: id }
          : { type: `xstate.error.actor.${id}`, error: new Error('cleanup failed'), actorId: id };
      }
    }
  }

  /** Lets `ms` pass: returns the event of a timer due by then, or `null` if none is. */
  private wait(ms: number): AnyEventObject | null {
    if (this.timers.some((timer) => timer.due <= this.now + ms)) return this.fireTimer();
    this.now += ms;
    return null;
  }

  /** Takes the earliest pending timer off the list, advances the clock to it, returns its event. */
  private fireTimer(): AnyEventObject | null {
    if (this.timers.length === 0) return null;
    const next = this.timers.reduce((a, b) => (b.due < a.due ? b : a));
    this.timers = this.timers.filter((timer) => timer !== next);
    this.now = next.due;
    return next.event;
  }

  /** Records the timers a transition's actions schedule and cancel. */
  private schedule(actions: readonly { type: string; params?: unknown }[]): void {
    for (const action of actions) {
      const params = action.params as
        { id?: string; event?: AnyEventObject; delay?: number; sendId?: string } | undefined;
      if (action.type === 'xstate.raise' && params?.delay !== undefined && params.event) {
        this.timers.push({
          id: params.id ?? '',
          event: params.event,
          due: this.now + params.delay,
        });
      } else if (action.type === 'xstate.cancel') {
        this.timers = this.timers.filter((timer) => timer.id !== params?.sendId);
      }
    }
  }
}

/** The sub-states a shutdown deadline runs in. */
const SHUTTING_DOWN = [
  { DISCONNECTED: 'shuttingDown' },
  { SYNCHRONIZED: 'draining' },
  { DEGRADED: 'draining' },
] as const;

/**
 * Watches a run for its shutdown deadline: due when the node first began shutting down plus the
 * timeout it began with (ms on the run's clock), and when it stopped.
 */
export class ShutdownDeadline {
  due: number | null = null;
  stoppedAt: number | null = null;

  /** Looks at the run after a step. */
  observe(run: PureNodeRun): void {
    const { snapshot } = run;
    if (this.due === null && SHUTTING_DOWN.some((value) => snapshot.matches(value))) {
      this.due = run.time + (snapshot.context.shutdown?.timeoutMs ?? 0);
    }
    if (this.stoppedAt === null && snapshot.matches({ DISCONNECTED: 'stopped' })) {
      this.stoppedAt = run.time;
    }
  }
}
