/**
 * Control requests and their answers: each request gets an id, and the `result` frame with
 * that id says how it went. The outcome shows in #last-result; earlier ones move to the list
 * below it.
 */
/* global document */
import { countsText } from './format.js';

const HISTORY = 10;

/** What a successful request achieved, in one line. */
function describeValue(action, label, value) {
  if (action === 'command' && value && value.counts) {
    return `${value.status}: ${countsText(value.counts)}`;
  }
  if (action === 'recover' && value && value.state) {
    const restarted = value.restarted?.length ?? 0;
    const unavailable = value.unavailable?.length ?? 0;
    return `${label}: ${value.state}, ${restarted} restarted, ${unavailable} still unavailable`;
  }
  if (action === 'shutdown' && value && value.mode) {
    const graceful = value.graceful ? 'graceful' : 'root did not answer';
    return `${label}: ${value.mode}, ${value.forced} forced, ${graceful}`;
  }
  return `${label}: ok`;
}

export class Requests {
  /**
   * @param {{ last: HTMLElement, history: HTMLElement }} elements
   * @param {{ send: (message: object) => boolean, onCommand: (value: unknown) => void,
   *   onSnapshotAnswered: () => void }} hooks
   */
  constructor(elements, hooks) {
    this.el = elements;
    this.hooks = hooks;
    this.nextId = 1;
    /** id → { action, label } */
    this.pending = new Map();
  }

  /** Sends a control request; returns its id, or null (and says so) when not connected. */
  send(action, fields, label) {
    const id = this.nextId++;
    const quiet = action === 'snapshot';
    if (!this.hooks.send({ type: 'control', id, action, ...fields })) {
      if (!quiet) this.show(`${label}: not connected`, false);
      return null;
    }
    this.pending.set(id, { action, label });
    if (!quiet) this.show(`${label}: sent…`, null);
    return id;
  }

  /** A `result` frame. */
  answer(message) {
    const entry = this.pending.get(message.id);
    this.pending.delete(message.id);
    const action = entry?.action ?? 'request';
    const label = entry?.label ?? `request ${message.id}`;
    if (action === 'snapshot') {
      this.hooks.onSnapshotAnswered();
      if (!message.ok) this.show(`snapshot failed: ${message.error}`, false);
    } else if (message.ok) {
      if (action === 'command') this.hooks.onCommand(message.value);
      this.show(describeValue(action, label, message.value), true);
    } else {
      this.show(`${label} failed: ${message.error}`, false);
    }
  }

  /** The connection dropped: requests still waiting will not be answered. */
  lost() {
    for (const { action, label } of this.pending.values()) {
      if (action !== 'snapshot') this.show(`${label}: connection lost`, false);
    }
    this.pending.clear();
  }

  /** Shows an outcome (`ok` null: still waiting). */
  show(text, ok) {
    const { last, history } = this.el;
    if (last.dataset.ok === 'true' || last.dataset.ok === 'false') {
      const li = document.createElement('li');
      li.dataset.ok = last.dataset.ok;
      li.textContent = last.textContent;
      history.prepend(li);
      while (history.childElementCount > HISTORY) history.lastElementChild.remove();
    }
    last.textContent = text;
    last.dataset.ok = ok === null ? 'pending' : String(ok);
  }
}
