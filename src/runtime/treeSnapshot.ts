/**
 * A tree's snapshot: every node's state and its children's link states, as the API shows them.
 */
import type { CoordinationState, LinkState } from '../../machines/index.js';
import type { Topology } from '../spec/treeSpec.js';
import type { NodeEndpoint } from './NodeEndpoint.js';
import { emptySubtree } from './subtreeCounts.js';
import type { NodeSnapshot, TreeSnapshot } from './treeTypes.js';

/**
 * Builds the snapshot at clock time `at` (a killed node shows DISCONNECTED, `alive` false; a
 * remote node shows its parent's view of it). `hostedUnder` is the remote parent of the root.
 */
export function treeSnapshot(
  rootId: string,
  topology: Topology,
  endpoints: ReadonlyMap<string, NodeEndpoint>,
  dead: ReadonlySet<string>,
  at: number,
  hostedUnder: string | null = null,
): TreeSnapshot {
  const nodes: Record<string, NodeSnapshot> = {};
  for (const [id, placement] of topology) {
    if (placement.remote) {
      const link = endpoints.get(placement.parentId!)?.links.get(id);
      nodes[id] = {
        id,
        parentId: placement.parentId,
        state: remoteNodeState(link?.state),
        reason: `remote (link ${link?.state ?? 'pending'})`,
        alive: true,
        links: {},
        subtree: link ? { ...link.subtree, byState: { ...link.subtree.byState } } : notStarted(),
      };
      continue;
    }
    const endpoint = endpoints.get(id);
    const killed = dead.has(id);
    const links: Record<string, LinkState> = {};
    for (const childId of placement.childIds) {
      links[childId] = endpoint?.links.get(childId)?.state ?? 'pending';
    }
    nodes[id] = {
      id,
      parentId: placement.parentId ?? hostedUnder,
      state: killed ? 'DISCONNECTED' : (endpoint?.state ?? 'DISCONNECTED'),
      reason: killed ? 'killed' : (endpoint?.reason ?? 'not started'),
      alive: !killed,
      links,
      subtree: endpoint?.subtree() ?? notStarted(),
    };
  }
  return { rootId, at, nodes };
}

/** A remote node's state as its parent's link shows it (not yet joined, or suspected: DISCONNECTED). */
export function remoteNodeState(link: LinkState | undefined): CoordinationState {
  return link === undefined || link === 'pending' || link === 'unreachable' ? 'DISCONNECTED' : link;
}

/** One node, not started yet. */
function notStarted(): NodeSnapshot['subtree'] {
  const subtree = emptySubtree();
  subtree.nodes = 1;
  subtree.leaves = 1;
  subtree.byState.DISCONNECTED = 1;
  return subtree;
}
