import { describe, expect, it } from 'vitest';
import {
  DEDUP_WINDOW,
  DedupMemory,
  REPLAY_WINDOW,
  type Reply,
} from '../../../src/runtime/DedupMemory.js';
import { completedBody } from '../../../src/runtime/leafHandler.js';

const reply: Reply = {
  kind: 'COORD_COMPLETE',
  body: {
    of: 'command',
    commandId: 'c',
    counts: { completed: 1, failed: 0, skipped: 0, timedOut: 0 },
    outcomes: [],
  },
};

describe('DedupMemory', () => {
  it('should know an envelope and a command until they expire, and forget them after', () => {
    // Arrange
    const memory = new DedupMemory();
    memory.seenEnvelope('e1', 1_000, 0);
    memory.finish('c1', reply, 1_000, 0);
    // Act / Assert: still within their time
    expect(memory.seenEnvelope('e1', 1_000, 999)).toBe(true);
    expect(memory.finishedCommand('c1')).toBe(true);
    // Act: later traffic, past their expiry, sweeps them out
    memory.seenEnvelope('e2', 5_000, 1_001);
    memory.finish('c2', reply, 5_000, 1_001);
    // Assert
    expect(memory.finishedCommand('c1')).toBe(false);
    expect(memory.finishedCommand('c2')).toBe(true);
    expect(memory.seenEnvelope('e1', 5_000, 1_002)).toBe(false);
  });

  it('should never forget an id before its expiry, which it keeps to the second above', () => {
    // Arrange: expiry 1 500 ms on a wall clock, kept as 2 s
    const memory = new DedupMemory();
    const t0 = 1_764_000_000_000;
    memory.finish('c1', reply, t0 + 1_500, t0);
    // Act / Assert: remembered just before and at the exact expiry, and until the second ends
    memory.finish('c2', reply, t0 + 60_000, t0 + 1_499);
    expect(memory.finishedCommand('c1')).toBe(true);
    memory.finish('c3', reply, t0 + 60_000, t0 + 1_999);
    expect(memory.finishedCommand('c1')).toBe(true);
    // Act: a later sweep, past the rounded expiry
    memory.finish('c4', reply, t0 + 60_000, t0 + 2_000);
    // Assert
    expect(memory.finishedCommand('c1')).toBe(false);
    expect(memory.finishedCommand('c2')).toBe(true);
  });

  it('should keep at most DEDUP_WINDOW ids however far their expiry, oldest out first', () => {
    const memory = new DedupMemory();
    for (let i = 0; i <= DEDUP_WINDOW; i++) memory.finish(`c${i}`, reply, 1e12, i);
    expect(memory.finishedCommand('c0')).toBe(false);
    expect(memory.finishedCommand('c1')).toBe(true);
    expect(memory.finishedCommand(`c${DEDUP_WINDOW}`)).toBe(true);
  });

  it('should keep an id whose expiry is later than an older one still to come', () => {
    // A long command remembered first does not let a short one that expired linger forever:
    // the sweep stops at the first live entry, and the count bound covers the rest.
    const memory = new DedupMemory();
    memory.finish('long', reply, 100_000, 0);
    memory.finish('short', reply, 10, 0);
    memory.finish('next', reply, 100_000, 50);
    expect(memory.finishedCommand('long')).toBe(true);
    expect(memory.finishedCommand('next')).toBe(true);
  });

  it("should repeat a leaf's answer rebuilt from the handler result it keeps, as it was sent", () => {
    // Arrange
    const memory = new DedupMemory();
    memory.finishCompleted('c1', { version: 3 }, 1_000, 0);
    memory.finishCompleted('c2', undefined, 1_000, 0);
    // Act / Assert
    expect(memory.finishedCommand('c1')).toBe(true);
    expect(memory.replyOf('c1', 'leaf-1')).toEqual({
      kind: 'COORD_COMPLETE',
      body: completedBody('leaf-1', 'c1', { version: 3 }),
    });
    expect(memory.replyOf('c2', 'leaf-1')).toEqual({
      kind: 'COORD_COMPLETE',
      body: completedBody('leaf-1', 'c2', undefined),
    });
    expect(memory.replyOf('c3', 'leaf-1')).toBeUndefined();
  });

  it('should keep the latest REPLAY_WINDOW answers and results, and every id', () => {
    // Arrange
    const memory = new DedupMemory();
    for (let i = 0; i <= REPLAY_WINDOW; i++) {
      memory.finish(`a${i}`, reply, 1e12, i);
      memory.finishCompleted(`r${i}`, i, 1e12, i);
    }
    // Assert: the oldest of each is no longer repeated, but still known as finished
    expect(memory.replyOf('a0', 'n')).toBeUndefined();
    expect(memory.replyOf('r0', 'n')).toBeUndefined();
    expect(memory.finishedCommand('a0')).toBe(true);
    expect(memory.finishedCommand('r0')).toBe(true);
    expect(memory.replyOf('a1', 'n')).toBe(reply);
    expect(memory.replyOf(`r${REPLAY_WINDOW}`, 'n')?.body).toEqual(
      completedBody('n', `r${REPLAY_WINDOW}`, REPLAY_WINDOW),
    );
  });
});
