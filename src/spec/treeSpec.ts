/**
 * The tree spec users write, and its validation: ids non-empty and unique, no cycles, no
 * reserved ids. Iterative, so a deep tree cannot overflow the stack.
 */
import type { NodeShape } from '../../machines/index.js';
import { InvalidSpecError } from '../errors.js';

/** One node of a tree spec. */
export interface NodeSpec {
  /** Unique, non-empty id; ids starting with `$` are reserved. */
  readonly id: string;
  /** A critical child down makes its parent FAILED, not DEGRADED. Default false. */
  readonly critical?: boolean;
  /** Children; none makes a leaf, which runs the command handler. */
  readonly children?: readonly NodeSpec[];
  /**
   * The node and its subtree run in another process (`fractal-coord host`, or a tree created
   * with `parent`), reached through the transport. Here it is a proxy: its parent cannot tell
   * it from a local child. Its `children`, if listed, only size it until it reports. Default false.
   */
  readonly remote?: boolean;
}

/** Deepest tree accepted (root at depth 0): each level nests actor creation on the stack. */
export const MAX_DEPTH = 200;

/** Where a node sits in the tree. */
export interface NodePlacement {
  readonly parentId: string | null;
  readonly critical: boolean;
  /** Ids of its children, in spec order (mutable as nodes join and leave). Empty for a remote node. */
  readonly childIds: string[];
  /** Set for a remote node: the size of its subtree as the spec lists it, until it reports. */
  readonly remote?: { readonly nodes: number; readonly leaves: number };
}

/** Every node by id, with its parent and children. */
export type Topology = Map<string, NodePlacement>;

/**
 * Validates `root` and returns its placements.
 * @param taken ids already in use (when a subtree joins a running tree)
 * @param baseDepth depth of `root` in the whole tree (when a subtree joins)
 * @throws InvalidSpecError saying which node is wrong and how
 */
export function validateSpec(
  root: unknown,
  parentId: string | null = null,
  taken: ReadonlySet<string> = new Set(),
  baseDepth = 0,
): Topology {
  const topology: Topology = new Map();
  const remoteIds: string[] = [];
  const seen = new Set<object>();
  const stack: { spec: unknown; parentId: string | null; path: string; depth: number }[] = [
    { spec: root, parentId, path: 'root', depth: baseDepth },
  ];
  while (stack.length > 0) {
    const { spec, parentId: parent, path, depth } = stack.pop()!;
    if (typeof spec !== 'object' || spec === null) {
      throw new InvalidSpecError(
        `${path} must be an object like { id: 'a', children: [] }; got ${String(spec)}.`,
      );
    }
    if (seen.has(spec)) {
      throw new InvalidSpecError(
        `${path} is the same object as a node above or beside it: the spec has a cycle or a shared subtree. Give every node its own object.`,
      );
    }
    seen.add(spec);
    const { id, children, critical, remote } = spec as Partial<NodeSpec>;
    if (depth > MAX_DEPTH) {
      throw new InvalidSpecError(
        `Node ${JSON.stringify(id)} is ${depth} levels deep; trees may be at most ${MAX_DEPTH} levels deep. ` +
          `Give nodes more children instead of longer chains.`,
      );
    }
    if (typeof id !== 'string' || id.trim() === '') {
      throw new InvalidSpecError(
        `${path}.id must be a non-empty string; got ${JSON.stringify(id)}.`,
      );
    }
    if (id.startsWith('$')) {
      throw new InvalidSpecError(
        `${path}.id ${JSON.stringify(id)} starts with "$", which is reserved. Rename the node.`,
      );
    }
    if (topology.has(id) || taken.has(id)) {
      throw new InvalidSpecError(
        `Duplicate node id ${JSON.stringify(id)} at ${path}: node ids must be unique in a tree.`,
      );
    }
    if (critical !== undefined && typeof critical !== 'boolean') {
      throw new InvalidSpecError(
        `${path}.critical must be a boolean; got ${JSON.stringify(critical)}.`,
      );
    }
    if (remote !== undefined && typeof remote !== 'boolean') {
      throw new InvalidSpecError(
        `${path}.remote must be a boolean; got ${JSON.stringify(remote)}.`,
      );
    }
    if (remote === true && depth === baseDepth && parentId === null) {
      throw new InvalidSpecError(
        `${path} (${JSON.stringify(id)}) is the root and cannot be remote: run the root here and mark its children remote.`,
      );
    }
    if (children !== undefined && !Array.isArray(children)) {
      throw new InvalidSpecError(`${path}.children must be an array of node specs.`);
    }
    const kids = children ?? [];
    if (remote === true) remoteIds.push(id);
    topology.set(id, {
      parentId: parent,
      critical: critical === true,
      childIds: kids.map((c) => (c as Partial<NodeSpec> | null)?.id ?? ''),
    });
    kids.forEach((child, i) =>
      stack.push({ spec: child, parentId: id, path: `${path}.children[${i}]`, depth: depth + 1 }),
    );
  }
  return pruneRemote(topology, remoteIds);
}

/**
 * A remote node keeps no children here (they run in its host): its descendants leave the
 * topology, and their count stays as its size until it reports.
 */
function pruneRemote(topology: Topology, remoteIds: readonly string[]): Topology {
  for (const id of remoteIds) {
    const placement = topology.get(id);
    if (placement === undefined) continue; // below another remote node
    const size = subtreeSizes(topology, id).get(id)!;
    for (const below of subtreeIds(topology, id).slice(1)) topology.delete(below);
    topology.set(id, {
      parentId: placement.parentId,
      critical: placement.critical,
      childIds: [],
      remote: size,
    });
  }
  return topology;
}

/**
 * The statechart's view of a node and its subtree, built from the current topology.
 * @param inline which nodes the runtime runs without an actor (marked `inline`); none by default
 */
export function shapeOf(
  topology: Topology,
  id: string,
  inline: (nodeId: string) => boolean = () => false,
): NodeShape {
  const build = (nodeId: string): NodeShape => {
    const placement = topology.get(nodeId)!;
    return {
      id: nodeId,
      critical: placement.critical,
      children: placement.childIds.map(build),
      ...(placement.remote ? { remote: true } : {}),
      ...(inline(nodeId) ? { inline: true } : {}),
    };
  };
  return build(id);
}

/** Ids of `id` and all its descendants. */
export function subtreeIds(topology: Topology, id: string): string[] {
  const out: string[] = [];
  const stack = [id];
  while (stack.length > 0) {
    const next = stack.pop()!;
    out.push(next);
    stack.push(...(topology.get(next)?.childIds ?? []));
  }
  return out;
}

/** Node counts of every subtree, bottom-up. */
export function subtreeSizes(
  topology: Topology,
  rootId: string,
): Map<string, { nodes: number; leaves: number }> {
  const sizes = new Map<string, { nodes: number; leaves: number }>();
  const order = subtreeIds(topology, rootId).reverse();
  for (const id of order) {
    const { childIds, remote } = topology.get(id)!;
    if (remote) {
      sizes.set(id, remote);
      continue;
    }
    let nodes = 1;
    let leaves = childIds.length === 0 ? 1 : 0;
    for (const childId of childIds) {
      const size = sizes.get(childId)!;
      nodes += size.nodes;
      leaves += size.leaves;
    }
    sizes.set(id, { nodes, leaves });
  }
  return sizes;
}

/** Whether any node of `topology` runs in another process. */
export function hasRemoteNodes(topology: Topology): boolean {
  for (const placement of topology.values()) if (placement.remote) return true;
  return false;
}

/**
 * The part of a whole tree's spec that one host runs: the subtree at `nodeId` (no longer
 * marked remote; remote nodes below it stay remote) and the id of its parent, for
 * `createCoordinationTree({ root, parent })`.
 * @throws InvalidSpecError if the spec is malformed, `nodeId` is not in it, or is its root
 */
export function hostedSpec(root: NodeSpec, nodeId: string): { root: NodeSpec; parent: string } {
  validateSpec(root);
  const stack: { spec: NodeSpec; parent: string | null }[] = [{ spec: root, parent: null }];
  while (stack.length > 0) {
    const { spec, parent } = stack.pop()!;
    if (spec.id === nodeId) {
      if (parent === null) {
        throw new InvalidSpecError(
          `${JSON.stringify(nodeId)} is the root of the spec; a host runs a subtree below it. Run the root with \`fractal-coord run\`.`,
        );
      }
      const { remote: _remote, ...local } = spec;
      return { root: local, parent };
    }
    for (const child of spec.children ?? []) stack.push({ spec: child, parent: spec.id });
  }
  throw new InvalidSpecError(
    `No node ${JSON.stringify(nodeId)} in the spec (its root is ${JSON.stringify(root.id)}). Check --node against the spec file.`,
  );
}
