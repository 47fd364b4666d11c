/**
 * A parent's view of one child, as the parent's links keep it (see `ChildLinks`): what the
 * child last reported, its session's epoch, its failure detector's estimates, and the INIT and
 * removal in flight on it.
 */
import type { LinkState, SubtreeCounts } from '../../machines/index.js';
import { firstEstimate, type ArrivalStats } from '../health/phiAccrual.js';
import type { Route } from '../transport/Transport.js';
import { emptySubtree } from './subtreeCounts.js';
import type { TimerHandle } from './Timers.js';

/**
 * A parent's view of one child. Its arrival stats are the failure detector's view of the child's
 * inter-arrival times (kept in the link itself: one object fewer to touch per heartbeat).
 */
export interface Link extends ArrivalStats {
  readonly childId: string;
  readonly critical: boolean;
  state: LinkState;
  /** Epoch of the INIT that opened the link's current session. */
  epoch: number;
  /** Clock time the child was last heard from, ms. */
  lastHeard: number;
  /** The transport's route to the child, once it has one (see `Transport.route`). */
  route: Route | undefined;
  /** Envelopes sent to the child, and that count at the last heartbeat round. */
  sent: number;
  sentAtRound: number;
  /** The child's incarnation as last reported (READY or SYNC answer), and since when, ms. */
  incarnation: string;
  joinedAt: number;
  /** The child's last reported subtree (or its shape's, before it answered). */
  subtree: SubtreeCounts;
  /** Id of the last INIT sent to the child, and whether the child acknowledged it. */
  initId: string | null;
  initAcked: boolean;
  /** Clock time by which the child should have answered its last INIT (READY or ERROR), ms. */
  initDueAt: number;
  /** Fires if a child added at run time never answers its INIT. */
  initTimer: TimerHandle | null;
  /** Set while the child is being removed gracefully: who waits, and the deadline. */
  removal: { readonly waiters: (() => void)[]; readonly timer: TimerHandle } | null;
}

/** What a child contributes to its parent before it has reported. */
export interface ChildSeed {
  readonly childId: string;
  readonly critical: boolean;
  readonly nodes: number;
  readonly leaves: number;
}

/** A new child's link: pending, in epoch 1, counted as its shape's subtree until it reports. */
export function newLink(seed: ChildSeed, now: number, heartbeatIntervalMs: number): Link {
  const subtree = emptySubtree();
  subtree.nodes = seed.nodes;
  subtree.leaves = seed.leaves;
  subtree.byState.DISCONNECTED = seed.nodes;
  const arrivals = firstEstimate(heartbeatIntervalMs);
  return {
    childId: seed.childId,
    critical: seed.critical,
    state: 'pending',
    epoch: 1,
    lastHeard: now,
    route: undefined,
    sent: 0,
    sentAtRound: 0,
    incarnation: '',
    joinedAt: 0,
    arrivalMean: arrivals.arrivalMean,
    arrivalVariance: arrivals.arrivalVariance,
    subtree,
    initId: null,
    initAcked: false,
    initDueAt: 0,
    initTimer: null,
    removal: null,
  };
}
