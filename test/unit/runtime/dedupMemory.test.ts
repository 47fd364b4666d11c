import { describe, expect, it } from 'vitest';
import { DEDUP_WINDOW, DedupMemory, type Reply } from '../../../src/runtime/DedupMemory.js';

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
});
