/**
 * Regressions of health, reconciliation and the client: each test failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { advance, createTestTree, settle } from '../../helpers/simulation.js';
import type { CommandResult } from '../../helpers/imports.js';

const threeLeaves = { id: 'root', children: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] };

describe('health and reconciliation regressions', () => {
  it('should resend a lost re-INIT to a suspected child instead of SYNCs it would fence', async () => {
    // Arrange: a is cut off and suspected; a manual recovery's INIT (a new epoch) is lost
    const transport = new FilteringTransport();
    const t = createTestTree({ transport, spec: threeLeaves });
    await settle(t.clock, t.tree.start());
    transport.drop = (e) => e.from === 'a' || e.to === 'a';
    await advance(t.clock, 2_000);
    void t.tree.recover('root');
    await advance(t.clock, 100);
    // Act: the network heals
    transport.drop = () => false;
    await advance(t.clock, 5_000);
    // Assert: a is back in the new epoch; nothing escalated
    expect(t.tree.snapshot().nodes['root']!.links['a']).toBe('SYNCHRONIZED');
    expect(t.transitions('root').filter((e) => e.to === 'FAILED')).toEqual([]);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should keep the silence cap above the stretched interval (no false suspicion at intervalMs 6 000)', async () => {
    // Arrange: the interval stretches to 12 s, above the former fixed 10 s cap
    const t = createTestTree({
      spec: { id: 'root', children: [{ id: 'a' }, { id: 'b' }] },
      policy: { timeouts: { initMs: 2_000 }, heartbeat: { intervalMs: 6_000 } },
    });
    await settle(t.clock, t.tree.start());
    // Act
    await advance(t.clock, 120_000, 100);
    // Assert
    expect(t.tree.policy.timeouts.heartbeatMs).toBe(36_000); // 3 × maxIntervalMs
    expect(t.events.filter((e) => e.type === 'link' && e.to === 'unreachable')).toEqual([]);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should not let a drain shutdown wait for a suspected child, nor call its unknown outcome skipped', async () => {
    // Arrange: a runs the command but every answer of a's is lost; a is suspected
    const transport = new FilteringTransport();
    const t = createTestTree({ transport, spec: threeLeaves });
    await settle(t.clock, t.tree.start());
    transport.drop = (e) => e.from === 'a';
    let result: CommandResult | undefined;
    void t.tree.command('deploy', undefined, { timeoutMs: 60_000 }).then((r) => (result = r));
    await advance(t.clock, 2_000);
    expect(t.tree.snapshot().nodes['root']!.links['a']).toBe('unreachable');
    // Act
    const shutdownAt = t.clock.now();
    const shutdown = await settle(t.clock, t.tree.shutdown({ mode: 'drain', timeoutMs: 5_000 }));
    // Assert
    expect(t.clock.now() - shutdownAt).toBeLessThan(1_000);
    expect(shutdown.graceful).toBe(true);
    expect(result?.outcomes.get('a')).toEqual({ status: 'timedOut', leaves: 1 });
  });

  it('should not suspect a child again after its SYNC answer said it still runs the command', async () => {
    // Arrange: x1's receipt of a long command is lost (it is suspected once, fairly), and x2
    // never gets the command (its SYNC answer makes the command go again, re-arming the wait)
    const transport = new FilteringTransport();
    const t = createTestTree({
      transport,
      spec: { id: 'root', children: ['x1', 'x2', 'x3', 'x4', 'x5'].map((id) => ({ id })) },
      handler: (_command, context) =>
        new Promise((resolve) => {
          t.clock.setTimeout(() => resolve(context.nodeId), context.nodeId === 'x1' ? 3_000 : 10);
        }),
    });
    await settle(t.clock, t.tree.start());
    let lostCommand = false;
    transport.drop = (e) =>
      (e.from === 'x1' && e.kind === 'COORD_ACK') ||
      (e.to === 'x2' && e.kind === 'COORD_COMMAND' && !lostCommand && (lostCommand = true));
    // Act
    void t.tree.command('deploy', undefined, { timeoutMs: 10_000 });
    await advance(t.clock, 4_000);
    // Assert
    const suspicions = t.events.filter(
      (e) => e.type === 'link' && e.childId === 'x1' && e.to === 'unreachable',
    );
    expect(suspicions).toHaveLength(1);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should hold a command issued during the start until the root answered READY', async () => {
    // Arrange
    const t = createTestTree();
    const started = t.tree.start();
    // Act: no COMMAND may reach the root before its READY (found by the interleaving property,
    // seed 5, path 1:0:0:0:0:0:0: a one-node tree, a command at 0 ms)
    const pending = t.tree.command('deploy');
    await settle(t.clock, started);
    const result = await settle(t.clock, pending);
    // Assert
    expect(result.status).toBe('completed');
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown());
  });
});
