/**
 * Recurring timers of one tree (heartbeat rounds) on a single clock timer: a binary heap of
 * entries by due time. Scheduling allocates nothing, where a clock timer per round allocates a
 * timer, a handle and a closure that live a whole interval: at 11 111 coordinators that was
 * about 5 MB/s of objects old enough to be promoted, and a full collection of the tree's heap
 * every 10-20 s.
 */
import type { TreeClock } from './Timers.js';

/** An entry of the heap: the object that wants to run, with its place kept in it. */
export interface HeapTimer {
  /** Clock time it is due, ms (meaningful while queued). */
  dueAt: number;
  /** Its index in the heap, or -1 while not queued. Owned by the heap. */
  heapIndex: number;
  /** Runs once it is due (it is no longer queued then). */
  fire(): void;
}

/**
 * How early an entry may run, ms: a host timer can fire up to a millisecond before the clock
 * reads its due time (timers and `Date.now` round differently).
 */
const EARLY_MS = 1;

/** Entries by due time, on one clock timer armed for the earliest. */
export class TimerHeap {
  private readonly heap: HeapTimer[] = [];
  private timer: unknown = undefined;
  /** Due time the clock timer is armed for, ms (`Infinity`: not armed). */
  private armedFor = Infinity;

  constructor(
    private readonly clock: TreeClock,
    private readonly now: () => number,
  ) {}

  /** Entries queued. */
  get size(): number {
    return this.heap.length;
  }

  /** Queues `entry` to run `delayMs` from now (moving it if it was queued). */
  schedule(entry: HeapTimer, delayMs: number): void {
    if (entry.heapIndex >= 0) this.removeAt(entry.heapIndex);
    entry.dueAt = this.now() + delayMs;
    entry.heapIndex = this.heap.length;
    this.heap.push(entry);
    this.up(entry.heapIndex);
    this.arm();
  }

  /** Takes `entry` off the heap; a no-op if it is not queued. */
  cancel(entry: HeapTimer): void {
    if (entry.heapIndex < 0) return;
    this.removeAt(entry.heapIndex);
    if (this.heap.length === 0) this.disarm();
  }

  /** Drops every entry and the clock timer. */
  clear(): void {
    for (const entry of this.heap) entry.heapIndex = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private readonly run = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const until = this.now() + EARLY_MS;
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.dueAt <= until) {
      const entry = heap[0]!;
      this.removeAt(0);
      entry.fire();
    }
    this.arm();
  };

  /** Arms the clock timer for the earliest entry, unless it is armed for that already. */
  private arm(): void {
    const first = this.heap[0];
    if (first === undefined) return this.disarm();
    if (first.dueAt >= this.armedFor) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.armedFor = first.dueAt;
    this.timer = this.clock.setTimeout(this.run, Math.max(0, first.dueAt - this.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private removeAt(index: number): void {
    const heap = this.heap;
    const removed = heap[index]!;
    const last = heap.pop()!;
    removed.heapIndex = -1;
    if (last === removed) return;
    heap[index] = last;
    last.heapIndex = index;
    this.up(index);
    this.down(last.heapIndex);
  }

  private up(index: number): void {
    const heap = this.heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.dueAt <= entry.dueAt) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }

  private down(index: number): void {
    const heap = this.heap;
    const entry = heap[index]!;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && heap[right]!.dueAt < heap[left]!.dueAt ? right : left;
      if (heap[child]!.dueAt >= entry.dueAt) break;
      heap[index] = heap[child]!;
      heap[index]!.heapIndex = index;
      index = child;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }
}
