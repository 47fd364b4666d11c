/**
 * What an idle tree's heartbeats cost: an answer that repeats what the parent knows changes no
 * count and is the same body object each time (one for all leaves in a state); a change makes a
 * new one.
 */
import { describe, expect, it } from 'vitest';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { advance, createTestTree, settle } from '../../helpers/simulation.js';
import type { AnyEnvelope } from '../../../machines/index.js';

const spec = {
  id: 'root',
  children: [{ id: 'mid', children: [{ id: 'x' }, { id: 'y' }, { id: 'z' }] }],
};

/** STATUS answers `from` sent, oldest first. */
const statusFrom = (transport: FilteringTransport, from: string): AnyEnvelope[] =>
  transport.sent.filter((e) => e.kind === 'COORD_STATUS' && e.from === from);

describe('quiet links', () => {
  it('should answer heartbeats with the same body while nothing changed, and a new one after a change', async () => {
    // Arrange
    const transport = new FilteringTransport();
    const t = createTestTree({ transport, spec });
    await settle(t.clock, t.tree.start());
    // Act: idle for several heartbeat rounds
    await advance(t.clock, 8_000);
    const idle = statusFrom(transport, 'mid');
    // Assert: several answers, one body
    expect(idle.length).toBeGreaterThanOrEqual(3);
    expect(new Set(idle.map((e) => e.body)).size).toBe(1);
    expect(idle[0]!.body).toMatchObject({ state: 'SYNCHRONIZED', subtree: { nodes: 4 } });
    // Act: x goes down, so mid's subtree changes
    t.tree.kill('x');
    await advance(t.clock, 2_000);
    // Assert: mid's later answers carry the new counts in a new body
    const later = statusFrom(transport, 'mid').slice(idle.length);
    const last = later.at(-1)!.body;
    expect(last).not.toBe(idle[0]!.body);
    expect(last).toMatchObject({
      state: 'DEGRADED',
      subtree: { nodes: 4, byState: { DEGRADED: 1, SYNCHRONIZED: 2, unreachable: 1 } },
    });
    await settle(t.clock, t.tree.shutdown());
  });

  it('should answer for every leaf in the same state with one shared, frozen body', async () => {
    // Arrange
    const transport = new FilteringTransport();
    const t = createTestTree({ transport, spec });
    await settle(t.clock, t.tree.start());
    // Act
    await advance(t.clock, 2_000);
    // Assert
    const bodies = ['x', 'y', 'z'].map((leaf) => statusFrom(transport, leaf).at(-1)!.body);
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toEqual({
      state: 'SYNCHRONIZED',
      subtree: { nodes: 1, leaves: 1, byState: expect.objectContaining({ SYNCHRONIZED: 1 }) },
    });
    expect(Object.isFrozen(bodies[0])).toBe(true);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should keep a parent’s counts unchanged, and send nothing up, when answers repeat', async () => {
    // Arrange
    const transport = new FilteringTransport();
    const t = createTestTree({ transport, spec });
    await settle(t.clock, t.tree.start());
    const before = t.tree.snapshot().nodes['root']!.subtree;
    const sentUpBefore = transport.sent.filter((e) => e.from === 'mid' && e.to === 'root').length;
    const heartbeatsBefore = transport.sent.filter(
      (e) => e.to === 'mid' && e.kind === 'COORD_HEARTBEAT',
    ).length;
    // Act
    await advance(t.clock, 8_000);
    // Assert: mid sent its parent exactly one answer per heartbeat it got, no unasked STATUS
    const heartbeats =
      transport.sent.filter((e) => e.to === 'mid' && e.kind === 'COORD_HEARTBEAT').length -
      heartbeatsBefore;
    const sentUp =
      transport.sent.filter((e) => e.from === 'mid' && e.to === 'root').length - sentUpBefore;
    expect(heartbeats).toBeGreaterThan(0);
    expect(sentUp).toBe(heartbeats);
    expect(t.tree.snapshot().nodes['root']!.subtree).toEqual(before);
    await settle(t.clock, t.tree.shutdown());
  });
});
