import { describe, expect, it } from 'vitest';
import { ALLOWED_TRANSITIONS } from '../../../machines/index.js';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { advance, createTestTree, settle } from '../../helpers/simulation.js';

describe('transition table', () => {
  it('should take every table transition, and no other, in one scenario', async () => {
    // Arrange
    const transport = new FilteringTransport();
    const t = createTestTree({
      transport,
      spec: {
        id: 'root',
        children: [
          { id: 'a', children: [{ id: 'a1' }, { id: 'a2' }, { id: 'a3' }] },
          { id: 'b', children: [{ id: 'b1', critical: true }, { id: 'b2' }] },
          { id: 'c', children: [{ id: 'c1' }, { id: 'c2' }, { id: 'c3' }] },
        ],
      },
    });
    // Act
    await settle(t.clock, t.tree.start()); //                      DISCONNECTED→CONNECTING→SYNCHRONIZED
    t.tree.kill('a1');
    await advance(t.clock, 1_000); //                                 a: SYNCHRONIZED→DEGRADED
    t.tree.revive('a1');
    await advance(t.clock, 1_000); //                               a: DEGRADED→SYNCHRONIZED
    t.tree.kill('b1');
    await advance(t.clock, 1_000); //                                 b: SYNCHRONIZED→FAILED→DISCONNECTED
    t.tree.kill('c1');
    await advance(t.clock, 1_000);
    t.tree.kill('c2');
    await advance(t.clock, 1_000); //                                 c: DEGRADED→FAILED
    transport.drop = (e) => e.kind === 'COORD_INIT' && e.to === 'd1';
    await settle(t.clock, t.tree.addNode('root', { id: 'd', children: [{ id: 'd1' }] })); // d: CONNECTING→FAILED
    t.tree.kill('a2');
    await advance(t.clock, 1_000);
    expect(t.tree.stateOf('a')).toBe('DEGRADED');
    await settle(t.clock, t.tree.shutdown()); //                     a: DEGRADED→DISCONNECTED; a3: SYNCHRONIZED→DISCONNECTED
    // Assert
    const seen = new Set(t.transitions().map((e) => `${e.from}→${e.to}`));
    const table = new Set(ALLOWED_TRANSITIONS.map(([from, to]) => `${from}→${to}`));
    expect([...seen].sort()).toEqual([...table].sort());
    t.expectConformance();
  });
});
