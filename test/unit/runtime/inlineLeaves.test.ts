import { describe, expect, it } from 'vitest';
import { isTreeLifecycleError } from '../../../src/index.js';
import { validateSpec } from '../../../src/spec/treeSpec.js';
import { InlineLeaves } from '../../../src/runtime/InlineLeaves.js';
import { advance, createTestTree, flush, pendingTimers, settle } from '../../helpers/simulation.js';

describe('InlineLeaves', () => {
  it('should run local leaves below the root inline, and none under an inspector', () => {
    // Arrange
    const topology = validateSpec({
      id: 'root',
      children: [{ id: 'a', children: [{ id: 'a1' }] }, { id: 'r', remote: true }, { id: 'b' }],
    });
    const lone = validateSpec({ id: 'solo' });
    // Act
    const inline = new InlineLeaves(true, 'root', topology);
    const inspected = new InlineLeaves(false, 'root', topology);
    // Assert
    expect(['root', 'a', 'a1', 'r', 'b'].filter(inline.has)).toEqual(['a1', 'b']);
    expect(['root', 'a', 'a1', 'r', 'b'].filter(inspected.has)).toEqual([]);
    expect(new InlineLeaves(true, 'solo', lone).has('solo')).toBe(false);
  });

  it('should keep a leaf where it is when it gains a child, and coordinate the child', async () => {
    // Arrange
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    const before = t.transitions('us-2').length;
    // Act
    const joined = await settle(t.clock, t.tree.addNode('us-2', { id: 'us-2a' }));
    await advance(t.clock, 2_000);
    const result = await settle(t.clock, t.tree.command('ping'));
    // Assert: no transition of its own; its child joined, stays up and runs commands
    expect(joined).toBe('SYNCHRONIZED');
    expect(t.transitions('us-2')).toHaveLength(before);
    expect(t.tree.stateOf('us-2')).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('us-2a')).toBe('SYNCHRONIZED');
    expect(result.outcomes.get('us-2a')).toMatchObject({ status: 'completed' });
    expect(t.events.filter((e) => e.type === 'link' && e.to === 'unreachable')).toEqual([]);
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown());
    expect(pendingTimers(t.clock)).toBe(0);
  });

  it('should take a leaf over while its parent is mid-step (a child added from an event)', async () => {
    // Arrange: add us-2a under us-2 from inside us's own move to DEGRADED
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    let adding: Promise<unknown> | null = null;
    t.tree.eventsOf('transition').subscribe((event) => {
      if (event.nodeId === 'us' && event.to === 'DEGRADED' && adding === null)
        adding = t.tree.addNode('us-2', { id: 'us-2a' });
    });
    // Act
    t.tree.kill('us-1');
    await advance(t.clock, 2_000);
    // Assert
    expect(adding).not.toBeNull();
    await expect(settle(t.clock, adding!)).resolves.toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('us-2a')).toBe('SYNCHRONIZED');
    await settle(t.clock, t.tree.shutdown());
    expect(pendingTimers(t.clock)).toBe(0);
  });

  it('should kill, revive and recover a leaf that gained a child', async () => {
    // Arrange
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    await settle(t.clock, t.tree.addNode('us-2', { id: 'us-2a' }));
    // Act
    t.tree.kill('us-2');
    await advance(t.clock, 1_000);
    t.tree.revive('us-2');
    await settle(t.clock, t.tree.recover('us'));
    const result = await settle(t.clock, t.tree.command('ping'));
    // Assert
    expect(t.tree.stateOf('us-2')).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('us-2a')).toBe('SYNCHRONIZED');
    expect(result.outcomes.get('us-2a')).toMatchObject({ status: 'completed' });
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown());
    expect(pendingTimers(t.clock)).toBe(0);
  });

  it('should refuse a child under a leaf that is shutting down, and change nothing', async () => {
    // Arrange: us-2 drains a command that never finishes while it is being removed
    const t = createTestTree({
      handler: (_command, context) => (context.nodeId === 'us-2' ? new Promise(() => {}) : 'done'),
    });
    await settle(t.clock, t.tree.start());
    const running = t.tree.command('hang');
    running.catch(() => {});
    await flush();
    const removing = t.tree.removeNode('us-2');
    await advance(t.clock, 50);
    // Act
    const adding = t.tree.addNode('us-2', { id: 'us-2a' });
    // Assert
    await expect(adding).rejects.toSatisfy(isTreeLifecycleError);
    await expect(adding).rejects.toThrow(/us-2: it is shutting down/);
    expect(Object.keys(t.tree.snapshot().nodes)).not.toContain('us-2a');
    await settle(t.clock, removing);
    await settle(t.clock, t.tree.shutdown());
    expect(pendingTimers(t.clock)).toBe(0);
  });
});
