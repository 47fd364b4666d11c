/**
 * Which nodes are expanded, and where the visible ones go. Only the visible part of the tree
 * is laid out (d3-hierarchy's tidy tree, growing left to right), so the cost follows what is
 * on screen, not the size of the tree.
 */
/* global d3 */

/** Nodes visible by default: whole levels are expanded from the root while they fit. */
export const DEFAULT_VISIBLE = 150;

/** Geometry shared with the renderer (px). */
export const GEOMETRY = {
  radius: 7,
  labelGap: 6,
  toggleRadius: 6,
  rowHeight: 22,
  columnGap: 44,
  rollupBar: 48,
  rollupReserve: 64,
  maxLabelChars: 28,
};

/**
 * The ids expanded by default: the root, then each following level as a whole while the
 * visible count stays within `budget`. O(nodes visible + one level).
 */
export function defaultExpansion(model, budget = DEFAULT_VISIBLE) {
  const expanded = new Set();
  if (!model.root) return expanded;
  let level = [model.root];
  let visible = 1;
  let first = true;
  while (level.length > 0) {
    let next = 0;
    for (const node of level) next += node.children.length;
    if (next === 0 || (!first && visible + next > budget)) break;
    const nextLevel = [];
    for (const node of level) {
      if (node.children.length === 0) continue;
      expanded.add(node.id);
      for (const child of node.children) nextLevel.push(child);
    }
    visible += next;
    level = nextLevel;
    first = false;
  }
  return expanded;
}

/** A label as drawn: ids longer than `maxLabelChars` are shortened (the tooltip has them whole). */
export function labelOf(id) {
  const max = GEOMETRY.maxLabelChars;
  return id.length > max ? `${id.slice(0, max - 1)}…` : id;
}

/**
 * Lays out the visible tree. `measure(text)` gives a label's width in px; `badgeWidth(node)`
 * the width of a collapsed node's roll-up text. Returns the visible nodes with their position
 * (`x` across, `y` down) and geometry, and the bounds.
 */
export function layoutTree(model, expanded, measure, badgeWidth) {
  if (!model.root) return { nodes: [], bounds: { x0: 0, y0: 0, x1: 0, y1: 0 } };
  const g = GEOMETRY;
  const hierarchy = d3.hierarchy(model.root, (node) =>
    expanded.has(node.id) && node.children.length > 0 ? node.children : null,
  );

  // Each node's extent to the right of its centre, and each column's width.
  const columns = [];
  hierarchy.each((h) => {
    const node = h.data;
    const labelWidth = measure(labelOf(node.id));
    const hasChildren = node.children.length > 0;
    const collapsed = hasChildren && !h.children;
    const toggleX = g.radius + g.labelGap + labelWidth + g.labelGap + g.toggleRadius;
    const rollupX = toggleX + g.toggleRadius + g.labelGap;
    let extent = g.radius + g.labelGap + labelWidth;
    if (hasChildren) extent = toggleX + g.toggleRadius;
    if (collapsed) extent = rollupX + g.rollupBar + g.labelGap + badgeWidth(node) + g.rollupReserve;
    h.geometry = { labelWidth, hasChildren, collapsed, toggleX, rollupX, extent };
    columns[h.depth] = Math.max(columns[h.depth] ?? 0, extent);
  });
  const offsets = [0];
  for (let depth = 1; depth < columns.length; depth++) {
    offsets[depth] = offsets[depth - 1] + columns[depth - 1] + g.columnGap;
  }

  d3
    .tree()
    .nodeSize([g.rowHeight, 1])
    .separation((a, b) => (a.parent === b.parent ? 1 : 1.25))(hierarchy);

  const nodes = [];
  let y0 = Infinity;
  let y1 = -Infinity;
  let x1 = 0;
  hierarchy.each((h) => {
    const x = offsets[h.depth];
    const y = h.x;
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
    x1 = Math.max(x1, x + h.geometry.extent);
    nodes.push({
      id: h.data.id,
      node: h.data,
      parentId: h.parent ? h.parent.data.id : null,
      x,
      y,
      ...h.geometry,
    });
  });
  const r = g.rowHeight / 2;
  return { nodes, bounds: { x0: -g.radius - 4, y0: y0 - r, x1, y1: y1 + r } };
}
