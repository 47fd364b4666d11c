/**
 * The WebSocket to the server's `/events`, reconnected with exponential backoff (and jitter)
 * when it drops, until the server says the tree has shut down.
 */
/* global WebSocket, setTimeout, clearTimeout */

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

export class Connection {
  /**
   * @param {string} url
   * @param {{ onMessage: (message: import('../src/viz/protocol.js').ServerMessage) => void,
   *   onStatus: (status: 'connecting' | 'connected' | 'reconnecting' | 'closed') => void }} handlers
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.socket = null;
    this.attempt = 0;
    this.finished = false;
    this.timer = null;
  }

  open() {
    if (this.finished) return;
    this.handlers.onStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.#retry();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempt = 0;
      this.handlers.onStatus('connected');
    });
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && message.type === 'closed') this.finish();
      this.handlers.onMessage(message);
    });
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.#retry();
    });
  }

  #retry() {
    if (this.finished) return;
    this.handlers.onStatus('reconnecting');
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => this.open(), delay * (0.75 + Math.random() * 0.5));
  }

  /** Sends one JSON message; false if not connected. */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** The tree has shut down: stop reconnecting. */
  finish() {
    this.finished = true;
    clearTimeout(this.timer);
    this.handlers.onStatus('closed');
  }
}
