import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  SCALED_TIMEOUT_MS_PER_NODE,
  createCoordinationTree,
  resolvePolicy,
  type NodeSpec,
} from '../../helpers/imports.js';

/** A root over `leaves` leaves. */
const wide = (leaves: number): NodeSpec => ({
  id: 'root',
  children: Array.from({ length: leaves }, (_, i) => ({ id: `leaf-${i}` })),
});

describe('timeout defaults scaled to the tree', () => {
  it('should keep the fixed start and shutdown budgets for a tree of up to 40 000 nodes', () => {
    for (const nodes of [1, 1_111, 40_000]) {
      const { timeouts, machine } = resolvePolicy({}, { nodes });
      expect(timeouts.initMs).toBe(DEFAULT_POLICY.timeouts.initMs);
      expect(timeouts.shutdownMs).toBe(DEFAULT_POLICY.timeouts.shutdownMs);
      expect(machine.initTimeoutMs).toBe(DEFAULT_POLICY.timeouts.initMs);
    }
    expect(resolvePolicy().timeouts.initMs).toBe(10_000);
  });

  it('should allow a quarter of a millisecond per node beyond that', () => {
    expect(SCALED_TIMEOUT_MS_PER_NODE).toBe(0.25);
    const { timeouts, machine } = resolvePolicy({}, { nodes: 111_111 });
    expect(timeouts.initMs).toBe(27_778);
    expect(timeouts.shutdownMs).toBe(27_778);
    expect(machine.initTimeoutMs).toBe(27_778);
    // The other timeouts do not depend on the tree's size.
    expect(timeouts.commandMs).toBe(DEFAULT_POLICY.timeouts.commandMs);
    expect(timeouts.ackMs).toBe(DEFAULT_POLICY.timeouts.ackMs);
  });

  it('should keep a budget the policy sets, whatever the size', () => {
    const { timeouts } = resolvePolicy({ timeouts: { initMs: 5_000 } }, { nodes: 111_111 });
    expect(timeouts.initMs).toBe(5_000);
    expect(timeouts.shutdownMs).toBe(27_778);
  });

  it('should refuse a scale that is not a count of nodes, saying what it needs', () => {
    for (const nodes of [Number.NaN, 0, 2.5, -1]) {
      expect(() => resolvePolicy({}, { nodes })).toThrow(/scale\.nodes must be .* integer ≥ 1/);
    }
  });

  it('should scale a tree’s defaults to the nodes of its spec', () => {
    const handler = () => 'ok';
    const small = createCoordinationTree({ root: wide(10), handler });
    const large = createCoordinationTree({ root: wide(60_000), handler });
    expect(small.policy.timeouts.initMs).toBe(10_000);
    expect(large.policy.timeouts).toMatchObject({ initMs: 15_001, shutdownMs: 15_001 });
  });
});
