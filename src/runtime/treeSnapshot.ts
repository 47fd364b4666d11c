/**
 * A tree's snapshot: every node's state and its children's link states, as the API shows them.
 */
import type { LinkState } from '../../machines/index.js';
import type { Topology } from '../spec/treeSpec.js';
import type { NodeEndpoint } from './NodeEndpoint.js';
import { emptySubtree } from './subtreeCounts.js';
import type { NodeSnapshot, TreeSnapshot } from './treeTypes.js';

/** Builds the snapshot at clock time `at` (a killed node shows DISCONNECTED, `alive` false). */
export function treeSnapshot(
  rootId: string,
  topology: Topology,
  endpoints: ReadonlyMap<string, NodeEndpoint>,
  dead: ReadonlySet<string>,
  at: number,
): TreeSnapshot {
  const nodes: Record<string, NodeSnapshot> = {};
  for (const [id, placement] of topology) {
    const endpoint = endpoints.get(id);
    const killed = dead.has(id);
    const links: Record<string, LinkState> = {};
    for (const childId of placement.childIds) {
      links[childId] = endpoint?.links.get(childId)?.state ?? 'pending';
    }
    nodes[id] = {
      id,
      parentId: placement.parentId,
      state: killed ? 'DISCONNECTED' : (endpoint?.state ?? 'DISCONNECTED'),
      reason: killed ? 'killed' : (endpoint?.reason ?? 'not started'),
      alive: !killed,
      links,
      subtree: endpoint?.subtree() ?? notStarted(),
    };
  }
  return { rootId, at, nodes };
}

/** One node, not started yet. */
function notStarted(): NodeSnapshot['subtree'] {
  const subtree = emptySubtree();
  subtree.nodes = 1;
  subtree.leaves = 1;
  subtree.byState.DISCONNECTED = 1;
  return subtree;
}
