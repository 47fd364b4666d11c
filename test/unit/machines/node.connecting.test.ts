import { describe, expect, it } from 'vitest';
import { coordinator, decision, startNode } from './nodeHarness.js';

describe('nodeMachine CONNECTING', () => {
  it('should announce each state with its reason as a leaf settles on its own INIT', () => {
    // Arrange
    const node = startNode();
    // Act
    node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    // Assert
    expect(node.announced()).toEqual([
      'DISCONNECTED: created',
      'CONNECTING: INIT from parent',
      'SYNCHRONIZED: leaf ready',
    ]);
    expect(node.value()).toEqual({ SYNCHRONIZED: 'active' });
  });

  it('should set no timer while a leaf passes through CONNECTING, and both for a coordinator', () => {
    // Arrange
    const leaf = startNode();
    const parent = startNode(coordinator);
    // Act
    leaf.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    parent.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    // Assert: the leaf had nobody to wait for; the coordinator waits with a deadline and a resend
    expect(leaf.timersSet()).toBe(0);
    expect(parent.timersSet()).toBe(2);
    expect(parent.value()).toEqual({ CONNECTING: { waiting: 'initializing' } });
  });

  it('should resend INIT after the ack timeout, then back off up to the maximum delay', () => {
    // Arrange
    const node = startNode(coordinator);
    // Act
    node.send({ type: 'parent.init', epoch: 1, timeoutMs: 5_000 });
    node.advance(2_000);
    // Assert: rounds 100, 200, 400, then capped at 400 ms apart
    expect(node.times('sendInit')).toEqual([0, 100, 300, 700, 1_100, 1_500, 1_900]);
    expect(node.value()).toEqual({ CONNECTING: { waiting: 'retrying' } });
  });

  it('should fail at the budget of the INIT that opened CONNECTING, not the policy default', () => {
    // Arrange
    const node = startNode(coordinator);
    node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_500 });
    // Act
    node.advance(1_499);
    const before = node.value();
    node.advance(1);
    // Assert
    expect(node.contexts.resetLinks![0]!.initBudgetMs).toBe(1_500);
    expect(before).toEqual({ CONNECTING: { waiting: 'retrying' } });
    expect(node.value()).toBe('FAILED');
    expect(node.announced().at(-1)).toBe('FAILED: init timeout');
  });

  it('should wait while some child is unavailable, whatever the supervisor decides meanwhile', () => {
    // Arrange
    const node = startNode(coordinator);
    node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    // Act
    node.send(decision('FAILED', { allReady: false, recoverable: true }));
    node.advance(150);
    // Assert
    expect(node.value()).toEqual({ CONNECTING: { waiting: 'retrying' } });
    expect(node.times('reportDecision')).toEqual([0]);
  });

  it('should go SYNCHRONIZED once every child is ready, and stop resending INIT', () => {
    // Arrange
    const node = startNode(coordinator);
    node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    node.advance(150);
    // Act
    node.send(decision('SYNCHRONIZED', { reason: 'all children available' }));
    node.advance(2_000);
    // Assert
    expect(node.announced().slice(-1)).toEqual(['SYNCHRONIZED: all children ready']);
    expect(node.times('sendInit')).toEqual([0, 100]);
    expect(node.times('reportDecision')).toEqual([150]);
    expect(node.value()).toEqual({ SYNCHRONIZED: 'active' });
  });

  it('should start a new INIT afresh: from the first resend delay, awaiting every child again', async () => {
    // Arrange: a first session that resent INIT three times, then failed with all children ready
    const node = startNode(coordinator);
    node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    node.advance(750);
    node.send(decision('SYNCHRONIZED'));
    node.send(decision('FAILED', { allReady: true, reason: 'restart budget exhausted' }));
    await node.finishCleanup();
    const restartAt = node.clock.now();
    // Act
    node.send({ type: 'parent.init', epoch: 2, timeoutMs: 1_000 });
    node.advance(350);
    // Assert
    expect(node.value()).toEqual({ CONNECTING: { waiting: 'retrying' } });
    expect(node.times('sendInit').filter((at) => at >= restartAt)).toEqual([
      restartAt,
      restartAt + 100,
      restartAt + 300,
    ]);
  });

  it('should abort CONNECTING on SHUTDOWN, clean up, then shut down within its deadline', async () => {
    // Arrange
    const node = startNode(coordinator);
    node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    // Act
    node.send({ type: 'parent.shutdown', mode: 'abort', timeoutMs: 500 });
    const failed = node.value();
    await node.finishCleanup();
    const shuttingDown = node.value();
    node.advance(499);
    const beforeDeadline = node.value();
    node.advance(1);
    // Assert
    expect(failed).toBe('FAILED');
    expect(node.announced().slice(-2)).toEqual([
      'FAILED: shutdown during init',
      'DISCONNECTED: cleaned up after failure',
    ]);
    expect(shuttingDown).toEqual({ DISCONNECTED: 'shuttingDown' });
    expect(node.contexts.beginShutdown![0]!.shutdown).toEqual({ mode: 'abort', timeoutMs: 500 });
    expect(beforeDeadline).toEqual({ DISCONNECTED: 'shuttingDown' });
    expect(node.value()).toEqual({ DISCONNECTED: 'stopped' });
    expect(node.times('forceShutdown')).toEqual([500]);
    expect(node.times('reportShutdownComplete')).toEqual([500]);
    expect(node.reason()).toBe('shutdown deadline passed');
  });
});
