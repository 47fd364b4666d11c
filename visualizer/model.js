/**
 * The page's model of the tree: built from a `TreeSnapshot`, then kept up to date by the
 * tree's events. Every node also keeps counts of the nodes below it by displayed state (its
 * roll-up), adjusted along the ancestors on each change, so an event costs O(depth).
 */

/** Coordination states, in lifecycle order. */
export const STATES = ['DISCONNECTED', 'CONNECTING', 'SYNCHRONIZED', 'DEGRADED', 'FAILED'];

const STATE_INDEX = new Map(STATES.map((state, index) => [state, index]));
const FAILED_INDEX = STATE_INDEX.get('FAILED');

/** How a remote node's state follows its parent's link to it (as the runtime's snapshot does). */
function remoteState(linkState) {
  return linkState === null ||
    linkState === undefined ||
    linkState === 'pending' ||
    linkState === 'unreachable'
    ? 'DISCONNECTED'
    : linkState;
}

/** The state a node is drawn and counted in: a killed node counts as FAILED. */
function displayIndex(node) {
  return node.alive ? (STATE_INDEX.get(node.state) ?? 0) : FAILED_INDEX;
}

/**
 * One node as the page keeps it: its snapshot fields, its place in the drawn tree, and counts
 * of the nodes below it by state (`below`, indexed like STATES).
 * @typedef {{ id: string, parentId: string | null, parent: ModelNode | null,
 *   children: ModelNode[], depth: number, state: string, reason: string, alive: boolean,
 *   remote: boolean, links: Record<string, string>, subtree: object, below: number[],
 *   belowKilled: number, belowTotal: number }} ModelNode
 */

export class TreeModel {
  /** @param {import('../src/runtime/treeTypes.js').TreeSnapshot} snapshot */
  constructor(snapshot) {
    this.at = snapshot.at;
    /** @type {Map<string, ModelNode>} */
    this.nodes = new Map();
    /** Nodes whose own drawing changed (state, alive, reason) since the last render. */
    this.changed = new Set();
    /** Nodes whose roll-up counts changed since the last render. */
    this.rollupsChanged = new Set();
    /** Children whose incoming link (the parent's view of them) changed since the last render. */
    this.linksChanged = new Set();

    for (const raw of Object.values(snapshot.nodes)) {
      this.nodes.set(raw.id, {
        id: raw.id,
        parentId: raw.parentId,
        parent: null,
        children: [],
        depth: 0,
        state: raw.state,
        reason: raw.reason,
        alive: raw.alive !== false,
        remote: typeof raw.reason === 'string' && raw.reason.startsWith('remote'),
        links: raw.links ?? {},
        subtree: raw.subtree,
        below: new Array(STATES.length).fill(0),
        belowKilled: 0,
        belowTotal: 0,
      });
    }
    // Children in the order their parent lists its links (the spec's order), then any other
    // node that names it as parent.
    for (const parent of this.nodes.values()) {
      for (const childId in parent.links) {
        const child = this.nodes.get(childId);
        if (child && child.parentId === parent.id && child.parent === null) {
          child.parent = parent;
          parent.children.push(child);
        }
      }
    }
    for (const node of this.nodes.values()) {
      if (node.parent !== null || node.parentId === null) continue;
      const parent = this.nodes.get(node.parentId);
      if (parent) {
        node.parent = parent;
        parent.children.push(node);
      }
    }
    this.root =
      this.nodes.get(snapshot.rootId) ?? [...this.nodes.values()].find((n) => n.parent === null);
    this.#computeDepthsAndRollups();
  }

  /** Depths top-down, then roll-ups bottom-up, in one breadth-first pass each way: O(N). */
  #computeDepthsAndRollups() {
    if (!this.root) return;
    const order = [this.root];
    for (let i = 0; i < order.length; i++) {
      const node = order[i];
      for (const child of node.children) {
        child.depth = node.depth + 1;
        order.push(child);
      }
    }
    this.maxDepth = order.length > 0 ? order[order.length - 1].depth : 0;
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const parent = node.parent;
      if (!parent) continue;
      parent.below[displayIndex(node)] += 1;
      parent.belowKilled += node.alive ? 0 : 1;
      parent.belowTotal += 1;
      for (let s = 0; s < STATES.length; s++) parent.below[s] += node.below[s];
      parent.belowKilled += node.belowKilled;
      parent.belowTotal += node.belowTotal;
    }
  }

  /** The whole tree's counts by displayed state (the root included). */
  totals() {
    const counts = new Array(STATES.length).fill(0);
    let killed = 0;
    let total = 0;
    if (this.root) {
      for (let s = 0; s < STATES.length; s++) counts[s] = this.root.below[s];
      counts[displayIndex(this.root)] += 1;
      killed = this.root.belowKilled + (this.root.alive ? 0 : 1);
      total = this.root.belowTotal + 1;
    }
    return { counts, killed, total };
  }

  /** Changes a node's fields, keeping its ancestors' roll-ups in step. */
  #update(node, fields) {
    const wasIndex = displayIndex(node);
    const wasAlive = node.alive;
    Object.assign(node, fields);
    const nowIndex = displayIndex(node);
    this.changed.add(node.id);
    if (wasIndex === nowIndex && wasAlive === node.alive) return;
    const killedDelta = (node.alive ? 0 : 1) - (wasAlive ? 0 : 1);
    for (let up = node.parent; up; up = up.parent) {
      up.below[wasIndex] -= 1;
      up.below[nowIndex] += 1;
      up.belowKilled += killedDelta;
      this.rollupsChanged.add(up.id);
    }
  }

  /**
   * Applies one TreeEvent. Returns 'structure' when nodes were added or removed (the model
   * then needs a fresh snapshot), else true if the model changed, else false.
   */
  apply(event) {
    switch (event.type) {
      case 'transition': {
        const node = this.nodes.get(event.nodeId);
        if (!node) return false;
        this.#update(node, { state: event.to, reason: event.reason });
        return true;
      }
      case 'link': {
        const parent = this.nodes.get(event.nodeId);
        if (!parent) return false;
        if (event.to === null) delete parent.links[event.childId];
        else parent.links[event.childId] = event.to;
        this.linksChanged.add(event.childId);
        this.changed.add(parent.id);
        const child = this.nodes.get(event.childId);
        if (child && child.remote) {
          this.#update(child, {
            state: remoteState(event.to),
            reason: `remote (link ${event.to ?? 'removed'})`,
          });
        }
        return true;
      }
      case 'node': {
        if (event.change === 'added' || event.change === 'removed') return 'structure';
        const node = this.nodes.get(event.nodeId);
        if (!node) return false;
        if (event.change === 'killed') {
          this.#update(node, { alive: false, state: 'DISCONNECTED', reason: 'killed' });
        } else if (event.change === 'revived') {
          this.#update(node, { alive: true, reason: 'revived' });
        } else {
          this.#update(node, { reason: event.change });
        }
        return true;
      }
      default:
        return false;
    }
  }

  /** Forgets what changed (after a render has drawn it). */
  clearChanges() {
    this.changed.clear();
    this.rollupsChanged.clear();
    this.linksChanged.clear();
  }
}

/** The state a node is drawn in (a killed node: FAILED). */
export function displayState(node) {
  return STATES[displayIndex(node)];
}

/**
 * Counts by displayed state as `[label, count, state]`, for the ones present: killed nodes
 * (counted as FAILED) are shown on their own, not among the FAILED ones.
 */
export function breakdown(counts, killed) {
  const parts = [];
  STATES.forEach((state, i) => {
    const n = i === FAILED_INDEX ? counts[i] - killed : counts[i];
    if (n > 0) parts.push([state.toLowerCase(), n, state]);
  });
  if (killed > 0) parts.push(['killed', killed, 'FAILED']);
  return parts;
}
