import { describe, expect, it } from 'vitest';
import { coordinator, decision, startNode } from './nodeHarness.js';

/** A coordinator brought to `state` by its supervisor's decisions. */
function connected(state: 'SYNCHRONIZED' | 'DEGRADED') {
  const node = startNode(coordinator);
  node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
  node.send(decision('SYNCHRONIZED'));
  if (state === 'DEGRADED') node.send(decision('DEGRADED', { recoverable: true }));
  return node;
}

describe('nodeMachine shutdown', () => {
  it.each(['SYNCHRONIZED', 'DEGRADED'] as const)(
    'should drain from %s and stop when the endpoint reports done',
    (state) => {
      // Arrange
      const node = connected(state);
      // Act
      node.send({ type: 'parent.shutdown', mode: 'drain', timeoutMs: 500 });
      const draining = node.value();
      node.advance(200);
      node.send({ type: 'shutdown.done' });
      node.advance(1_000);
      // Assert
      expect(draining).toEqual({ [state]: 'draining' });
      expect(node.contexts.beginShutdown![0]!.shutdown).toEqual({ mode: 'drain', timeoutMs: 500 });
      expect(node.value()).toEqual({ DISCONNECTED: 'stopped' });
      expect(node.reason()).toBe('shutdown complete');
      expect(node.times('reportShutdownComplete')).toEqual([200]);
      expect(node.times('forceShutdown')).toEqual([]);
      expect(node.times('restartUnavailable')).toEqual([]);
    },
  );

  it.each(['SYNCHRONIZED', 'DEGRADED'] as const)(
    'should force a shutdown from %s at its deadline, not before',
    (state) => {
      // Arrange
      const node = connected(state);
      node.send({ type: 'parent.shutdown', mode: 'abort', timeoutMs: 300 });
      // Act
      node.advance(299);
      const beforeDeadline = node.value();
      node.advance(1);
      // Assert
      expect(beforeDeadline).toEqual({ [state]: 'draining' });
      expect(node.value()).toEqual({ DISCONNECTED: 'stopped' });
      expect(node.times('forceShutdown')).toEqual([300]);
      expect(node.times('reportShutdownComplete')).toEqual([300]);
      expect(node.reason()).toBe('shutdown deadline passed');
    },
  );

  it.each(['SYNCHRONIZED', 'DEGRADED'] as const)(
    'should keep its first deadline when a second SHUTDOWN arrives while draining from %s',
    (state) => {
      // Arrange
      const node = connected(state);
      node.send({ type: 'parent.shutdown', mode: 'drain', timeoutMs: 300 });
      node.advance(200);
      // Act
      node.send({ type: 'parent.shutdown', mode: 'abort', timeoutMs: 1_000 });
      node.advance(100);
      // Assert
      expect(node.times('beginShutdown')).toEqual([0]);
      expect(node.times('forceShutdown')).toEqual([300]);
      expect(node.value()).toEqual({ DISCONNECTED: 'stopped' });
    },
  );

  it.each([
    ['SYNCHRONIZED', decision('FAILED', { reason: 'a critical child is unavailable' })],
    ['SYNCHRONIZED', decision('DEGRADED', { recoverable: true })],
    ['DEGRADED', decision('FAILED', { reason: 'a critical child is unavailable' })],
    ['DEGRADED', decision('SYNCHRONIZED')],
  ] as const)('should keep draining from %s whatever the supervisor decides', (state, event) => {
    // Arrange
    const node = connected(state);
    node.send({ type: 'parent.shutdown', mode: 'drain', timeoutMs: 500 });
    // Act
    node.send(event);
    // Assert
    expect(node.value()).toEqual({ [state]: 'draining' });
    expect(node.announced().at(-1)).toMatch(new RegExp(`^${state}:`));
  });

  it('should shut down straight from DISCONNECTED', () => {
    // Arrange
    const node = startNode(coordinator);
    // Act
    node.send({ type: 'parent.shutdown', mode: 'drain', timeoutMs: 500 });
    const shuttingDown = node.value();
    node.send({ type: 'shutdown.done' });
    // Assert
    expect(shuttingDown).toEqual({ DISCONNECTED: 'shuttingDown' });
    expect(node.contexts.beginShutdown![0]!.shutdown).toEqual({ mode: 'drain', timeoutMs: 500 });
    expect(node.value()).toEqual({ DISCONNECTED: 'stopped' });
    expect(node.times('reportShutdownComplete')).toEqual([0]);
    expect(node.announced()).toEqual(['DISCONNECTED: created']);
  });
});
