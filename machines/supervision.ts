/**
 * Pure supervision arithmetic: how a coordinator's children, counted by availability, decide
 * its own state. The supervisor statechart applies these; tests apply them to check it.
 */
import type { CoordinationState } from './protocol.js';

/**
 * A child link as its parent sees it: `pending` while the child is joining (INIT sent, no answer
 * yet; neither available nor unavailable), the state the child last reported, or `unreachable`
 * when the child stopped answering.
 */
export type LinkState = 'pending' | CoordinationState | 'unreachable';

/** How many unavailable children a coordinator tolerates before it is FAILED. */
export interface DegradationPolicy {
  /**
   * Most children that may be unavailable while the node stays DEGRADED: a count, or a ratio of
   * its children (`{ ratio: 0.5 }`: FAILED once more than half are unavailable). Default `{ ratio: 0.5 }`.
   */
  readonly maxUnavailable: number | { readonly ratio: number };
  /** Fewest available children; below it the node is FAILED. Default 0 (no minimum). */
  readonly minAvailable: number;
}

/** Children of one coordinator counted by availability; updated incrementally, never by scan. */
export interface LinkCounts {
  readonly total: number;
  readonly pending: number;
  /** SYNCHRONIZED or DEGRADED. */
  readonly available: number;
  /** Available but DEGRADED. */
  readonly degraded: number;
  /** CONNECTING, FAILED, DISCONNECTED or unreachable. */
  readonly unavailable: number;
  /** Unavailable children marked critical. */
  readonly criticalUnavailable: number;
}

/** No children. */
export const EMPTY_COUNTS: LinkCounts = {
  total: 0,
  pending: 0,
  available: 0,
  degraded: 0,
  unavailable: 0,
  criticalUnavailable: 0,
};

type Bucket = 'pending' | 'available' | 'unavailable';

function bucketOf(state: LinkState): Bucket {
  if (state === 'pending') return 'pending';
  return state === 'SYNCHRONIZED' || state === 'DEGRADED' ? 'available' : 'unavailable';
}

/**
 * Counts after one link changed. `from: null` adds a link, `to: null` removes it. O(1).
 */
export function applyLinkChange(counts: LinkCounts, change: CountedChange): LinkCounts {
  const next = { ...counts };
  count(next, change);
  return next;
}

/** Counts after several link changes, in order: one copy for the lot. O(changes). */
export function applyLinkChanges(
  counts: LinkCounts,
  changes: readonly CountedChange[],
): LinkCounts {
  const next = { ...counts };
  for (const change of changes) count(next, change);
  return next;
}

/** What a link change tells the counts. */
interface CountedChange {
  readonly from: LinkState | null;
  readonly to: LinkState | null;
  readonly critical: boolean;
}

function count(next: { -readonly [K in keyof LinkCounts]: number }, change: CountedChange): void {
  const step = (state: LinkState, delta: 1 | -1): void => {
    const bucket = bucketOf(state);
    next[bucket] += delta;
    if (state === 'DEGRADED') next.degraded += delta;
    if (change.critical && bucket === 'unavailable') next.criticalUnavailable += delta;
  };
  if (change.from === null) next.total += 1;
  else step(change.from, -1);
  if (change.to === null) next.total -= 1;
  else step(change.to, 1);
}

/** The supervisor's verdict on a set of children. */
export interface Decision {
  /** The state the coordinator should be in once it has connected. */
  readonly state: 'SYNCHRONIZED' | 'DEGRADED' | 'FAILED';
  /** Every child answered and is available: what CONNECTING waits for. */
  readonly allReady: boolean;
  /** Some child is unavailable (not merely joining): what recovery rounds are for. */
  readonly recoverable: boolean;
  /** Why, in words. */
  readonly reason: string;
}

const children = (n: number): string => (n === 1 ? '1 child' : `${n} children`);

/** The most unavailable children `policy` tolerates among `total` (joining children excluded). */
export function unavailableLimit(policy: DegradationPolicy, total: number): number {
  return typeof policy.maxUnavailable === 'number'
    ? policy.maxUnavailable
    : policy.maxUnavailable.ratio * total;
}

/**
 * The policy applied to counts: FAILED for a critical child down, too many down, or too few up;
 * DEGRADED when any child is down or impaired; SYNCHRONIZED otherwise. Pending children are
 * neither: they only hold back `allReady`.
 */
export function decide(counts: LinkCounts, policy: DegradationPolicy): Decision {
  const allReady = counts.pending === 0 && counts.unavailable === 0;
  const recoverable = counts.unavailable > 0;
  const verdict = (state: Decision['state'], reason: string): Decision => ({
    state,
    allReady,
    recoverable,
    reason,
  });
  if (counts.criticalUnavailable > 0) return verdict('FAILED', 'a critical child is unavailable');
  const settled = counts.total - counts.pending;
  const limit = unavailableLimit(policy, settled);
  if (counts.unavailable > limit) {
    return verdict(
      'FAILED',
      `${counts.unavailable} of ${children(settled)} unavailable (limit ${limit})`,
    );
  }
  const minAvailable = Math.min(policy.minAvailable, settled);
  if (counts.available < minAvailable) {
    return verdict('FAILED', `${children(counts.available)} available (minimum ${minAvailable})`);
  }
  if (counts.unavailable > 0) {
    return verdict('DEGRADED', `${children(counts.unavailable)} unavailable`);
  }
  if (counts.degraded > 0) return verdict('DEGRADED', `${children(counts.degraded)} degraded`);
  return verdict('SYNCHRONIZED', 'all children available');
}
