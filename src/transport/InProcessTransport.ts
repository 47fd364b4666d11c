/**
 * The default transport: in one process, FIFO, delivered off the sender's stack. Large
 * fan-outs are delivered in slices so that timers and I/O still run between them.
 */
import type { AnyEnvelope } from '../../machines/index.js';
import type { Inbox, Transport } from './Transport.js';

/** Options of {@link InProcessTransport}. */
export interface InProcessTransportOptions {
  /** Most envelopes delivered before yielding to the event loop. Default 5 000. */
  readonly sliceSize?: number;
  /**
   * Longest a slice of deliveries may run before yielding to the event loop, ms (checked every
   * 64 envelopes), so that timers and I/O run on time during a large fan-out. Default 5.
   */
  readonly sliceMs?: number;
  /** Called for an envelope whose target has no inbox. */
  readonly onUndeliverable?: (envelope: AnyEnvelope) => void;
}

/** In-process delivery with per-transport queues (no global state). */
export class InProcessTransport implements Transport {
  private readonly inboxes = new Map<string, Inbox>();
  private queue: AnyEnvelope[] = [];
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

  attach(nodeId: string, inbox: Inbox): () => void {
    this.inboxes.set(nodeId, inbox);
    return () => {
      if (this.inboxes.get(nodeId) === inbox) this.inboxes.delete(nodeId);
    };
  }

  send(envelope: AnyEnvelope): void {
    if (this.closed) return;
    this.queue.push(envelope);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.head = 0;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
    this.inboxes.clear();
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
      this.queue[this.head++] = undefined as unknown as AnyEnvelope;
      const inbox = this.inboxes.get(envelope.to);
      if (inbox) {
        this.delivered++;
        inbox(envelope);
      } else {
        this.undeliverable++;
        this.options.onUndeliverable?.(envelope);
      }
    }
    if (this.closed) return;
    if (this.head < this.queue.length) {
      this.immediate = setImmediate(() => this.drain());
      return;
    }
    this.queue = [];
    this.head = 0;
    this.scheduled = false;
  }
}
