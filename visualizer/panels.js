/**
 * The side lists: protocol messages, faults and other notable events, the transition timeline
 * and commands. Rows are queued as events arrive and drawn once per frame, newest first; a
 * list never holds more than its limit, so a burst costs only the rows that will be shown.
 */
/* global document */
import { countsText, formatCount, formatTime } from './format.js';

function cell(text, className) {
  const span = document.createElement('span');
  if (className) span.className = className;
  span.textContent = text;
  return span;
}

function stateCell(state) {
  const span = cell(state ?? '—', 'state');
  if (state) span.dataset.state = state;
  return span;
}

/** A list drawn newest first, holding at most `limit` rows. */
class RowList {
  constructor(element, limit, makeRow) {
    this.element = element;
    this.limit = limit;
    this.makeRow = makeRow;
    this.queue = [];
  }

  push(item) {
    this.queue.push(item);
    if (this.queue.length > 2 * this.limit) this.queue.splice(0, this.queue.length - this.limit);
  }

  flush() {
    if (this.queue.length === 0) return;
    const items = this.queue.length > this.limit ? this.queue.slice(-this.limit) : this.queue;
    this.queue = [];
    const fragment = document.createDocumentFragment();
    for (let i = items.length - 1; i >= 0; i--) fragment.appendChild(this.makeRow(items[i]));
    this.element.prepend(fragment);
    while (this.element.childElementCount > this.limit) this.element.lastElementChild.remove();
  }

  clear() {
    this.queue = [];
    this.element.replaceChildren();
  }
}

function row(className, ...cells) {
  const li = document.createElement('li');
  li.className = className;
  li.append(...cells);
  return li;
}

/** One line about a fault, a delivery problem, a refusal, a drop, a violation or a node change. */
function describeNotable(event) {
  switch (event.type) {
    case 'fault': {
      const to = event.to ? ` → ${event.to}` : '';
      const kind = event.envelope ? ` ${event.envelope.kind}` : '';
      const extra = event.cause
        ? ` (${event.cause})`
        : event.delayMs
          ? ` (${event.delayMs} ms)`
          : '';
      return { tag: `fault ${event.fault}`, text: `${event.from}${to}${kind}${extra}` };
    }
    case 'delivery':
      return {
        tag: `delivery ${event.what}`,
        text: `${event.from} → ${event.to}: ${event.count} envelope${event.count === 1 ? '' : 's'}`,
      };
    case 'refused':
      return { tag: `refused ${event.reason}`, text: `at ${event.nodeId}: ${event.detail}` };
    case 'dropped': {
      const e = event.envelope;
      return {
        tag: `dropped ${event.reason}`,
        text: `at ${event.nodeId}: ${e ? `${e.kind} ${e.from} → ${e.to}` : ''}`,
      };
    }
    case 'violation':
      return { tag: `violation ${event.rule}`, text: `${event.nodeId}: ${event.detail}` };
    case 'node':
      return { tag: `node ${event.change}`, text: event.nodeId };
    default:
      return null;
  }
}

export class Panels {
  constructor(elements) {
    this.el = elements;
    this.skipped = 0;
    this.messageCount = 0;
    this.messages = new RowList(elements.messages, 50, (e) =>
      row(
        'message',
        cell(formatTime(e.at), 'time'),
        cell(e.envelope.kind.replace(/^COORD_/, ''), 'kind'),
        cell(`${e.envelope.from} → ${e.envelope.to}`, 'route'),
      ),
    );
    this.notable = new RowList(elements.notable, 100, (item) =>
      row(
        `notable notable-${item.event.type}`,
        cell(formatTime(item.event.at), 'time'),
        cell(item.tag, 'tag'),
        cell(item.text, 'text'),
      ),
    );
    this.timeline = new RowList(elements.timeline, 200, (e) =>
      row(
        'transition',
        cell(formatTime(e.at), 'time'),
        cell(e.nodeId, 'node-id'),
        stateCell(e.from),
        cell('→', 'arrow'),
        stateCell(e.to),
        cell(e.reason ?? '', 'reason'),
      ),
    );
    /** commandId → { name, issuedAt, finishedAt, status, counts, li } (most recent 30). */
    this.commands = new Map();
    this.commandTally = { completed: 0, partial: 0, failed: 0, timedOut: 0 };
    this.dirtyCommands = new Set();
    /** Results of the page's own commands that came before the command's events. */
    this.earlyResults = new Map();
  }

  /** Takes one event into whichever list shows it. */
  add(event) {
    switch (event.type) {
      case 'message':
        this.messageCount += 1;
        this.messages.push(event);
        break;
      case 'transition':
        this.timeline.push(event);
        break;
      case 'command':
        if (event.nodeId === '$client') this.#command(event);
        break;
      default: {
        const notable = describeNotable(event);
        if (notable) this.notable.push({ event, ...notable });
      }
    }
  }

  addSkipped(count) {
    this.skipped += count;
  }

  #command(event) {
    let entry = this.commands.get(event.commandId);
    if (!entry) {
      entry = { id: event.commandId, name: event.name, status: 'running', li: null };
      const early = this.earlyResults.get(event.commandId);
      if (early) {
        this.earlyResults.delete(event.commandId);
        entry.counts = early.counts;
      }
      this.commands.set(event.commandId, entry);
      if (this.commands.size > 30) {
        const [oldest] = this.commands.values();
        oldest.li?.remove();
        this.commands.delete(oldest.id);
      }
    }
    if (event.phase === 'issued') entry.issuedAt = event.at;
    if (event.phase === 'finished') {
      entry.finishedAt = event.at;
      entry.status = event.status ?? 'finished';
      if (entry.status in this.commandTally) this.commandTally[entry.status] += 1;
    }
    this.dirtyCommands.add(entry.id);
  }

  /** The page's own command came back: its counts join the command's row. */
  commandResult(value) {
    if (!value || typeof value.commandId !== 'string') return;
    const entry = this.commands.get(value.commandId);
    if (!entry) {
      // The answer can overtake the command's events, which come in batches.
      this.earlyResults.set(value.commandId, value);
      if (this.earlyResults.size > 30)
        this.earlyResults.delete(this.earlyResults.keys().next().value);
      return;
    }
    entry.counts = value.counts;
    if (entry.status === 'running') entry.status = value.status;
    this.dirtyCommands.add(entry.id);
  }

  /** Draws what arrived since the last frame. */
  flush() {
    this.messages.flush();
    this.notable.flush();
    this.timeline.flush();
    const sampled = `${formatCount(this.messageCount)} sampled`;
    this.el.skipped.textContent =
      this.skipped > 0 ? `${sampled}, ${formatCount(this.skipped)} skipped` : sampled;
    if (this.dirtyCommands.size > 0) {
      for (const id of this.dirtyCommands) {
        const entry = this.commands.get(id);
        if (entry) this.#drawCommand(entry);
      }
      this.dirtyCommands.clear();
      const t = this.commandTally;
      this.el.commandTally.textContent = `${t.completed} completed · ${t.partial} partial · ${t.failed} failed · ${t.timedOut} timed out`;
    }
  }

  #drawCommand(entry) {
    const took =
      entry.finishedAt !== undefined && entry.issuedAt !== undefined
        ? `${Math.round(entry.finishedAt - entry.issuedAt)} ms`
        : '';
    const counts = entry.counts ? countsText(entry.counts) : '';
    const li = row(
      'command',
      cell(formatTime(entry.issuedAt ?? entry.finishedAt), 'time'),
      cell(entry.name, 'name'),
      cell(entry.status, `status status-${entry.status}`),
      cell(took, 'took'),
      cell(counts, 'counts'),
    );
    li.title = entry.id;
    if (entry.li) entry.li.replaceWith(li);
    else this.el.commands.prepend(li);
    entry.li = li;
  }
}
