/**
 * Arithmetic on subtree counts (the roll-up a node reports to its parent).
 */
import {
  COORDINATION_STATES,
  type CoordinationState,
  type SubtreeCounts,
} from '../../machines/index.js';

/** A subtree count under construction. */
export interface MutableSubtree {
  nodes: number;
  leaves: number;
  byState: Record<CoordinationState | 'unreachable', number>;
}

/** Zero nodes. */
export function emptySubtree(): MutableSubtree {
  return {
    nodes: 0,
    leaves: 0,
    byState: {
      DISCONNECTED: 0,
      CONNECTING: 0,
      SYNCHRONIZED: 0,
      DEGRADED: 0,
      FAILED: 0,
      unreachable: 0,
    },
  };
}

/** Adds `b` into `a` (or subtracts it, with `sign` −1). */
export function addCounts(
  a: Record<CoordinationState | 'unreachable', number>,
  b: Readonly<Record<CoordinationState | 'unreachable', number>>,
  sign: 1 | -1 = 1,
): void {
  a.DISCONNECTED += sign * b.DISCONNECTED;
  a.CONNECTING += sign * b.CONNECTING;
  a.SYNCHRONIZED += sign * b.SYNCHRONIZED;
  a.DEGRADED += sign * b.DEGRADED;
  a.FAILED += sign * b.FAILED;
  a.unreachable += sign * b.unreachable;
}

/** Whether two subtree counts are equal, field by field. */
export function sameCounts(a: SubtreeCounts, b: SubtreeCounts): boolean {
  if (a === b) return true;
  const x = a.byState;
  const y = b.byState;
  return (
    a.nodes === b.nodes &&
    a.leaves === b.leaves &&
    x.SYNCHRONIZED === y.SYNCHRONIZED &&
    x.DEGRADED === y.DEGRADED &&
    x.CONNECTING === y.CONNECTING &&
    x.FAILED === y.FAILED &&
    x.DISCONNECTED === y.DISCONNECTED &&
    x.unreachable === y.unreachable
  );
}

/** A node's report in one state: its subtree counts, in a heartbeat answer's shape. */
export interface NodeReport {
  readonly state: CoordinationState;
  readonly subtree: SubtreeCounts;
}

/** Every childless node's report, by state: frozen, shared by all leaves of every tree. */
const LEAF_REPORTS = new Map<CoordinationState, NodeReport>(
  COORDINATION_STATES.map((state) => {
    const subtree = emptySubtree();
    subtree.nodes = 1;
    subtree.leaves = 1;
    subtree.byState[state] = 1;
    Object.freeze(subtree.byState);
    return [state, Object.freeze({ state, subtree: Object.freeze(subtree) })];
  }),
);

/** A childless node's counts and heartbeat answer in `state` (the same object every time). */
export function leafReport(state: CoordinationState): NodeReport {
  return LEAF_REPORTS.get(state)!;
}
