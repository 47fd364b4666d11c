/**
 * The sending half of one directed link for one (session, epoch): numbered envelopes, a window
 * of unacknowledged ones, and a single resend timer with exponential backoff and a give-up budget.
 */
import { nanoid } from 'nanoid';
import type { AnyEnvelope, Envelope, LinkHeader } from '../../machines/index.js';
import type { TimerHandle, Timers } from '../runtime/Timers.js';
import { Fifo } from './Fifo.js';
import type { PeerLink } from './PeerLink.js';
import type { ResolvedReliableOptions } from './reliableOptions.js';

/** What a send stream needs from the transport that owns it. */
export interface SendStreamOwner {
  readonly options: ResolvedReliableOptions;
  readonly timers: Timers;
  /** Clock time, ms. */
  now(): number;
  /** A random number in [0, 1). */
  random(): number;
  /** Puts `envelope`, numbered `seq`, on the wire: for the first time, or again. */
  transmit(stream: SendStream, envelope: AnyEnvelope, seq: number, first: boolean): void;
  /** `count` unacknowledged envelopes were resent after a timeout. */
  resent(stream: SendStream, count: number): void;
  /** The stream gave up and ended, dropping `count` envelopes. */
  gaveUp(stream: SendStream, count: number): void;
}

/** One outgoing stream: `from → to` in one session and epoch. */
export class SendStream {
  /** The stream id every envelope's link header carries. */
  readonly id = nanoid();
  /** Lowest position not yet acknowledged (the next one to number when nothing is in flight). */
  base = 1;
  /** Sent, not yet acknowledged: positions `base`, `base + 1`, … in order. */
  private readonly unacked = new Fifo<AnyEnvelope>();
  /** Not yet sent, waiting for room in the window (built when the window first fills). */
  private waiting: Fifo<AnyEnvelope> | null = null;
  /** Current resend delay before jitter, ms. */
  private rto: number;
  /** When the running resend countdown ends, ms. */
  private deadline = 0;
  private lastProgressAt = 0;
  private timer: TimerHandle | null = null;
  /** When `timer` fires, ms. */
  private timerAt = 0;
  private ended = false;

  constructor(
    /** The link this stream sends on (`peerLink.local → peerLink.peer`). */
    readonly peerLink: PeerLink,
    readonly session: string,
    readonly epoch: number,
    private readonly owner: SendStreamOwner,
  ) {
    this.rto = owner.options.resendInitialMs;
  }

  /** The sending node. */
  get from(): string {
    return this.peerLink.local;
  }

  /** The receiving peer. */
  get to(): string {
    return this.peerLink.peer;
  }

  /** Envelopes waiting for room in the window. */
  get queued(): number {
    return this.waiting?.size ?? 0;
  }

  /** Envelopes not yet acknowledged, sent or waiting (none once ended). */
  get pending(): number {
    return this.ended ? 0 : this.unacked.size + this.queued;
  }

  /** Numbers and sends `envelope`, or queues it while the window is full. */
  send(envelope: AnyEnvelope): void {
    if (this.unacked.size >= this.owner.options.window) {
      (this.waiting ??= new Fifo()).push(envelope);
      return;
    }
    const seq = this.base + this.unacked.size;
    this.unacked.push(envelope);
    if (this.unacked.size === 1) {
      this.progressed();
      this.ensureTimer();
    }
    this.owner.transmit(this, envelope, seq, true);
  }

  /** The peer acknowledged every position up to `upTo`: frees the window and resets backoff. */
  acknowledge(upTo: number): void {
    if (this.ended || upTo < this.base || upTo >= this.base + this.unacked.size) return;
    this.unacked.dropFront(upTo + 1 - this.base);
    this.base = upTo + 1;
    this.progressed();
    const { window } = this.owner.options;
    const waiting = this.waiting;
    while (waiting !== null && !this.ended && waiting.size > 0 && this.unacked.size < window) {
      const envelope = waiting.shift()!;
      const seq = this.base + this.unacked.size;
      this.unacked.push(envelope);
      this.owner.transmit(this, envelope, seq, true);
    }
    if (!this.ended && this.unacked.size > 0) this.ensureTimer();
  }

  /** Stops the stream: clears its timer and drops its envelopes. Returns how many were dropped. */
  end(): number {
    const dropped = this.unacked.size + this.queued;
    this.ended = true;
    this.owner.timers.clear(this.timer);
    this.timer = null;
    this.unacked.clear();
    this.waiting = null;
    return dropped;
  }

  /** Restarts the countdown from now with the initial delay. */
  private progressed(): void {
    const now = this.owner.now();
    this.lastProgressAt = now;
    this.rto = this.owner.options.resendInitialMs;
    this.deadline = now + this.jittered();
  }

  /** Makes sure a timer fires no later than the deadline (the timer is kept when it does). */
  private ensureTimer(): void {
    if (this.timer !== null && this.timerAt <= this.deadline) return;
    this.owner.timers.clear(this.timer);
    this.arm();
  }

  private arm(): void {
    const now = this.owner.now();
    this.timerAt = Math.max(now, this.deadline);
    this.timer = this.owner.timers.set(this.onTimer, this.timerAt - now);
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    if (this.ended || this.unacked.size === 0) return;
    const now = this.owner.now();
    if (now < this.deadline) {
      // Progress moved the deadline since this timer was set.
      this.arm();
      return;
    }
    const { giveUpAfterMs, resendFactor, resendMaxMs } = this.owner.options;
    if (now - this.lastProgressAt >= giveUpAfterMs) {
      this.owner.gaveUp(this, this.end());
      return;
    }
    this.rto = Math.min(this.rto * resendFactor, resendMaxMs);
    this.deadline = now + this.jittered();
    this.owner.resent(this, this.resendAll());
    if (!this.ended && this.unacked.size > 0) this.ensureTimer();
  };

  /** Resends every unacknowledged envelope in order (robust to acks arriving meanwhile). */
  private resendAll(): number {
    const end = this.base + this.unacked.size;
    let count = 0;
    for (let seq = this.base; seq < end && !this.ended; seq = Math.max(seq + 1, this.base)) {
      const envelope = this.unacked.at(seq - this.base);
      if (envelope === undefined) break;
      this.owner.transmit(this, envelope, seq, false);
      count++;
    }
    return count;
  }

  private jittered(): number {
    const { jitter } = this.owner.options;
    return jitter === 0 ? this.rto : this.rto * (1 + jitter * (2 * this.owner.random() - 1));
  }
}

/**
 * A copy of `envelope` carrying `link`, written out field by field: on Node 20 this is about five
 * times faster than `{ ...envelope, link }`, which V8 builds on a slow path when the spread adds a
 * property. The `Required<Envelope>` annotation stops compiling if the envelope gains a field.
 */
export function withLink(envelope: AnyEnvelope, link: LinkHeader): AnyEnvelope {
  const { v, kind, id, session, epoch, from, to, seq, sentAt, body } = envelope;
  const copy: Required<Envelope> = {
    v,
    kind,
    id,
    session,
    epoch,
    from,
    to,
    seq,
    sentAt,
    body,
    link,
  };
  return copy as AnyEnvelope;
}
