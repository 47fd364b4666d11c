/**
 * One command in flight at one node, and the arithmetic of its outcomes: each child (or the
 * leaf itself) settles once, and the counts add up leaves.
 */
import type { CommandSpec, Outcome, OutcomeCounts } from '../../machines/index.js';
import type { TimerHandle } from './Timers.js';

/** A command running (leaf) or in flight (coordinator) at a node. */
export interface Running {
  readonly spec: CommandSpec;
  /** Clock time it was received here, ms. */
  readonly receivedAt: number;
  /** Clock time by which this node answers, ms. */
  readonly deadlineAt: number;
  readonly timers: TimerHandle[];
  /** Children whose answer is awaited. */
  readonly waiting: Set<string>;
  /** Children that have not acknowledged yet. */
  readonly unacked: Set<string>;
  readonly counts: OutcomeCounts;
  readonly outcomes: (readonly [string, Outcome])[];
  /** The handler ran here: this node is a leaf for this command. */
  leaf: boolean;
  /** A leaf's handler signal, built when the handler first reads it. */
  controller: AbortController | null;
  /** Why the handler was aborted, for a signal read after the fact. */
  abortReason: Error | null;
  /** A leaf's handler runs so far. */
  attempt: number;
  /** The deadline timer is set (a leaf sets it only once its handler goes asynchronous). */
  deadlineArmed: boolean;
  /** Envelopes this command travelled in, awaiting acknowledgement. */
  readonly batchIds: string[];
}

/** The children a leaf's run waits for: none. Shared by every leaf run, so it refuses adds. */
class NoChildren extends Set<string> {
  override add(childId: string): this {
    throw new Error(`a leaf's command waits for no child (asked to wait for ${childId})`);
  }
}
const NO_CHILDREN: Set<string> = new NoChildren();

/** A command received at `receivedAt` (ms), nothing settled yet; a `leaf` runs the handler. */
export function newRunning(spec: CommandSpec, receivedAt: number, leaf = false): Running {
  return {
    spec,
    receivedAt,
    deadlineAt: receivedAt + spec.timeoutMs,
    timers: [],
    waiting: leaf ? NO_CHILDREN : new Set(),
    unacked: leaf ? NO_CHILDREN : new Set(),
    counts: { completed: 0, failed: 0, skipped: 0, timedOut: 0 },
    outcomes: [],
    leaf: false,
    controller: null,
    abortReason: null,
    attempt: 0,
    deadlineArmed: false,
    batchIds: [],
  };
}

/**
 * The handler's abort signal, built on first read (most handlers never read it, and a signal
 * per leaf and command is a large share of a round); already aborted if the run was.
 */
export function signalOf(run: Running): AbortSignal {
  if (run.controller === null) {
    run.controller = new AbortController();
    if (run.abortReason !== null) run.controller.abort(run.abortReason);
  }
  return run.controller.signal;
}

/** Aborts the handler's signal, now or when it is first read. */
export function abortRun(run: Running, reason: Error): void {
  run.abortReason ??= reason;
  run.controller?.abort(reason);
}

/** What `childId` (a leaf, or a subtree's root) came to; it is no longer awaited. */
export function settle(run: Running, childId: string, outcome: Outcome): void {
  run.waiting.delete(childId);
  run.unacked.delete(childId);
  run.outcomes.push([childId, outcome]);
  if (outcome.status === 'completed') run.counts.completed += 1;
  else if (outcome.status === 'failed') run.counts.failed += 1;
  else if (outcome.status === 'skipped') run.counts.skipped += outcome.leaves;
  else run.counts.timedOut += outcome.leaves;
}
