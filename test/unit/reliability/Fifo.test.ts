import { describe, expect, it } from 'vitest';
import { Fifo } from '../../../src/reliability/Fifo.js';

/** A queue holding `items`, in order. */
function fifoOf<T>(...items: T[]): Fifo<T> {
  const fifo = new Fifo<T>();
  for (const item of items) fifo.push(item);
  return fifo;
}

const contents = <T>(fifo: Fifo<T>): (T | undefined)[] =>
  Array.from({ length: fifo.size }, (_, i) => fifo.at(i));

describe('Fifo', () => {
  it('should give items back in the order they were pushed', () => {
    // Arrange
    const fifo = fifoOf('a', 'b', 'c');
    // Act
    const taken = [fifo.shift(), fifo.shift()];
    // Assert
    expect(taken).toEqual(['a', 'b']);
    expect(fifo.size).toBe(1);
    expect(contents(fifo)).toEqual(['c']);
  });

  it('should answer undefined past either end, and from an empty queue', () => {
    // Arrange
    const fifo = fifoOf(1, 2);
    fifo.shift();
    // Assert
    expect([fifo.at(-1), fifo.at(0), fifo.at(1)]).toEqual([undefined, 2, undefined]);
    expect(new Fifo<number>().shift()).toBeUndefined();
  });

  it('should drop the front items, or all of them when asked for more', () => {
    // Arrange
    const fifo = fifoOf(1, 2, 3, 4);
    // Act
    fifo.dropFront(3);
    const afterThree = contents(fifo);
    fifo.dropFront(5);
    // Assert
    expect(afterThree).toEqual([4]);
    expect(fifo.size).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });

  it('should be empty after clear, and usable again', () => {
    // Arrange
    const fifo = fifoOf(1, 2, 3);
    fifo.shift();
    // Act
    fifo.clear();
    fifo.push(9);
    // Assert
    expect(contents(fifo)).toEqual([9]);
  });

  it('should keep its order across many interleaved pushes, shifts and drops', () => {
    // Arrange: a reference model, and a deterministic mix of operations (seed 7)
    const fifo = new Fifo<number>();
    const model: number[] = [];
    let state = 7;
    const next = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648);
    // Act
    for (let i = 0; i < 5_000; i++) {
      const roll = next() % 10;
      if (roll < 6) {
        fifo.push(i);
        model.push(i);
      } else if (roll < 9) {
        expect(fifo.shift()).toBe(model.shift());
      } else {
        const count = next() % 5;
        fifo.dropFront(count);
        model.splice(0, count);
      }
      // Assert
      expect(fifo.size).toBe(model.length);
      expect(fifo.at(0)).toBe(model[0]);
      expect(fifo.at(model.length - 1)).toBe(model.at(-1));
    }
    expect(contents(fifo)).toEqual(model);
  });

  it('should not hold on to consumed slots: storage stays within twice the queue plus 64', () => {
    // Arrange: the backing array is private; its length is the memory the queue keeps
    const fifo = new Fifo<number>();
    const storage = () => (fifo as unknown as { items: unknown[] }).items.length;
    let worst = 0;
    // Act: a long-lived stream whose queue stays short
    for (let i = 0; i < 1_000; i++) {
      fifo.push(i);
      fifo.push(i);
      fifo.shift();
      if (i % 2 === 1) fifo.dropFront(1);
      worst = Math.max(worst, storage() - 2 * fifo.size);
    }
    // Assert
    expect(fifo.size).toBe(500);
    expect(worst).toBeLessThanOrEqual(64);
  });
});
