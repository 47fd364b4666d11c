/**
 * What a coordinator reports of its subtree: its own state added to its children's counts, in
 * a heartbeat answer's shape. Rebuilt only when the state or the children's counts change, so
 * a quiet tree's heartbeats answer with the same object.
 */
import type { CoordinationState } from '../../machines/index.js';
import type { ChildLinks } from './ChildLinks.js';
import type { NodeReport } from './subtreeCounts.js';

/** The report of one coordinator (a leaf's is shared: `leafReport`). */
export class SubtreeReport {
  private version = -1;
  private last: NodeReport | null = null;

  constructor(private readonly children: ChildLinks) {}

  /** The report in `state`: the same object until the counts change, never mutated. */
  in(state: CoordinationState): NodeReport {
    const version = this.children.childSumVersion;
    if (this.last !== null && version === this.version && state === this.last.state) {
      return this.last;
    }
    const sum = this.children.childSum;
    const byState = { ...sum.byState };
    byState[state]++;
    this.version = version;
    this.last = { state, subtree: { nodes: 1 + sum.nodes, leaves: sum.leaves, byState } };
    return this.last;
  }
}
