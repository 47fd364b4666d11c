/**
 * A first-in first-out queue with O(1) amortised push, shift and front removal (an array and a
 * head index, compacted when the consumed part dominates).
 */

/** Below this many consumed slots the array is never compacted. */
const COMPACT_AFTER = 64;

/** A FIFO queue of `T`. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Items queued. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Queues `item` at the back. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The item `index` places from the front (0 is the front); `undefined` past the back. */
  at(index: number): T | undefined {
    return index < 0 ? undefined : this.items[this.head + index];
  }

  /** Removes and returns the front item. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    this.compact();
    return item;
  }

  /** Removes the `count` front items (all of them if fewer are queued). */
  dropFront(count: number): void {
    const end = Math.min(this.head + count, this.items.length);
    this.items.fill(undefined, this.head, end);
    this.head = end;
    this.compact();
  }

  /** Removes every item. */
  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.clear();
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
