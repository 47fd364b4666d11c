/**
 * The visualizer page: connects to the server's event stream, keeps the model of the tree,
 * and draws it (at most once per animation frame) with the side panels and the controls.
 */
/* global document, getComputedStyle, requestAnimationFrame, location, performance */
import { Connection } from './connection.js';
import { defaultExpansion, layoutTree } from './layout.js';
import { STATES, TreeModel, breakdown, displayState } from './model.js';
import { describeNode, formatCount } from './format.js';
import { Panels } from './panels.js';
import { TreeView } from './render.js';
import { Requests } from './requests.js';

const $ = (selector) => document.querySelector(selector);

/** State colours, defined once in style.css as --state-<STATE>. */
function readPalette() {
  const style = getComputedStyle(document.documentElement);
  const palette = {};
  for (const state of STATES) palette[state] = style.getPropertyValue(`--state-${state}`).trim();
  return palette;
}

/** The first view's zoom: the visible tree fitted, but never so small that labels blur. */
const INITIAL_MIN_SCALE = 0.8;
const INITIAL_MAX_SCALE = 1.25;

const palette = readPalette();
const page = {
  model: null,
  expanded: new Set(),
  layoutDirty: false,
  anchorId: null,
  selectedId: null,
  selectionDirty: false,
  controls: new Set(),
  closed: false,
  rendered: false,
  snapshotPending: false,
  hoverId: null,
  modelMs: '0',
};

// --- drawing --------------------------------------------------------------------------------

const tooltip = $('#tooltip');
const view = new TreeView($('#tree-scroll'), $('#tree'), {
  palette,
  onSelect: (id) => select(id),
  onToggle: (id) => toggle(id),
  onHover: (id, event) => hover(id, event),
});
const panels = new Panels({
  messages: $('#messages'),
  notable: $('#notable'),
  timeline: $('#timeline'),
  commands: $('#commands'),
  commandTally: $('#command-tally'),
  skipped: $('#messages-skipped'),
});

let frameRequested = false;
function schedule() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    render();
  });
}

function render() {
  const { model } = page;
  if (model) {
    if (page.layoutDirty) {
      const started = performance.now();
      const badgeWidth = (node) => view.measure(formatCount(node.belowTotal));
      const layout = layoutTree(model, page.expanded, view.measure, badgeWidth);
      view.setLayout(layout, model, page.anchorId);
      page.layoutDirty = false;
      page.anchorId = null;
      const ms = (performance.now() - started).toFixed(1);
      $('#render-stats').textContent =
        `${formatCount(layout.nodes.length)} of ${formatCount(model.nodes.size)} nodes shown · ` +
        `model ${page.modelMs} ms, layout and drawing ${ms} ms`;
    }
    view.update(model);
    if (page.selectionDirty || (page.selectedId !== null && model.changed.has(page.selectedId))) {
      drawDetails();
    }
    model.clearChanges();
    drawSummary();
  }
  page.selectionDirty = false;
  panels.flush();
}

function drawSummary() {
  const { counts, killed, total } = page.model.totals();
  const summary = $('#summary');
  summary.replaceChildren();
  const add = (text, state) => {
    const span = document.createElement('span');
    span.className = 'summary-item';
    if (state) span.dataset.state = state;
    span.textContent = text;
    summary.appendChild(span);
  };
  add(`${formatCount(total)} nodes`);
  for (const [label, n, state] of breakdown(counts, killed))
    add(`${formatCount(n)} ${label}`, state);
}

function hover(id, event) {
  if (id === null || !page.model) {
    tooltip.hidden = true;
    page.hoverId = null;
    return;
  }
  const node = page.model.nodes.get(id);
  if (!node) return;
  if (page.hoverId !== id || tooltip.hidden) {
    page.hoverId = id;
    tooltip.replaceChildren(
      ...describeNode(node).map((line) => {
        const div = document.createElement('div');
        div.textContent = line;
        return div;
      }),
    );
    tooltip.hidden = false;
  }
  const pane = $('#tree-pane').getBoundingClientRect();
  tooltip.style.left = `${event.clientX - pane.left + 14}px`;
  tooltip.style.top = `${event.clientY - pane.top + 14}px`;
}

// --- selection and details ------------------------------------------------------------------

function select(id) {
  page.selectedId = id;
  page.selectionDirty = true;
  view.select(id);
  $('#selected-node').textContent = id ?? '';
  schedule();
}

function detail(list, term, value, state) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  if (state) {
    dd.className = 'state';
    dd.dataset.state = state;
  }
  list.append(dt, dd);
}

function drawDetails() {
  const node = page.selectedId === null ? undefined : page.model?.nodes.get(page.selectedId);
  const list = $('#node-details');
  const links = $('#node-links');
  list.replaceChildren();
  links.replaceChildren();
  updateButtons();
  if (!node) return;
  detail(list, 'state', node.state, displayState(node));
  detail(list, 'alive', node.alive ? 'yes' : 'no (killed)');
  detail(list, 'reason', node.reason || '—');
  detail(list, 'parent', node.parentId ?? '— (root)');
  if (node.remote) detail(list, 'remote', `yes, ${formatCount(node.subtree?.nodes ?? 0)} nodes`);
  if (node.children.length > 0) {
    const parts = breakdown(node.below, node.belowKilled);
    detail(list, 'below', parts.map(([label, n]) => `${formatCount(n)} ${label}`).join(', '));
  }
  const entries = Object.entries(node.links);
  const shown = entries.slice(0, 60);
  for (const [childId, link] of shown) {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'node-id';
    name.textContent = childId;
    const state = document.createElement('span');
    state.className = 'link-state';
    state.dataset.link = link;
    state.textContent = link;
    li.append(name, state);
    links.appendChild(li);
  }
  if (entries.length > shown.length) {
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = `… ${formatCount(entries.length - shown.length)} more links`;
    links.appendChild(li);
  }
}

function toggle(id) {
  if (page.expanded.has(id)) page.expanded.delete(id);
  else page.expanded.add(id);
  page.layoutDirty = true;
  page.anchorId = id;
  schedule();
}

// --- the model ------------------------------------------------------------------------------

/** Replaces the model; keeps what was expanded and selected if the tree is the same one. */
function adopt(snapshot) {
  const previous = page.model;
  const started = performance.now();
  const model = new TreeModel(snapshot);
  page.modelMs = (performance.now() - started).toFixed(1);
  const sameTree = previous && previous.root && model.root && previous.root.id === model.root.id;
  if (sameTree) {
    for (const id of page.expanded) if (!model.nodes.has(id)) page.expanded.delete(id);
  } else {
    page.expanded = defaultExpansion(model);
  }
  page.model = model;
  page.layoutDirty = true;
  if (page.selectedId !== null && !model.nodes.has(page.selectedId)) select(null);
  page.selectionDirty = true;
  return !sameTree;
}

function onHello(message) {
  page.controls = new Set(message.controls ?? []);
  $('#tree-name').textContent = message.treeName ?? '';
  document.title = `${message.treeName ?? 'tree'} · fractal-coord`;
  const fresh = adopt(message.snapshot);
  render();
  if (fresh || !page.rendered) view.fit(INITIAL_MIN_SCALE, INITIAL_MAX_SCALE);
  page.rendered = true;
  updateButtons();
  document.body.dataset.ready = 'true';
}

function onEvents(message) {
  let structure = false;
  for (const event of message.events) {
    if (page.model && page.model.apply(event) === 'structure') structure = true;
    panels.add(event);
  }
  panels.addSkipped(message.messagesSkipped ?? 0);
  if (structure) requestSnapshot();
  schedule();
}

function requestSnapshot() {
  if (page.snapshotPending) return;
  page.snapshotPending = requests.send('snapshot', {}, 'snapshot') !== null;
}

// --- requests and results -------------------------------------------------------------------

const requests = new Requests(
  { last: $('#last-result'), history: $('#results') },
  {
    send: (message) => connection.send(message),
    onCommand: (value) => {
      panels.commandResult(value);
      schedule();
    },
    onSnapshotAnswered: () => {
      page.snapshotPending = false;
    },
  },
);

// --- controls -------------------------------------------------------------------------------

/**
 * Enables the controls that apply now; hides those the server does not offer (known once its
 * `hello` arrived: until then they are only disabled).
 */
function updateButtons() {
  const node = page.selectedId === null ? undefined : page.model?.nodes.get(page.selectedId);
  const parentId = node?.parent ? node.parent.id : null;
  const offered = (action) => page.controls.has(action) && !page.closed;
  const hide = (action) => page.rendered && !page.controls.has(action);
  for (const action of ['kill', 'revive', 'recover', 'partition', 'heal', 'shutdown']) {
    const button = $(`#${action}`);
    const needsParent = action === 'partition' || action === 'heal';
    button.hidden = hide(action);
    button.disabled =
      !offered(action) || (action !== 'shutdown' && !node) || (needsParent && parentId === null);
  }
  $('#link-buttons').hidden = hide('partition') && hide('heal');
  $('#partition-pair').textContent = node && parentId !== null ? `${parentId} ⇄ ${node.id}` : '';
  $('#command-panel').hidden = hide('command');
  $('#tree-panel').hidden = hide('shutdown');
  $('#run-command').disabled = !offered('command');
}

function onNode(action) {
  const id = page.selectedId;
  if (id === null) return;
  if (action === 'partition' || action === 'heal') {
    const parentId = page.model?.nodes.get(id)?.parent?.id;
    if (!parentId) return;
    requests.send(action, { a: parentId, b: id }, `${action} ${parentId} ⇄ ${id}`);
  } else {
    requests.send(action, { nodeId: id }, `${action} ${id}`);
  }
}

for (const action of ['kill', 'revive', 'recover', 'partition', 'heal']) {
  $(`#${action}`).addEventListener('click', () => onNode(action));
}
$('#shutdown').addEventListener('click', () => requests.send('shutdown', {}, 'shutdown'));
$('#command-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const name = $('#command-name').value.trim();
  if (name === '') {
    requests.show('command: a name is required', false);
    return;
  }
  const text = $('#command-payload').value.trim();
  const fields = { name };
  if (text !== '') {
    try {
      fields.payload = JSON.parse(text);
    } catch (error) {
      requests.show(`command ${name}: payload is not JSON (${error.message})`, false);
      return;
    }
  }
  requests.send('command', fields, `command ${name}`);
});
$('#fit').addEventListener('click', () => view.fit());
$('#zoom-in').addEventListener('click', () => view.zoomBy(1.25));
$('#zoom-out').addEventListener('click', () => view.zoomBy(0.8));
$('#default-view').addEventListener('click', () => {
  if (!page.model) return;
  page.expanded = defaultExpansion(page.model);
  page.layoutDirty = true;
  render();
  view.fit(INITIAL_MIN_SCALE, INITIAL_MAX_SCALE);
});

// --- connection -----------------------------------------------------------------------------

const STATUS_TEXT = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  closed: 'tree shut down',
};

function onStatus(status) {
  const element = $('#connection');
  element.textContent = STATUS_TEXT[status];
  element.dataset.status = status;
  if (status !== 'connected') page.snapshotPending = false;
  if (status === 'reconnecting') requests.lost();
}

function onMessage(message) {
  switch (message.type) {
    case 'hello':
      onHello(message);
      break;
    case 'events':
      onEvents(message);
      break;
    case 'snapshot':
      page.snapshotPending = false;
      adopt(message.snapshot);
      schedule();
      break;
    case 'result':
      requests.answer(message);
      break;
    case 'closed':
      page.closed = true;
      document.body.dataset.closed = 'true';
      updateButtons();
      break;
  }
}

const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
const connection = new Connection(`${scheme}://${location.host}/events`, { onMessage, onStatus });
updateButtons();
connection.open();
