/**
 * A leaf run without an actor of its own: the node statechart's leaf steps
 * (`leafTransition`) with the runtime's effects, behind the same `send` its endpoint would use
 * for an actor. Like an actor, it takes one event at a time: an event sent while one is being
 * handled (a shutdown that finishes at once) waits for it.
 */
import {
  initialLeaf,
  leafTransition,
  type LeafAction,
  type LeafEvent,
  type LeafSnapshot,
  type NodeEvent,
} from '../../machines/index.js';
import type { NodeEndpoint } from './NodeEndpoint.js';
import type { TimerHandle } from './Timers.js';

/** What an endpoint sends its node's statechart to: an actor, or an inline leaf. */
export interface NodeMailbox {
  send(event: NodeEvent): void;
}

/** The node-statechart events an inline leaf takes. */
const LEAF_EVENTS: ReadonlySet<string> = new Set<LeafEvent['type']>([
  'parent.init',
  'parent.shutdown',
  'shutdown.done',
]);

/** The node statechart of one leaf, run by its endpoint. */
export class InlineLeaf implements NodeMailbox {
  private snapshotNow: LeafSnapshot;
  /** Events that arrived while one was being handled; null while idle. */
  private queue: LeafEvent[] | null = null;
  private shutdownTimer: TimerHandle | null = null;

  private constructor(
    private readonly endpoint: NodeEndpoint,
    [snapshot, actions]: ReturnType<typeof initialLeaf>,
  ) {
    this.snapshotNow = snapshot;
    endpoint.attach(this, null);
    this.run(actions);
  }

  /** Starts `endpoint`'s node as an inline leaf: attached to it and DISCONNECTED. */
  static start(endpoint: NodeEndpoint): InlineLeaf {
    return new InlineLeaf(endpoint, initialLeaf(endpoint.kernel.policy.machine.initTimeoutMs));
  }

  /** The leaf's state and context, as its statechart would hold them. */
  get snapshot(): LeafSnapshot {
    return this.snapshotNow;
  }

  send(event: NodeEvent): void {
    // Anything else (a child's spawn) is the runtime's to handle before it gets here.
    if (!LEAF_EVENTS.has(event.type)) return;
    this.take(event as LeafEvent);
  }

  private take(event: LeafEvent): void {
    if (this.queue !== null) {
      this.queue.push(event);
      return;
    }
    this.queue = [event];
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const [snapshot, actions] = leafTransition(this.snapshotNow, next);
      this.snapshotNow = snapshot;
      this.run(actions);
    }
    this.queue = null;
  }

  private run(actions: readonly LeafAction[]): void {
    const { endpoint } = this;
    const { shutdown } = this.snapshotNow;
    for (const action of actions) {
      switch (action.type) {
        case 'announce':
          endpoint.announce(action.state, action.reason);
          break;
        case 'resetLinks':
          endpoint.children.reset(this.snapshotNow.initBudgetMs);
          break;
        case 'beginShutdown':
          endpoint.beginShutdown(shutdown?.mode ?? 'drain', shutdown?.timeoutMs ?? 0);
          break;
        case 'forceShutdown':
          endpoint.forceShutdown();
          break;
        case 'reportShutdownComplete':
          endpoint.reportShutdownComplete();
          break;
        case 'armShutdownTimer':
          this.shutdownTimer = endpoint.timers.set(() => {
            this.shutdownTimer = null;
            this.take({ type: 'shutdown.timeout' });
          }, shutdown?.timeoutMs ?? 0);
          break;
        case 'cancelShutdownTimer':
          endpoint.timers.clear(this.shutdownTimer);
          this.shutdownTimer = null;
          break;
      }
    }
  }
}
