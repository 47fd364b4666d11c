/**
 * Arbitrary trees for property runs: random recursive trees (each node's parent drawn among the
 * nodes before it), some children critical, within a size range.
 */
import fc from 'fast-check';
import type { NodeSpec } from '../../helpers/imports.js';

/** A tree spec and the facts about it the properties need. */
export interface DrawnTree {
  readonly spec: NodeSpec;
  /** Node ids, the root first; a parent always comes before its children. */
  readonly ids: readonly string[];
  /** Parent of each node but the root. */
  readonly parentOf: ReadonlyMap<string, string>;
  /** Leaves (the nodes that run commands). */
  readonly leaves: number;
}

/** Builds the tree where node `i + 1`'s parent is node `parents[i]` (an index below `i + 1`). */
export function treeFromParents(
  parents: readonly number[],
  critical: readonly boolean[],
): DrawnTree {
  const ids = ['n0', ...parents.map((_, i) => `n${i + 1}`)];
  const children = new Map<string, NodeSpec[]>();
  const parentOf = new Map<string, string>();
  parents.forEach((parent, i) => parentOf.set(ids[i + 1]!, ids[parent]!));
  const build = (id: string, index: number): NodeSpec => {
    const kids = ids
      .map((childId, childIndex) => [childId, childIndex] as const)
      .filter(([childId]) => parentOf.get(childId) === id)
      .map(([childId, childIndex]) => build(childId, childIndex));
    children.set(id, kids);
    return {
      id,
      ...(index > 0 && critical[index - 1] ? { critical: true } : {}),
      ...(kids.length > 0 ? { children: kids } : {}),
    };
  };
  const spec = build('n0', 0);
  const leaves = ids.filter((id) => (children.get(id) ?? []).length === 0).length;
  return { spec, ids, parentOf, leaves };
}

/** Trees of `minNodes` to `maxNodes` nodes, about one child in eight critical. */
export function treeArbitrary(minNodes: number, maxNodes: number): fc.Arbitrary<DrawnTree> {
  return fc
    .integer({ min: minNodes - 1, max: maxNodes - 1 })
    .chain((n) =>
      fc.tuple(
        fc.tuple(...Array.from({ length: n }, (_, i) => fc.integer({ min: 0, max: i }))),
        fc.array(
          fc.integer({ min: 0, max: 7 }).map((x) => x === 0),
          { minLength: n, maxLength: n },
        ),
      ),
    )
    .map(([parents, critical]) => treeFromParents(parents, critical));
}
