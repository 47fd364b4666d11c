import { describe, expect, it } from 'vitest';
import {
  ALLOWED_TRANSITIONS,
  COORDINATION_STATES,
  isAllowedTransition,
  isAvailableState,
  MESSAGE_KINDS,
} from '../../../machines/index.js';

describe('isAllowedTransition', () => {
  it('should allow exactly the ten table transitions among all 25 pairs of states', () => {
    // Arrange
    const table = new Set(ALLOWED_TRANSITIONS.map(([from, to]) => `${from}→${to}`));
    // Act
    const allowed = COORDINATION_STATES.flatMap((from) =>
      COORDINATION_STATES.filter((to) => isAllowedTransition(from, to)).map(
        (to) => `${from}→${to}`,
      ),
    );
    // Assert
    expect(allowed.sort()).toEqual([...table].sort());
    expect(allowed).toHaveLength(10);
  });

  it('should allow the shutdown edges and refuse a jump past CONNECTING', () => {
    expect(isAllowedTransition('DEGRADED', 'DISCONNECTED')).toBe(true);
    expect(isAllowedTransition('FAILED', 'DISCONNECTED')).toBe(true);
    expect(isAllowedTransition('DISCONNECTED', 'SYNCHRONIZED')).toBe(false);
    expect(isAllowedTransition('FAILED', 'SYNCHRONIZED')).toBe(false);
  });
});

describe('isAvailableState', () => {
  it('should count SYNCHRONIZED and DEGRADED children as available, and no other state', () => {
    // Act
    const available = COORDINATION_STATES.filter(isAvailableState);
    // Assert
    expect(available).toEqual(['SYNCHRONIZED', 'DEGRADED']);
  });
});

describe('COORDINATION_STATES', () => {
  it('should list the five protocol states in lifecycle order', () => {
    expect(COORDINATION_STATES).toEqual([
      'DISCONNECTED',
      'CONNECTING',
      'SYNCHRONIZED',
      'DEGRADED',
      'FAILED',
    ]);
  });
});

describe('MESSAGE_KINDS', () => {
  it('should list the ten message kinds of the specification, parent → child first', () => {
    expect(MESSAGE_KINDS).toEqual([
      'COORD_INIT',
      'COORD_COMMAND',
      'COORD_SYNC',
      'COORD_HEARTBEAT',
      'COORD_SHUTDOWN',
      'COORD_ACK',
      'COORD_STATUS',
      'COORD_ERROR',
      'COORD_READY',
      'COORD_COMPLETE',
    ]);
  });
});
