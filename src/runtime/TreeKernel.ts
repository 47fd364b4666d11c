/**
 * Services shared by every node of one tree: transport, clock, policy, handler, the event
 * stream and counters. One per tree; nothing here is global.
 */
import { nanoid } from 'nanoid';
import type { AnyEnvelope } from '../../machines/index.js';
import type { ResolvedPolicy } from '../policy/policy.js';
import type { Route, Transport } from '../transport/Transport.js';
import type { CommandHandler } from './commandTypes.js';
import type { DropReason, TreeEvent } from './events.js';
import { EventStream } from './EventStream.js';
import type { TreeClock } from './Timers.js';
import { TimerHeap } from './TimerHeap.js';

/** Counters of one tree's traffic. */
export interface TreeStats {
  sent: number;
  received: number;
  dropped: Record<DropReason, number>;
  handlerRuns: number;
}

/** Characters of a tree's random id prefix. */
const ID_PREFIX_LENGTH = 7;

/** The shared services. */
export class TreeKernel {
  readonly events = new EventStream();
  /** Every coordinator's heartbeat rounds, on one clock timer. */
  readonly rounds: TimerHeap;
  readonly stats: TreeStats = {
    sent: 0,
    received: 0,
    dropped: {
      'stale-session': 0,
      'stale-epoch': 0,
      'unknown-sender': 0,
      'node-down': 0,
      undeliverable: 0,
      duplicate: 0,
    },
    handlerRuns: 0,
  };

  /**
   * Told of each INIT dropped before its child took it (undeliverable, or fenced by the
   * child), so that its sender sends it again. Set by the tree.
   */
  onInitDropped: (envelope: AnyEnvelope) => void = () => {};

  /** Fixed length, so prefix and counter need no separator. */
  private readonly idPrefix = nanoid(ID_PREFIX_LENGTH);
  private idCount = 0;

  constructor(
    readonly transport: Transport,
    readonly clock: TreeClock,
    readonly policy: ResolvedPolicy,
    readonly handler: CommandHandler,
    readonly random: () => number,
  ) {
    this.rounds = new TimerHeap(clock, () => this.now());
  }

  /** Clock time, ms. */
  now(): number {
    return this.clock.now ? this.clock.now() : Date.now();
  }

  /**
   * A fresh unique id: this tree's random prefix and a counter. Unique within the tree, and
   * across processes by the prefix (42 random bits); cheaper than a random id per envelope.
   * Up to 12 characters long (for the first 36⁵ ids) an id is one flat string, where a longer
   * concatenation would be a rope of three strings.
   */
  newId(): string {
    return this.idPrefix + (this.idCount++).toString(36);
  }

  /** Whether the transport loses nothing silently (see `Transport.lossless`). */
  get lossless(): boolean {
    return this.transport.lossless === true;
  }

  /** Publishes an event built by `make`, if anyone watches its type. */
  emit(make: () => TreeEvent): void {
    this.events.emit(make);
  }

  /** The transport's route to `nodeId`, if it has routes and something is attached there. */
  route(nodeId: string): Route | undefined {
    return this.transport.route?.(nodeId);
  }

  /** Sends an envelope through the transport (by `route`, if given), counting and publishing it. */
  send(envelope: AnyEnvelope, route?: Route): void {
    this.stats.sent++;
    if (this.events.watching('message'))
      this.events.publish({ type: 'message', envelope, at: envelope.sentAt });
    this.transport.send(envelope, route);
  }

  /** Counts and publishes a dropped envelope. */
  drop(nodeId: string, reason: DropReason, envelope: AnyEnvelope): void {
    this.stats.dropped[reason]++;
    // Told after the current step, like a bounce: a transport may drop while its sender sends.
    if (envelope.kind === 'COORD_INIT' && reason !== 'duplicate')
      queueMicrotask(() => this.onInitDropped(envelope));
    this.emit(() => ({ type: 'dropped', nodeId, reason, envelope, at: this.now() }));
  }

  /** `delay` ± the policy's jitter, ms. */
  jittered(delay: number): number {
    const spread = this.policy.retry.jitter;
    return Math.max(0, Math.round(delay * (1 - spread + 2 * spread * this.random())));
  }
}
