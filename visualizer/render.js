/**
 * The tree in SVG: one `<g class="node">` per visible node and one path per visible edge,
 * kept by id and only touched where something changed. The SVG is as large as the drawing at
 * the current zoom, inside a scrolling container: scroll or drag to pan, Ctrl + wheel to zoom.
 */
/* global document, getComputedStyle, Element, ResizeObserver */
import { GEOMETRY, labelOf } from './layout.js';
import { formatCount } from './format.js';
import { STATES } from './model.js';

const SVG = 'http://www.w3.org/2000/svg';
const TOGGLE_CIRCLE = (r) => `M${-r},0a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;
/** Margin around the drawing, px. */
const PAD = 24;
const KILL_MARK = 'M-4.5,-4.5L4.5,4.5M4.5,-4.5L-4.5,4.5';
/** Roll-up counts shown as numbers after the total, most alarming first. */
const ALARMS = ['FAILED', 'DEGRADED', 'CONNECTING', 'DISCONNECTED'];

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

export class TreeView {
  /**
   * @param {HTMLElement} scroller the scrolling element around the SVG
   * @param {SVGSVGElement} svg
   * @param {{ palette: Record<string,string>, onSelect: (id: string) => void,
   *   onToggle: (id: string) => void, onHover: (id: string | null, event?: PointerEvent) => void }} options
   */
  constructor(scroller, svg, options) {
    this.scroller = scroller;
    this.svg = svg;
    this.options = options;
    this.viewport = el('g', { class: 'viewport' }, svg);
    this.edgeLayer = el('g', { class: 'edges' }, this.viewport);
    this.nodeLayer = el('g', { class: 'nodes' }, this.viewport);
    /** id → { g, shape, kill, rollup, state, alive, ... } */
    this.entries = new Map();
    /** child id → { path, link } */
    this.edges = new Map();
    this.layout = null;
    this.selectedId = null;
    /** Zoom, and where layout point (0, 0) lands in the SVG. */
    this.k = 1;
    this.origin = { x: 0, y: 0 };
    this.#measureSetup();
    this.#interaction();
  }

  /** Label widths from the font the stylesheet gives labels, cached per text. */
  #measureSetup() {
    const probe = el('text', { class: 'label' }, this.nodeLayer);
    const style = getComputedStyle(probe);
    const font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    probe.remove();
    const context = document.createElement('canvas').getContext('2d');
    context.font = font;
    const cache = new Map();
    this.measure = (text) => {
      let width = cache.get(text);
      if (width === undefined) {
        width = Math.ceil(context.measureText(text).width);
        if (cache.size > 50_000) cache.clear();
        cache.set(text, width);
      }
      return width;
    };
  }

  /** Draws a new layout: creates, moves and removes node and edge elements by id. */
  setLayout(layout, model, anchorId = null) {
    const before = anchorId ? this.entries.get(anchorId) : undefined;
    const anchor = before ? this.#toView(before.x, before.y) : null;
    this.layout = layout;
    const seen = new Set();
    const byId = new Map();
    for (const item of layout.nodes) byId.set(item.id, item);
    for (const item of layout.nodes) {
      seen.add(item.id);
      let entry = this.entries.get(item.id);
      if (!entry) {
        entry = this.#createNode(item);
        this.entries.set(item.id, entry);
      }
      this.#placeNode(entry, item);
      this.#paintNode(entry, item.node);
      if (item.collapsed) this.#paintRollup(entry, item.node);
      if (item.parentId !== null) this.#placeEdge(item, byId.get(item.parentId), model);
    }
    for (const [id, entry] of this.entries) {
      if (!seen.has(id)) {
        entry.g.remove();
        this.entries.delete(id);
      }
    }
    for (const [id, edge] of this.edges) {
      const item = byId.get(id);
      if (!item || item.parentId === null) {
        edge.path.remove();
        this.edges.delete(id);
      }
    }
    this.#applyTransform();
    const after = anchorId ? this.entries.get(anchorId) : undefined;
    if (anchor && after) this.#scrollTo(after.x, after.y, anchor.x, anchor.y);
  }

  /** Redraws what changed in the model since the last frame, for the visible nodes only. */
  update(model) {
    for (const id of model.changed) {
      const entry = this.entries.get(id);
      if (entry) this.#paintNode(entry, entry.item.node);
    }
    for (const id of model.rollupsChanged) {
      const entry = this.entries.get(id);
      if (entry && entry.item.collapsed) this.#paintRollup(entry, entry.item.node);
    }
    for (const childId of model.linksChanged) {
      const edge = this.edges.get(childId);
      const child = model.nodes.get(childId);
      if (edge && child && child.parent) this.#paintEdge(edge, child.parent.links[childId]);
    }
  }

  select(id) {
    if (this.selectedId !== null) this.entries.get(this.selectedId)?.g.classList.remove('selected');
    this.selectedId = id;
    if (id !== null) this.entries.get(id)?.g.classList.add('selected');
  }

  #createNode(item) {
    const g = el('g', { class: 'node', 'data-node-id': item.id }, this.nodeLayer);
    if (item.node.remote) el('circle', { class: 'remote-ring', r: GEOMETRY.radius + 3 }, g);
    const shape = el('circle', { class: 'node-shape', r: GEOMETRY.radius }, g);
    const label = el(
      'text',
      { class: 'label', x: GEOMETRY.radius + GEOMETRY.labelGap, dy: '0.35em' },
      g,
    );
    label.textContent = labelOf(item.id);
    if (item.id === this.selectedId) g.classList.add('selected');
    return { g, shape, label, kill: null, toggle: null, rollup: null, item, x: NaN, y: NaN };
  }

  #placeNode(entry, item) {
    entry.item = item;
    if (entry.x !== item.x || entry.y !== item.y) {
      entry.x = item.x;
      entry.y = item.y;
      entry.g.setAttribute('transform', `translate(${item.x},${item.y})`);
    }
    if (item.hasChildren) {
      if (!entry.toggle) {
        entry.toggle = el('path', { class: 'toggle' }, entry.g);
        entry.toggleKey = '';
      }
      const key = `${item.toggleX}|${item.collapsed}`;
      if (entry.toggleKey !== key) {
        entry.toggleKey = key;
        const r = GEOMETRY.toggleRadius;
        const plus = item.collapsed ? `M0,${-r / 2}V${r / 2}` : '';
        entry.toggle.setAttribute('d', `${TOGGLE_CIRCLE(r)}M${-r / 2},0H${r / 2}${plus}`);
        entry.toggle.setAttribute('transform', `translate(${item.toggleX},0)`);
      }
    } else if (entry.toggle) {
      entry.toggle.remove();
      entry.toggle = null;
    }
    if (item.collapsed) {
      entry.g.setAttribute('data-collapsed', 'true');
      if (!entry.rollup) {
        const rollup = el('g', { class: 'rollup' }, entry.g);
        const text = el(
          'text',
          { class: 'rollup-text', x: GEOMETRY.rollupBar + GEOMETRY.labelGap, dy: '0.35em' },
          rollup,
        );
        entry.rollup = { g: rollup, text, rects: [], key: '' };
      }
      entry.rollup.g.setAttribute('transform', `translate(${item.rollupX},0)`);
    } else {
      entry.g.removeAttribute('data-collapsed');
      if (entry.rollup) {
        entry.rollup.g.remove();
        entry.rollup = null;
      }
    }
  }

  #paintNode(entry, node) {
    if (entry.state !== node.state) {
      entry.state = node.state;
      entry.g.setAttribute('data-state', node.state);
    }
    if (entry.alive !== node.alive) {
      entry.alive = node.alive;
      entry.g.setAttribute('data-alive', String(node.alive));
      if (!node.alive && !entry.kill) {
        entry.kill = el('path', { class: 'kill-mark', d: KILL_MARK });
        entry.shape.after(entry.kill);
      } else if (node.alive && entry.kill) {
        entry.kill.remove();
        entry.kill = null;
      }
    }
    if (node.remote && entry.remote !== true) {
      entry.remote = true;
      entry.g.setAttribute('data-remote', 'true');
    }
  }

  /** The roll-up badge: a bar split by state (each present state at least 2 px) and counts. */
  #paintRollup(entry, node) {
    const rollup = entry.rollup;
    const key = `${node.below.join(',')}|${node.belowKilled}`;
    if (rollup.key === key) return;
    rollup.key = key;
    const { palette } = this.options;
    const total = node.belowTotal || 1;
    const widths = node.below.map((count) =>
      count === 0 ? 0 : Math.max(2, (count / total) * GEOMETRY.rollupBar),
    );
    const sum = widths.reduce((a, b) => a + b, 0);
    const widest = widths.indexOf(Math.max(...widths));
    widths[widest] -= sum - GEOMETRY.rollupBar;
    for (const rect of rollup.rects) rect.remove();
    rollup.rects = [];
    let x = 0;
    for (let s = 0; s < STATES.length; s++) {
      if (widths[s] <= 0) continue;
      const rect = el('rect', { x, y: -4, width: widths[s], height: 8, fill: palette[STATES[s]] });
      rollup.g.insertBefore(rect, rollup.text);
      rollup.rects.push(rect);
      x += widths[s];
    }
    rollup.text.replaceChildren(document.createTextNode(formatCount(node.belowTotal)));
    for (const state of ALARMS) {
      const count = node.below[STATES.indexOf(state)];
      if (count === 0 || state === 'SYNCHRONIZED') continue;
      const span = el('tspan', { fill: palette[state], class: 'rollup-alarm' }, rollup.text);
      span.textContent = ` ●${formatCount(count)}`;
    }
  }

  #placeEdge(item, parentItem, model) {
    let edge = this.edges.get(item.id);
    if (!edge) {
      edge = { path: el('path', { class: 'link' }, this.edgeLayer), link: undefined, d: '' };
      this.edges.set(item.id, edge);
    }
    const sx = parentItem.x + parentItem.toggleX + GEOMETRY.toggleRadius;
    const sy = parentItem.y;
    const tx = item.x - GEOMETRY.radius - 1;
    const ty = item.y;
    const mx = (sx + tx) / 2;
    const d = `M${sx},${sy}C${mx},${sy} ${mx},${ty} ${tx},${ty}`;
    if (edge.d !== d) {
      edge.d = d;
      edge.path.setAttribute('d', d);
    }
    const parent = model.nodes.get(item.parentId);
    this.#paintEdge(edge, parent ? parent.links[item.id] : undefined);
  }

  #paintEdge(edge, linkState) {
    const link = linkState ?? 'pending';
    if (edge.link !== link) {
      edge.link = link;
      edge.path.setAttribute('data-link', link);
    }
  }

  // --- pan and zoom -------------------------------------------------------------------------

  /** Sizes the SVG to the drawing at the current zoom (at least the view), centring it. */
  #applyTransform() {
    const { x0, y0, x1, y1 } = this.layout?.bounds ?? { x0: 0, y0: 0, x1: 0, y1: 0 };
    const k = this.k;
    const width = (x1 - x0) * k + 2 * PAD;
    const height = (y1 - y0) * k + 2 * PAD;
    const svgWidth = Math.max(this.scroller.clientWidth, Math.ceil(width));
    const svgHeight = Math.max(this.scroller.clientHeight, Math.ceil(height));
    this.origin = {
      x: PAD - x0 * k + (svgWidth - width) / 2,
      y: PAD - y0 * k + (svgHeight - height) / 2,
    };
    if (this.svgWidth !== svgWidth || this.svgHeight !== svgHeight) {
      this.svgWidth = svgWidth;
      this.svgHeight = svgHeight;
      this.svg.style.width = `${svgWidth}px`;
      this.svg.style.height = `${svgHeight}px`;
    }
    this.viewport.setAttribute(
      'transform',
      `translate(${this.origin.x},${this.origin.y}) scale(${k})`,
    );
  }

  /** Where a layout point is, relative to the visible area's top left corner. */
  #toView(x, y) {
    return {
      x: this.origin.x + x * this.k - this.scroller.scrollLeft,
      y: this.origin.y + y * this.k - this.scroller.scrollTop,
    };
  }

  /** Scrolls so that layout point (x, y) shows at (viewX, viewY) of the visible area. */
  #scrollTo(x, y, viewX, viewY) {
    this.scroller.scrollLeft = this.origin.x + x * this.k - viewX;
    this.scroller.scrollTop = this.origin.y + y * this.k - viewY;
  }

  /**
   * Zooms so the visible tree fits the view, within [minScale, maxScale]; if it still does
   * not fit, scrolls to the root (vertically centred).
   */
  fit(minScale = 0.05, maxScale = 1) {
    if (!this.layout || this.layout.nodes.length === 0) return;
    const { x0, y0, x1, y1 } = this.layout.bounds;
    const width = this.scroller.clientWidth - 2 * PAD;
    const height = this.scroller.clientHeight - 2 * PAD;
    const scale = Math.min(width / (x1 - x0), height / (y1 - y0));
    this.k = Math.min(maxScale, Math.max(minScale, scale));
    this.#applyTransform();
    const root = this.layout.nodes[0];
    this.#scrollTo(root.x, root.y, PAD + (root.x - x0) * this.k, this.scroller.clientHeight / 2);
  }

  #zoomAt(factor, viewX, viewY) {
    const k = Math.min(4, Math.max(0.05, this.k * factor));
    const x = (viewX + this.scroller.scrollLeft - this.origin.x) / this.k;
    const y = (viewY + this.scroller.scrollTop - this.origin.y) / this.k;
    this.k = k;
    this.#applyTransform();
    this.#scrollTo(x, y, viewX, viewY);
  }

  zoomBy(factor) {
    this.#zoomAt(factor, this.scroller.clientWidth / 2, this.scroller.clientHeight / 2);
  }

  #interaction() {
    const { svg, scroller } = this;
    let drag = null;
    let suppressClick = false;
    scroller.addEventListener(
      'wheel',
      (event) => {
        if (!event.ctrlKey && !event.metaKey) return;
        event.preventDefault();
        const box = scroller.getBoundingClientRect();
        const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
        this.#zoomAt(Math.exp(-delta * 0.002), event.clientX - box.left, event.clientY - box.top);
      },
      { passive: false },
    );
    new ResizeObserver(() => this.#applyTransform()).observe(scroller);
    svg.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      drag = {
        x: event.clientX,
        y: event.clientY,
        left: scroller.scrollLeft,
        top: scroller.scrollTop,
      };
      suppressClick = false;
    });
    svg.addEventListener('pointermove', (event) => {
      if (drag) {
        const dx = event.clientX - drag.x;
        const dy = event.clientY - drag.y;
        if (!suppressClick && Math.hypot(dx, dy) > 4) {
          suppressClick = true;
          svg.setPointerCapture(event.pointerId);
          svg.classList.add('panning');
        }
        if (suppressClick) {
          scroller.scrollLeft = drag.left - dx;
          scroller.scrollTop = drag.top - dy;
        }
      }
      this.options.onHover(drag && suppressClick ? null : this.#nodeIdAt(event.target), event);
    });
    const end = () => {
      drag = null;
      svg.classList.remove('panning');
    };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    svg.addEventListener('pointerleave', () => this.options.onHover(null));
    svg.addEventListener('click', (event) => {
      if (suppressClick) {
        suppressClick = false;
        return;
      }
      const target = /** @type {Element} */ (event.target);
      const id = this.#nodeIdAt(target);
      if (id === null) return;
      if (target.closest('.toggle, .rollup')) this.options.onToggle(id);
      else if (target.closest('.node-shape, .label, .kill-mark, .remote-ring')) {
        this.options.onSelect(id);
      }
    });
  }

  #nodeIdAt(target) {
    const g = target instanceof Element ? target.closest('.node') : null;
    return g ? g.getAttribute('data-node-id') : null;
  }
}
