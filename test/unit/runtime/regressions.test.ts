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
});
