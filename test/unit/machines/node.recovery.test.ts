import { describe, expect, it } from 'vitest';
import { coordinator, decision, startNode } from './nodeHarness.js';

/** A SYNCHRONIZED coordinator (its real supervisor grants at most 3 restarts per 10 s). */
function synchronized() {
  const node = startNode(coordinator);
  node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
  node.send(decision('SYNCHRONIZED'));
  return node;
}

const unavailable = decision('DEGRADED', { recoverable: true, reason: '1 child unavailable' });

describe('nodeMachine DEGRADED', () => {
  it('should follow its supervisor between SYNCHRONIZED, DEGRADED and FAILED, giving its reasons', () => {
    // Arrange
    const node = synchronized();
    // Act
    node.send(unavailable);
    node.send(decision('SYNCHRONIZED', { reason: 'all children available' }));
    node.send(decision('DEGRADED', { reason: '1 child degraded' }));
    node.send(decision('FAILED', { reason: 'a critical child is unavailable' }));
    // Assert
    expect(node.announced().slice(2)).toEqual([
      'SYNCHRONIZED: all children ready',
      'DEGRADED: 1 child unavailable',
      'SYNCHRONIZED: all children available',
      'DEGRADED: 1 child degraded',
      'FAILED: a critical child is unavailable',
    ]);
    expect(node.times('reportDecision')).toHaveLength(5);
  });

  it('should go FAILED from SYNCHRONIZED on the supervisor’s word', () => {
    // Arrange
    const node = synchronized();
    // Act
    node.send(decision('FAILED', { reason: '2 of 2 children unavailable (limit 1)' }));
    // Assert
    expect(node.value()).toBe('FAILED');
    expect(node.announced().at(-1)).toBe('FAILED: 2 of 2 children unavailable (limit 1)');
  });

  it('should run recovery rounds with backoff, and fail once the restart budget is spent', () => {
    // Arrange
    const node = synchronized();
    // Act
    node.send(unavailable);
    node.advance(1_100);
    // Assert: rounds after 100, 200 and 400 ms; the fourth request is refused
    expect(node.times('restartUnavailable')).toEqual([100, 300, 700]);
    expect(node.value()).toBe('FAILED');
    expect(node.announced().at(-1)).toBe('FAILED: restart budget exhausted');
    expect(node.times('reportDecision')).toEqual([0, 0, 1_100]);
  });

  it('should spend no restart while its children are merely degraded, and start once one is unavailable', () => {
    // Arrange
    const node = synchronized();
    node.send(decision('DEGRADED', { recoverable: false, reason: '1 child degraded' }));
    node.advance(1_000);
    const whileDegraded = node.times('restartUnavailable');
    // Act
    node.send(unavailable);
    node.advance(100);
    // Assert
    expect(whileDegraded).toEqual([]);
    expect(node.times('restartUnavailable')).toEqual([1_100]);
    expect(node.times('reportDecision')).toEqual([0, 0, 1_000]);
  });

  it('should back off from the first delay again each time it becomes DEGRADED', () => {
    // Arrange: two rounds spent (delays 100 and 200 ms), then recovered
    const node = synchronized();
    node.send(unavailable);
    node.advance(300);
    node.send(decision('SYNCHRONIZED'));
    // Act
    node.send(unavailable);
    node.advance(100);
    // Assert
    expect(node.times('restartUnavailable')).toEqual([100, 300, 400]);
  });
});
