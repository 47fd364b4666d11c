/**
 * A run of the supervisor statechart through its pure transition functions, recording what it
 * reports to its node and driving its restart-window expiries on the run's own clock.
 */
import {
  initialTransition,
  transition,
  type AnyEventObject,
  type EventFromLogic,
  type SnapshotFrom,
} from 'xstate';
import { supervisorMachine, type Decision, type SupervisorInput } from '../../../machines/index.js';

/**
 * The supervisor with its two reports to the node stubbed (a pure run has no parent to send
 * them to); the run reads what they would have sent from the context they ran with.
 */
export const pureSupervisorMachine = supervisorMachine.provide({
  actions: { reportDecision: () => {}, grantRestart: () => {} },
});

type SupervisorSnapshot = SnapshotFrom<typeof pureSupervisorMachine>;
type SupervisorEvent = EventFromLogic<typeof pureSupervisorMachine>;

/** A delayed event the supervisor raised to itself, due at `due` ms on the run's clock. */
interface Timer {
  readonly event: AnyEventObject;
  readonly due: number;
}

/** One run: the current snapshot, the decisions reported so far and the restarts granted. */
export class PureSupervisorRun {
  snapshot: SupervisorSnapshot;
  /** Every decision reported to the node, in order. */
  readonly reports: Decision[] = [];
  grants = 0;
  private readonly initial: Decision;
  private now = 0;
  private timers: Timer[] = [];

  constructor(input: SupervisorInput) {
    const [snapshot, actions] = initialTransition(pureSupervisorMachine, input);
    this.snapshot = snapshot;
    this.initial = snapshot.context.decision;
    this.record(actions);
  }

  /** The decision the node holds: the last one reported, or the initial one before any. */
  get reported(): Decision {
    return this.reports.at(-1) ?? this.initial;
  }

  /** Sends one event. */
  send(event: SupervisorEvent): void {
    const [next, actions] = transition(pureSupervisorMachine, this.snapshot, event);
    this.snapshot = next;
    this.record(actions);
  }

  /** How many delayed events are pending. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Lets the earliest pending delayed event fire. */
  fireTimer(): void {
    const next = this.timers.reduce((a, b) => (b.due < a.due ? b : a));
    this.timers = this.timers.filter((timer) => timer !== next);
    this.now = next.due;
    this.send(next.event as SupervisorEvent);
  }

  private record(
    actions: readonly { type: string; params?: unknown; info: { context: unknown } }[],
  ): void {
    for (const action of actions) {
      if (action.type === 'reportDecision') {
        this.reports.push((action.info.context as { decision: Decision }).decision);
      } else if (action.type === 'grantRestart') {
        this.grants += 1;
      } else if (action.type === 'xstate.raise') {
        const params = action.params as { event: AnyEventObject; delay?: number };
        if (params.delay !== undefined) {
          this.timers.push({ event: params.event, due: this.now + params.delay });
        }
      }
    }
  }
}
