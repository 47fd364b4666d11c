/**
 * A command result's outcome map: built at once for most results, in slices for a big one, so
 * that a 100 000-leaf result does not block the event loop while it is copied.
 */
import { describe, expect, it } from 'vitest';
import { outcomeMap } from '../../../src/runtime/TreeClient.js';
import type { Outcome } from '../../helpers/imports.js';

const entries = (n: number): [string, Outcome][] =>
  Array.from({ length: n }, (_, i) => [`leaf-${i}`, { status: 'completed', result: i }]);

describe('outcomeMap', () => {
  it('should hand a small result over at once', () => {
    let map: Map<string, Outcome> | undefined;
    outcomeMap(entries(3), (m) => (map = m));
    expect(map && [...map.keys()]).toEqual(['leaf-0', 'leaf-1', 'leaf-2']);
  });

  it('should build a big result over several turns of the event loop, every outcome in order', async () => {
    // Arrange
    const big = entries(50_001);
    let map: Map<string, Outcome> | undefined;
    let turns = 0;
    // Act
    outcomeMap(big, (m) => (map = m));
    expect(map).toBeUndefined();
    while (!map) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turns++;
    }
    // Assert
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(map.size).toBe(50_001);
    expect([...map.keys()]).toEqual(big.map(([id]) => id));
    expect(map.get('leaf-50000')).toEqual({ status: 'completed', result: 50_000 });
  });
});
