import { describe, expect, it } from 'vitest';
import { coordinator, startNode } from './nodeHarness.js';

/** A coordinator whose INIT timed out: FAILED, its cleanup running. */
function failed() {
  const node = startNode(coordinator);
  node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
  node.advance(1_000);
  return node;
}

describe('nodeMachine FAILED', () => {
  it('should clean up with its node id, then wait DISCONNECTED for the next INIT', async () => {
    // Arrange
    const node = failed();
    const whileCleaning = node.value();
    // Act
    await node.finishCleanup();
    node.advance(5_000);
    // Assert
    expect(whileCleaning).toBe('FAILED');
    expect(node.cleanups.map((c) => c.input)).toEqual([{ nodeId: 'n' }]);
    expect(node.value()).toEqual({ DISCONNECTED: 'idle' });
    expect(node.announced().slice(-2)).toEqual([
      'FAILED: init timeout',
      'DISCONNECTED: cleaned up after failure',
    ]);
  });

  it('should reach DISCONNECTED even when the cleanup fails, saying so', async () => {
    // Arrange
    const node = failed();
    // Act
    await node.finishCleanup(new Error('endpoint gone'));
    // Assert
    expect(node.value()).toEqual({ DISCONNECTED: 'idle' });
    expect(node.announced().at(-1)).toBe('DISCONNECTED: cleanup failed');
  });

  it('should act once on an INIT received while FAILED, with that INIT’s budget', async () => {
    // Arrange
    const node = failed();
    node.send({ type: 'parent.init', epoch: 2, timeoutMs: 300 });
    const whileCleaning = node.value();
    // Act
    await node.finishCleanup();
    const reconnecting = node.value();
    node.advance(300);
    await node.finishCleanup();
    // Assert
    expect(whileCleaning).toBe('FAILED');
    expect(reconnecting).toEqual({ CONNECTING: { waiting: 'initializing' } });
    expect(node.contexts.resetLinks!.map((c) => c.initBudgetMs)).toEqual([1_000, 300]);
    expect(node.announced().slice(2)).toEqual([
      'FAILED: init timeout',
      'DISCONNECTED: cleaned up after failure',
      'CONNECTING: INIT received while failed',
      'FAILED: init timeout',
      'DISCONNECTED: cleaned up after failure',
    ]);
    expect(node.value()).toEqual({ DISCONNECTED: 'idle' });
  });

  it('should shut down rather than reconnect when SHUTDOWN arrived while FAILED', async () => {
    // Arrange
    const node = failed();
    node.send({ type: 'parent.init', epoch: 2, timeoutMs: 300 });
    node.send({ type: 'parent.shutdown', mode: 'abort', timeoutMs: 200 });
    // Act
    await node.finishCleanup();
    const shuttingDown = node.value();
    node.advance(200);
    // Assert
    expect(shuttingDown).toEqual({ DISCONNECTED: 'shuttingDown' });
    expect(node.contexts.beginShutdown![0]!.shutdown).toEqual({ mode: 'abort', timeoutMs: 200 });
    expect(node.value()).toEqual({ DISCONNECTED: 'stopped' });
    expect(node.times('resetLinks')).toHaveLength(1);
  });
});
