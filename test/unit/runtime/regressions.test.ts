/**
 * Regression tests: each reproduces a defect found in review, now fixed.
 */
import { describe, expect, it } from 'vitest';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { isInvalidSpecError, type NodeSpec } from '../../helpers/imports.js';
import {
  advance,
  createTestTree,
  pendingTimers,
  settle,
  testPolicy,
} from '../../helpers/simulation.js';

describe('regressions', () => {
  it('should not exhaust the restart budget of a node DEGRADED only through a DEGRADED child', async () => {
    // Default budget: 10 rounds a minute. Before the fix, empty rounds spent it in ~31 s and
    // the root escalated to FAILED although all its children were available.
    const t = createTestTree({
      spec: {
        id: 'R',
        children: [{ id: 'A', children: [{ id: 'L1' }, { id: 'L2' }, { id: 'L3' }] }, { id: 'B' }],
      },
      policy: { ...testPolicy, retry: { initialDelayMs: 100, maxDelayMs: 5_000, jitter: 0 } },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('L1');
    await advance(t.clock, 40_000, 50);
    expect(t.transitions('R').map((e) => e.to)).not.toContain('FAILED');
    expect(t.tree.stateOf('R')).toBe('DEGRADED');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should settle removeNode when the tree shuts down during the removal', async () => {
    const t = createTestTree({
      spec: { id: 'R', children: [{ id: 'L1' }, { id: 'L2' }] },
      handler: () => new Promise(() => {}),
    });
    await settle(t.clock, t.tree.start());
    void t.tree.command('slow', undefined, { timeoutMs: 60_000 });
    await advance(t.clock, 50);
    const removal = t.tree.removeNode('L1');
    const shutdown = t.tree.shutdown({ mode: 'abort', timeoutMs: 1_000 });
    await settle(t.clock, Promise.all([removal, shutdown]));
    expect(pendingTimers(t.clock)).toBe(0);
  });

  it('should settle both of two concurrent removals of one node', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    await settle(t.clock, Promise.all([t.tree.removeNode('eu-1'), t.tree.removeNode('eu-1')]));
    expect(Object.keys(t.tree.snapshot().nodes['eu']!.links)).toEqual(['eu-2', 'eu-3']);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should settle overlapping root INITs (start and recover)', async () => {
    const t = createTestTree();
    const started = t.tree.start();
    const recovered = t.tree.recover('root');
    const [state, result] = await settle(t.clock, Promise.all([started, recovered]));
    expect(state).toBe('SYNCHRONIZED');
    expect(result.state).toBe('SYNCHRONIZED');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should match the ACKs of more than 1 024 envelopes in flight', async () => {
    const spec: NodeSpec = {
      id: 'R',
      children: Array.from({ length: 1_100 }, (_, i) => ({ id: `L${i}` })),
    };
    let t: ReturnType<typeof createTestTree> | null = null;
    t = createTestTree({
      spec,
      handler: () => new Promise((resolve) => t!.clock.setTimeout(() => resolve('ok'), 1_000)),
    });
    await settle(t.clock, t.tree.start());
    const result = await settle(t.clock, t.tree.command('slow'));
    expect(result.counts).toEqual({ completed: 1_100, failed: 0, skipped: 0, timedOut: 0 });
    await settle(t.clock, t.tree.shutdown());
  });

  it('should not declare children unreachable while a batch waits its batching delay', async () => {
    const t = createTestTree({
      policy: { ...testPolicy, batching: { maxDelayMs: 800 } }, // ackMs is 500
    });
    await settle(t.clock, t.tree.start());
    const result = await settle(t.clock, t.tree.command('deploy', undefined, { timeoutMs: 5_000 }));
    expect(result.status).toBe('completed');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should let a node whose last child was killed and removed connect again', async () => {
    const t = createTestTree({
      spec: { id: 'R', children: [{ id: 'A', children: [{ id: 'L' }] }, { id: 'B' }, { id: 'C' }] },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('L');
    await settle(t.clock, t.tree.removeNode('L'));
    await advance(t.clock, 3_000);
    expect(t.tree.stateOf('A')).toBe('SYNCHRONIZED'); // a leaf now
    expect(t.tree.stateOf('R')).toBe('SYNCHRONIZED');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should not wait the shutdown deadline for a child that restarted fresh', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    t.tree.kill('eu-1');
    t.tree.revive('eu-1'); // no session yet: answers NOT_INITIALIZED
    const before = t.clock.now();
    const result = await settle(t.clock, t.tree.shutdown({ timeoutMs: 2_000 }));
    expect(t.clock.now() - before).toBeLessThan(500);
    expect(result).toEqual({ mode: 'drain', forced: 0, graceful: true });
  });

  it('should count force-stopped stragglers anywhere in the tree', async () => {
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    transport.drop = (e) => e.kind === 'COORD_SHUTDOWN' && (e.to === 'eu-2' || e.to === 'us-1');
    const result = await settle(t.clock, t.tree.shutdown({ timeoutMs: 1_000 }));
    expect(result).toEqual({ mode: 'drain', forced: 2, graceful: true });
  });

  it('should refuse a tree deeper than it can build, instead of crashing', () => {
    let spec: NodeSpec = { id: 'n201' };
    for (let i = 200; i >= 0; i--) spec = { id: `n${i}`, children: [spec] };
    let error: unknown = null;
    try {
      createTestTree({ spec });
    } catch (e) {
      error = e;
    }
    expect(isInvalidSpecError(error)).toBe(true);
    expect(String(error)).toMatch(/"n201" is 201 levels deep; trees may be at most 200/);
  });
  it('should refuse to recover a node through a parent that has no session, not poison it', async () => {
    // Found by the randomized scenario runner: the revived parent sent INIT with an empty session.
    const t = createTestTree({
      spec: { id: 'n0', children: [{ id: 'n1', children: [{ id: 'n2' }, { id: 'n3' }] }] },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('n1');
    t.tree.revive('n1');
    await expect(t.tree.recover('n2')).rejects.toThrow(/parent n1 is not connected/);
    await advance(t.clock, 5_000);
    for (const id of ['n0', 'n1', 'n2', 'n3']) expect(t.tree.stateOf(id)).toBe('SYNCHRONIZED');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should refuse to remove a node whose parent is killed (its counts could not change)', async () => {
    const t = createTestTree({
      spec: {
        id: 'n0',
        children: [{ id: 'a', children: [{ id: 'b' }, { id: 'c' }] }, { id: 'd' }],
      },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('a');
    await expect(t.tree.removeNode('b')).rejects.toThrow(/parent a is killed/);
    t.tree.revive('a');
    await advance(t.clock, 3_000);
    await settle(t.clock, t.tree.removeNode('b'));
    const result = await settle(t.clock, t.tree.command('count'));
    expect(result.counts).toEqual({ completed: 2, failed: 0, skipped: 0, timedOut: 0 });
    await settle(t.clock, t.tree.shutdown());
  });

  it('should not declare a child silent for the time its parent spent connecting', async () => {
    // n1 answers at once; the critical n3 only 1 s later (it was revived late). The first
    // heartbeat after CONNECTING used to measure n1's silence from its READY and fail the root.
    const t = createTestTree({
      spec: {
        id: 'n0',
        children: [
          { id: 'n1', critical: true },
          { id: 'n3', critical: true },
        ],
      },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('n3');
    await advance(t.clock, 1_400);
    t.tree.revive('n3');
    await advance(t.clock, 3_000);
    const failures = t
      .transitions('n0')
      .filter((e) => e.to === 'FAILED')
      .map((e) => e.reason);
    expect(failures).toEqual(['a critical child is unavailable']); // n3's crash, and only that
    expect(t.tree.stateOf('n0')).toBe('SYNCHRONIZED');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should forget a node once when it is removed twice at the same time', async () => {
    const t = createTestTree({
      spec: {
        id: 'n0',
        children: [{ id: 'a', children: [{ id: 'b' }, { id: 'c' }] }, { id: 'd' }],
      },
    });
    await settle(t.clock, t.tree.start());
    await settle(t.clock, Promise.all([t.tree.removeNode('b'), t.tree.removeNode('b')]));
    t.tree.kill('c');
    await advance(t.clock, 1_000);
    t.tree.revive('c');
    await advance(t.clock, 5_000);
    expect(t.tree.stateOf('c')).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('a')).toBe('SYNCHRONIZED');
    expect(t.transitions('a').map((e) => e.reason)).not.toContain('leaf ready');
    await settle(t.clock, t.tree.shutdown());
  });
  it('should reject addNode cleanly when the new node is removed while joining', async () => {
    // x's READY is held back, so that p's removal ends while x is still joining
    const transport = new FilteringTransport();
    const t = createTestTree({
      spec: { id: 'n0', children: [{ id: 'p', children: [{ id: 'q' }] }, { id: 'r' }] },
      transport,
    });
    await settle(t.clock, t.tree.start());
    transport.holdMs = (e) => (e.kind === 'COORD_READY' && e.from === 'x' ? 1_000 : 0);
    const add = t.tree.addNode('q', { id: 'x' });
    const remove = t.tree.removeNode('p');
    await expect(settle(t.clock, add)).rejects.toThrow(/x was removed while it was joining/);
    await settle(t.clock, remove);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should count the skipped leaves of a node that is alive but not connected by its own report', async () => {
    // The root refuses the command (it waits for its critical child); n3 was removed under n2
    // meanwhile. The root's refusal carries its current leaf count, not the API's stale one.
    const t = createTestTree({
      spec: {
        id: 'n0',
        children: [
          { id: 'n1', critical: true },
          { id: 'n2', children: [{ id: 'n3' }, { id: 'n4' }] },
        ],
      },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('n1');
    await advance(t.clock, 1_000);
    await settle(t.clock, t.tree.removeNode('n3'));
    const result = await settle(t.clock, t.tree.command('c', undefined, { timeoutMs: 1_000 }));
    expect(result.counts).toEqual({ completed: 0, failed: 0, skipped: 2, timedOut: 0 }); // n1 and n4
    await settle(t.clock, t.tree.shutdown({ timeoutMs: 500 }));
  });
  it('should keep counts true for a change below a node that is reconnecting', async () => {
    // n1 lost its critical child k and is reconnecting; n2 is removed below it meanwhile. The
    // root never asks n1 (its link is unavailable), so n1 must have reported the change itself.
    const t = createTestTree({
      spec: {
        id: 'n0',
        children: [
          { id: 'n1', children: [{ id: 'k', critical: true }, { id: 'n2' }, { id: 'n3' }] },
          { id: 'n5' },
        ],
      },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('k');
    await advance(t.clock, 1_000);
    expect(t.tree.stateOf('n1')).not.toBe('SYNCHRONIZED');
    await settle(t.clock, t.tree.removeNode('n2'));
    await advance(t.clock, 50);
    const result = await settle(t.clock, t.tree.command('c', undefined, { timeoutMs: 1_000 }));
    const { completed, failed, skipped, timedOut } = result.counts;
    expect(completed + failed + skipped + timedOut).toBe(3); // k, n3 and n5
    expect(result.outcomes.get('n1')).toMatchObject({ leaves: 2 });
    await settle(t.clock, t.tree.shutdown({ timeoutMs: 500 }));
  });
});
