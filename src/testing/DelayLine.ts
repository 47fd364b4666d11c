/**
 * Envelopes held back on the tree's clock, released link by link in due order. Envelopes due
 * at the same time leave in the order they were held: a SimulatedClock does not order timers
 * that fall due together, so each link keeps its own queue and one timer for its head.
 */
import type { AnyEnvelope } from '../../machines/index.js';
import { Timers, type TimerHandle } from '../runtime/Timers.js';
import type { TransportHost } from '../transport/Transport.js';

interface Held {
  readonly envelope: AnyEnvelope;
  /** Clock time at which it leaves, ms. */
  readonly due: number;
}

interface LinkQueue {
  /** Sorted by `due`, then by the order held. */
  readonly held: Held[];
  /** Fires when the head is due. */
  timer: TimerHandle | null;
}

/** Holds envelopes per link and hands each to `release` when its time comes. */
export class DelayLine {
  private readonly links = new Map<string, LinkQueue>();
  private readonly timers: Timers;

  constructor(
    private readonly host: Pick<TransportHost, 'clock' | 'now'>,
    private readonly release: (envelope: AnyEnvelope) => void,
  ) {
    this.timers = new Timers(host.clock);
  }

  /** Envelopes held, on every link. */
  get size(): number {
    let size = 0;
    for (const queue of this.links.values()) size += queue.held.length;
    return size;
  }

  /** Holds `envelope` on `link` for `ms`, after every envelope of that link due no later. */
  hold(link: string, envelope: AnyEnvelope, ms: number): void {
    const due = this.host.now() + ms;
    let queue = this.links.get(link);
    if (!queue) {
      queue = { held: [], timer: null };
      this.links.set(link, queue);
    }
    let at = queue.held.length;
    while (at > 0 && (queue.held[at - 1]?.due ?? due) > due) at--;
    queue.held.splice(at, 0, { envelope, due });
    if (at === 0) this.arm(link, queue);
  }

  /** Forgets every held envelope and clears every timer. */
  clear(): void {
    this.timers.clearAll();
    this.links.clear();
  }

  private arm(link: string, queue: LinkQueue): void {
    this.timers.clear(queue.timer);
    const head = queue.held[0];
    queue.timer = head
      ? this.timers.set(() => this.flush(link, queue), Math.max(0, head.due - this.host.now()))
      : null;
  }

  /** The head is due: releases it and every envelope behind it that is due too. */
  private flush(link: string, queue: LinkQueue): void {
    queue.timer = null;
    const now = this.host.now();
    let count = 1;
    while (count < queue.held.length && (queue.held[count]?.due ?? Infinity) <= now) count++;
    const due = queue.held.splice(0, count);
    if (queue.held.length > 0) this.arm(link, queue);
    else this.links.delete(link);
    for (const { envelope } of due) this.release(envelope);
  }
}
