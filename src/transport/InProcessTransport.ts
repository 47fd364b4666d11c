/**
 * The default transport: in one process, FIFO, delivered off the sender's stack. Large
 * fan-outs are delivered in slices so that timers and I/O still run between them. Used by one
 * tree, it loses nothing silently: what it cannot deliver it reports to the tree (and to
 * `onUndeliverable`).
 */
import type { AnyEnvelope } from '../../machines/index.js';
import type { Inbox, Route, Transport, TransportHost } from './Transport.js';

/** Options of {@link InProcessTransport}. */
export interface InProcessTransportOptions {
  /** Most envelopes delivered before yielding to the event loop. Default 5 000. */
  readonly sliceSize?: number;
  /**
   * Longest a slice of deliveries may run before yielding to the event loop, ms (checked every
   * 64 envelopes), so that timers and I/O run on time during a large fan-out. Default 5.
   */
  readonly sliceMs?: number;
  /** Called for an envelope whose target has no inbox (as well as the bound tree's `undeliverable`). */
  readonly onUndeliverable?: (envelope: AnyEnvelope) => void;
}

/**
 * The inbox attached at one address. A sender's route is the mailbox itself: delivering through
 * it skips the lookup among every attached address (a large map, which costs a few cache misses
 * per envelope). Once detached (`inbox` null) it stays so, and delivery looks the address up.
 */
class Mailbox implements Route {
  constructor(
    readonly transport: InProcessTransport,
    readonly nodeId: string,
    public inbox: Inbox | null,
  ) {}
}

/** In-process delivery with per-transport queues (no global state). */
export class InProcessTransport implements Transport {
  /** The trees bound to it: more than one when trees of one process share it. */
  private readonly hosts: TransportHost[] = [];
  private readonly mailboxes = new Map<string, Mailbox>();
  private queue: AnyEnvelope[] = [];
  /** The sender's route for each queued envelope, where it gave one. */
  private routes: (Mailbox | undefined)[] = [];
  private head = 0;
  private scheduled = false;
  private closed = false;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private readonly sliceSize: number;
  private readonly sliceMs: number;
  /** Envelopes delivered so far. */
  delivered = 0;
  /** Envelopes whose target had no inbox. */
  undeliverable = 0;

  constructor(private readonly options: InProcessTransportOptions = {}) {
    this.sliceSize = options.sliceSize ?? 5_000;
    this.sliceMs = options.sliceMs ?? 5;
  }

  bind(host: TransportHost): void {
    if (!this.hosts.includes(host)) this.hosts.push(host);
  }

  /**
   * Lossless while one tree uses it: every envelope it cannot deliver is reported to that tree,
   * which tells the sender. Trees sharing it are not told of one another's lost envelopes (nor
   * of those fenced in another tree), so their senders must resend as over a network.
   */
  get lossless(): boolean {
    return this.hosts.length === 1;
  }

  attach(nodeId: string, inbox: Inbox): () => void {
    const existing = this.mailboxes.get(nodeId);
    const mailbox = existing ?? new Mailbox(this, nodeId, inbox);
    if (existing) existing.inbox = inbox;
    else this.mailboxes.set(nodeId, mailbox);
    return () => {
      if (mailbox.inbox !== inbox) return;
      mailbox.inbox = null;
      this.mailboxes.delete(nodeId);
    };
  }

  route(nodeId: string): Route | undefined {
    return this.mailboxes.get(nodeId);
  }

  send(envelope: AnyEnvelope, route?: Route): void {
    if (this.closed) return;
    this.queue.push(envelope);
    this.routes.push(route instanceof Mailbox && route.transport === this ? route : undefined);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.routes = [];
    this.head = 0;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
    for (const mailbox of this.mailboxes.values()) mailbox.inbox = null;
    this.mailboxes.clear();
  }

  /** Envelopes waiting to be delivered. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  private drain(): void {
    this.immediate = null;
    let budget = this.sliceSize;
    const until = performance.now() + this.sliceMs;
    while (this.head < this.queue.length && budget-- > 0 && !this.closed) {
      if ((budget & 63) === 0 && performance.now() >= until) break;
      const envelope = this.queue[this.head]!;
      const route = this.routes[this.head];
      this.queue[this.head] = undefined as unknown as AnyEnvelope;
      this.routes[this.head++] = undefined;
      const inbox = route?.inbox ?? this.mailboxes.get(envelope.to)?.inbox;
      if (inbox) {
        this.delivered++;
        inbox(envelope);
      } else {
        this.undeliverable++;
        this.options.onUndeliverable?.(envelope);
        if (this.hosts.length === 1) this.hosts[0]!.undeliverable(envelope);
      }
    }
    if (this.closed) return;
    if (this.head < this.queue.length) {
      this.immediate = setImmediate(() => this.drain());
      return;
    }
    this.queue = [];
    this.routes = [];
    this.head = 0;
    this.scheduled = false;
  }
}
