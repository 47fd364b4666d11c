import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { describe, expect, it } from 'vitest';
import { advance, createTestTree, settle, testPolicy } from '../../helpers/simulation.js';

describe('failure and recovery', () => {
  it('should turn a parent DEGRADED when a leaf crashes, within the heartbeat bound', async () => {
    // Arrange
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    const killedAt = t.clock.now();
    // Act
    t.tree.kill('eu-1');
    await advance(t.clock, 700); // heartbeat silence 500 ms + one 100 ms interval + slack
    // Assert
    expect(t.tree.stateOf('eu')).toBe('DEGRADED');
    expect(t.tree.stateOf('root')).toBe('DEGRADED');
    const degraded = t.transitions('eu').find((e) => e.to === 'DEGRADED')!;
    expect(degraded.at - killedAt).toBeLessThanOrEqual(600);
    expect(degraded.reason).toBe('1 child unavailable');
    expect(t.transitions('root').at(-1)).toMatchObject({
      to: 'DEGRADED',
      reason: '1 child degraded',
    });
    expect(t.tree.snapshot().nodes['eu']!.links['eu-1']).toBe('unreachable');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should skip an unavailable subtree in commands and account for it', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    t.tree.kill('eu-1');
    await advance(t.clock, 700);
    const result = await settle(t.clock, t.tree.command('deploy'));
    expect(result.status).toBe('partial');
    expect(result.counts).toEqual({ completed: 4, failed: 0, skipped: 1, timedOut: 0 });
    expect(result.outcomes.get('eu-1')).toEqual({
      status: 'skipped',
      reason: 'child unreachable',
      leaves: 1,
    });
    await settle(t.clock, t.tree.shutdown());
  });

  it('should recover automatically once the crashed node comes back', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    t.tree.kill('eu-1');
    await advance(t.clock, 700);
    // Act
    t.tree.revive('eu-1');
    await advance(t.clock, 1_000);
    // Assert
    expect(t.tree.stateOf('eu-1')).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('eu')).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('root')).toBe('SYNCHRONIZED');
    expect(t.transitions('eu').map((e) => e.to)).toEqual([
      'CONNECTING',
      'SYNCHRONIZED',
      'DEGRADED',
      'SYNCHRONIZED',
    ]);
    const result = await settle(t.clock, t.tree.command('deploy'));
    expect(result.status).toBe('completed');
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown());
  });

  it('should notice a node revived before its parent noticed the crash', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    t.tree.kill('eu-1');
    t.tree.revive('eu-1');
    await advance(t.clock, 1_000);
    expect(t.tree.stateOf('eu-1')).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('eu')).toBe('SYNCHRONIZED');
    expect(t.transitions('eu').map((e) => e.to)).toContain('DEGRADED');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should fail a node whose critical child is down, and the root above it', async () => {
    // Arrange: us is critical for root; us-1 is critical for us
    const t = createTestTree({
      spec: {
        id: 'root',
        children: [
          { id: 'eu', children: [{ id: 'eu-1' }, { id: 'eu-2' }] },
          { id: 'us', critical: true, children: [{ id: 'us-1', critical: true }, { id: 'us-2' }] },
        ],
      },
    });
    await settle(t.clock, t.tree.start());
    // Act
    t.tree.kill('us-1');
    await advance(t.clock, 700);
    // Assert
    const us = t.transitions('us').map((e) => `${e.from}>${e.to}:${e.reason}`);
    const failedAt = us.indexOf('SYNCHRONIZED>FAILED:a critical child is unavailable');
    expect(failedAt).toBeGreaterThan(0);
    expect(us[failedAt + 1]).toBe('FAILED>DISCONNECTED:cleaned up after failure');
    expect(t.transitions('root').find((e) => e.to === 'FAILED')?.reason).toBe(
      'a critical child is unavailable',
    );
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown({ timeoutMs: 1_000 }));
  });

  it('should fail a node when more children are down than the policy tolerates', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    t.tree.kill('eu-1');
    t.tree.kill('eu-2');
    await advance(t.clock, 700);
    expect(t.transitions('eu').find((e) => e.to === 'FAILED')?.reason).toBe(
      '2 of 3 children unavailable (limit 1.5)',
    );
    await settle(t.clock, t.tree.shutdown({ timeoutMs: 1_000 }));
  });

  it('should escalate to FAILED once the restart budget is exhausted', async () => {
    // Arrange: two recovery rounds per minute at most
    const t = createTestTree({
      policy: { ...testPolicy, restartBudget: { maxRestarts: 2, windowMs: 60_000 } },
    });
    await settle(t.clock, t.tree.start());
    // Act: eu-1 stays dead
    t.tree.kill('eu-1');
    await advance(t.clock, 3_000);
    // Assert
    const failed = t.events.findIndex(
      (e) => e.type === 'transition' && e.nodeId === 'eu' && e.to === 'FAILED',
    );
    expect(failed).toBeGreaterThan(0);
    const inits = t.events
      .slice(0, failed)
      .filter(
        (e) => e.type === 'message' && e.envelope.kind === 'COORD_INIT' && e.envelope.to === 'eu-1',
      );
    // The start's INIT only: recovery rounds ask a suspected child to SYNC, not to restart.
    expect(inits).toHaveLength(1);
    expect(t.events[failed]).toMatchObject({ reason: 'restart budget exhausted' });
    // The root supervises eu in turn and, with the same budget, escalates too.
    expect(t.transitions('root').find((e) => e.to === 'FAILED')?.reason).toBe(
      'restart budget exhausted',
    );
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown({ timeoutMs: 1_000 }));
  });

  it('should not spend the restart budget while only a grandchild is down', async () => {
    // Arrange: the root is DEGRADED because eu is DEGRADED, but all its children are available
    const t = createTestTree({
      policy: { ...testPolicy, restartBudget: { maxRestarts: 1_000, windowMs: 600_000 } },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('eu-1');
    // Act
    await advance(t.clock, 5_000);
    // Assert: eu keeps trying eu-1; the root never runs an empty recovery round
    expect(t.tree.stateOf('root')).toBe('DEGRADED');
    const rootInits = t.events.filter(
      (e) => e.type === 'message' && e.envelope.kind === 'COORD_INIT' && e.envelope.from === 'root',
    );
    expect(rootInits).toHaveLength(2); // eu and us, at start
    await settle(t.clock, t.tree.shutdown());
  });

  it('should recover manually on demand with a fresh restart budget', async () => {
    const t = createTestTree({
      policy: { ...testPolicy, retry: { initialDelayMs: 5_000, maxDelayMs: 5_000, jitter: 0 } },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('eu-2');
    await advance(t.clock, 700);
    t.tree.revive('eu-2');
    // Act: recovery rounds are 5 s apart; recover now
    const result = await settle(t.clock, t.tree.recover('eu'));
    // Assert
    expect(result).toEqual({
      nodeId: 'eu',
      state: 'SYNCHRONIZED',
      restarted: ['eu-2'],
      unavailable: [],
    });
    await settle(t.clock, t.tree.shutdown());
  });

  it('should re-INIT a failed root by itself once the tree has started', async () => {
    const t = createTestTree({
      spec: { id: 'root', children: [{ id: 'a', critical: true }, { id: 'b' }] },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('a');
    await advance(t.clock, 700);
    expect(t.transitions('root').map((e) => e.to)).toContain('FAILED');
    // Act
    t.tree.revive('a');
    await advance(t.clock, 3_000);
    // Assert
    expect(t.tree.stateOf('root')).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('a')).toBe('SYNCHRONIZED');
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown());
  });

  it('should stop re-INITing a root that keeps failing once the restart budget is spent', async () => {
    const t = createTestTree({
      spec: { id: 'root', children: [{ id: 'a', critical: true }, { id: 'b' }] },
      policy: { ...testPolicy, restartBudget: { maxRestarts: 3, windowMs: 600_000 } },
    });
    await settle(t.clock, t.tree.start());
    t.tree.kill('a'); // stays dead: every re-INIT of the root fails
    await advance(t.clock, 30_000, 50);
    const inits = t.events.filter(
      (e) => e.type === 'message' && e.envelope.kind === 'COORD_INIT' && e.envelope.to === 'root',
    );
    expect(inits).toHaveLength(1 + 3);
    expect(t.tree.stateOf('root')).toBe('DISCONNECTED');
    await settle(t.clock, t.tree.shutdown({ timeoutMs: 500 }));
  });

  it('should recover on demand a root whose start failed', async () => {
    const transport = new FilteringTransport();
    transport.drop = (e) => e.kind === 'COORD_INIT' && e.to === 'b';
    const t = createTestTree({
      transport,
      spec: { id: 'root', children: [{ id: 'a' }, { id: 'b' }] },
    });
    await expect(settle(t.clock, t.tree.start())).rejects.toThrow(/did not start/);
    await advance(t.clock, 500);
    expect(t.tree.stateOf('root')).toBe('DISCONNECTED'); // not supervised: start() failed
    // Act
    transport.drop = () => false;
    const result = await settle(t.clock, t.tree.recover('root'));
    // Assert
    expect(result).toMatchObject({ nodeId: 'root', state: 'SYNCHRONIZED', unavailable: [] });
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown());
  });
});
