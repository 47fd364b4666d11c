/**
 * The receiving half of a directed link for one stream: delivers in order and exactly once,
 * holds back what arrives early, and builds the acknowledgement back to the sender.
 */
import { nanoid } from 'nanoid';
import { PROTOCOL_VERSION, type AnyEnvelope } from '../../machines/index.js';
import type { Inbox } from '../transport/Transport.js';

/** Counters a receive stream updates. */
export interface ReceiveCounters {
  delivered: number;
  duplicates: number;
  heldBack: number;
  overflow: number;
}

/** One incoming stream: what `peer` sends to `local` under one stream id. */
export class ReceiveStream {
  /** The next position to deliver. */
  expected: number;
  /** Whether an acknowledgement of this stream is owed to its sender. */
  ackPending = false;
  /** Set once the stream is forgotten (evicted, detached, closed): it delivers nothing more. */
  dropped = false;
  /** Envelopes that arrived ahead of `expected`, by position (created on first need). */
  private held: Map<number, AnyEnvelope> | null = null;

  constructor(
    readonly id: string,
    readonly local: string,
    readonly peer: string,
    readonly session: string,
    readonly epoch: number,
    base: number,
  ) {
    this.expected = base;
  }

  /** Everything up to this position was delivered. */
  get upTo(): number {
    return this.expected - 1;
  }

  /**
   * A bare acknowledgement of everything delivered so far, back to the sender. It is never
   * numbered, resent or delivered: when it is lost, the sender's next resend draws another.
   */
  ackEnvelope(sentAt: number): AnyEnvelope {
    return {
      v: PROTOCOL_VERSION,
      kind: 'COORD_ACK',
      id: nanoid(),
      session: this.session,
      epoch: this.epoch,
      from: this.local,
      to: this.peer,
      seq: 0,
      sentAt,
      body: { ackOf: '' },
      link: { stream: '', seq: 0, base: 0, ack: { stream: this.id, upTo: this.upTo } },
    };
  }

  /** Tells the sender of `envelope`'s stream that this node refuses it (see `PeerLink`). */
  static resetEnvelope(envelope: AnyEnvelope, stream: string, sentAt: number): AnyEnvelope {
    return {
      v: PROTOCOL_VERSION,
      kind: 'COORD_ACK',
      id: nanoid(),
      session: envelope.session,
      epoch: envelope.epoch,
      from: envelope.to,
      to: envelope.from,
      seq: 0,
      sentAt,
      body: { ackOf: '' },
      link: { stream: '', seq: 0, base: 0, ack: { stream, upTo: 0, reset: true } },
    };
  }

  /**
   * Takes envelope number `seq`: delivers it and whatever it unblocks, counts it as a duplicate,
   * or holds it back (at most `holdBack` per stream; past that it is dropped and counted).
   */
  receive(
    envelope: AnyEnvelope,
    seq: number,
    inbox: Inbox,
    holdBack: number,
    counters: ReceiveCounters,
  ): void {
    if (seq === this.expected) {
      this.expected++;
      counters.delivered++;
      inbox(envelope);
      this.deliverHeld(inbox, counters);
    } else if (seq > this.expected) {
      this.hold(envelope, seq, holdBack, counters);
    } else {
      counters.duplicates++;
    }
  }

  private hold(
    envelope: AnyEnvelope,
    seq: number,
    holdBack: number,
    counters: ReceiveCounters,
  ): void {
    const held = (this.held ??= new Map());
    if (held.has(seq)) {
      counters.duplicates++;
    } else if (held.size < holdBack) {
      held.set(seq, envelope);
      counters.heldBack++;
    } else {
      counters.overflow++;
    }
  }

  private deliverHeld(inbox: Inbox, counters: ReceiveCounters): void {
    const held = this.held;
    if (held === null) return;
    while (!this.dropped) {
      const next = held.get(this.expected);
      if (next === undefined) break;
      held.delete(this.expected++);
      counters.delivered++;
      inbox(next);
    }
    if (held.size === 0 && this.held === held) this.held = null;
  }
}
