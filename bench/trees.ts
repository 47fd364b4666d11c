/**
 * The tree every side of the in-process bench builds: a balanced tree of fan-out 10, described
 * once as a {@link NodeSpec} that fractal-coord takes as is and that raw XState and the
 * plain-JavaScript floor walk to build the same shape. Also the leaf work, the same on all
 * three sides.
 */
import type { NodeSpec } from '../src/index.js';

export const FAN_OUT = 10;

/** A balanced tree and its size. */
export interface BenchTree {
  readonly spec: NodeSpec;
  readonly levels: number;
  readonly nodes: number;
  readonly leaves: number;
}

/**
 * A balanced tree of `levels` levels (the root alone is 1 level): 4 levels of fan-out 10 make
 * 1 111 nodes, 5 make 11 111, 6 make 111 111. Ids are dotted paths from the root (`n.3.7`).
 */
export function balancedTree(levels: number, fanOut = FAN_OUT): BenchTree {
  let nodes = 0;
  let leaves = 0;
  const build = (id: string, depth: number): NodeSpec => {
    nodes++;
    if (depth === levels - 1) {
      leaves++;
      return { id };
    }
    return {
      id,
      children: Array.from({ length: fanOut }, (_, i) => build(`${id}.${i}`, depth + 1)),
    };
  };
  const spec = build('n', 0);
  return { spec, levels, nodes, leaves };
}

/** Levels of the balanced tree of fan-out 10 with this many nodes (1 111 → 4). */
export function levelsFor(nodes: number, fanOut = FAN_OUT): number {
  let total = 0;
  let width = 1;
  for (let levels = 1; levels <= 12; levels++) {
    total += width;
    if (total === nodes) return levels;
    width *= fanOut;
  }
  throw new Error(`${nodes} nodes is not a balanced tree of fan-out ${fanOut}`);
}

/**
 * What a leaf executes for a command, on every side: synchronous, trivial, returns a value.
 * fractal-coord's handler, raw XState's leaf action and the floor's leaf all call it.
 */
export function leafWork(nodeId: string, commandName: string): string {
  return commandName.length + nodeId.length > 0 ? 'ok' : 'empty';
}
