/**
 * What a coordinator reports of its subtree: its own state added to its children's counts, and
 * the heartbeat answer that carries them. Both are rebuilt only when the state or the
 * children's counts change, so a quiet tree's heartbeats answer with the same objects.
 */
import type { CoordinationState, MessageBodies, SubtreeCounts } from '../../machines/index.js';
import type { ChildLinks } from './ChildLinks.js';

/** The reports of one coordinator (a leaf's are shared: `leafReport`). */
export class SubtreeReport {
  private version = -1;
  private state: CoordinationState | null = null;
  private counts: SubtreeCounts | null = null;
  private status: MessageBodies['COORD_STATUS'] | null = null;

  constructor(private readonly children: ChildLinks) {}

  /** The subtree's counts in `state`: the same object until they change, never mutated. */
  subtree(state: CoordinationState): SubtreeCounts {
    const version = this.children.childSumVersion;
    if (this.counts !== null && version === this.version && state === this.state) {
      return this.counts;
    }
    const sum = this.children.childSum;
    const byState = { ...sum.byState };
    byState[state]++;
    this.version = version;
    this.state = state;
    this.counts = { nodes: 1 + sum.nodes, leaves: sum.leaves, byState };
    this.status = null;
    return this.counts;
  }

  /** The answer to a heartbeat in `state`: the same object until the counts change. */
  heartbeatAnswer(state: CoordinationState): MessageBodies['COORD_STATUS'] {
    const subtree = this.subtree(state);
    return (this.status ??= { state, subtree });
  }
}
