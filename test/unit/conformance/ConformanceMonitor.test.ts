import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../machines/index.js';
import { advance, createTestTree, settle } from '../../helpers/simulation.js';
import { ConformanceMonitor, type AnyEnvelope, type TreeEvent } from '../../helpers/imports.js';

function message(
  kind: AnyEnvelope['kind'],
  from: string,
  to: string,
  body: unknown,
  session = 's1',
): TreeEvent {
  const envelope = {
    v: PROTOCOL_VERSION,
    kind,
    id: `${kind}-${from}-${to}`,
    session,
    epoch: 1,
    from,
    to,
    seq: 1,
    sentAt: 0,
    body,
  } as AnyEnvelope;
  return { type: 'message', envelope, at: 0 };
}

const subtree = { nodes: 1, leaves: 1, byState: {} };

describe('ConformanceMonitor', () => {
  it('should report a transition outside the table and count the table ones', () => {
    // Arrange
    const monitor = new ConformanceMonitor();
    // Act
    monitor.observe({
      type: 'transition',
      nodeId: 'a',
      from: 'DISCONNECTED',
      to: 'CONNECTING',
      reason: 'INIT',
      at: 1,
    });
    monitor.observe({
      type: 'transition',
      nodeId: 'a',
      from: 'CONNECTING',
      to: 'DEGRADED',
      reason: 'bad',
      at: 2,
    });
    // Assert
    expect(monitor.violations).toEqual([
      {
        type: 'violation',
        rule: 'transition-outside-table',
        nodeId: 'a',
        detail: 'CONNECTING→DEGRADED (bad)',
        at: 2,
      },
    ]);
    expect(monitor.transitionCounts.get('DISCONNECTED→CONNECTING')).toBe(1);
    expect(monitor.transitionCounts.has('CONNECTING→DEGRADED')).toBe(false);
  });

  it('should report a COMMAND on a link before its child answered READY in that session', () => {
    const seen: string[] = [];
    const monitor = new ConformanceMonitor((v) => seen.push(`${v.rule}:${v.nodeId}`));
    monitor.observe(
      message('COORD_READY', 'c', 'p', { state: 'SYNCHRONIZED', subtree, incarnation: 'i' }),
    );
    monitor.observe(message('COORD_COMMAND', 'p', 'c', { commands: [] })); // fine
    monitor.observe(message('COORD_COMMAND', 'p', 'c', { commands: [] }, 's2')); // new session
    monitor.observe(message('COORD_COMMAND', 'p', 'd', { commands: [] })); // another child
    expect(seen).toEqual(['command-before-ready:p', 'command-before-ready:p']);
  });

  it('should report a message sent after its node completed shutdown, until it comes back', () => {
    const monitor = new ConformanceMonitor();
    monitor.observe(message('COORD_COMPLETE', 'c', 'p', { of: 'shutdown', forced: 0 }));
    monitor.observe(message('COORD_STATUS', 'c', 'p', { state: 'DISCONNECTED', subtree }));
    monitor.observe({ type: 'node', nodeId: 'c', change: 'revived', at: 5 });
    monitor.observe(message('COORD_STATUS', 'c', 'p', { state: 'DISCONNECTED', subtree }));
    expect(monitor.violations.map((v) => [v.rule, v.nodeId])).toEqual([
      ['message-after-shutdown', 'c'],
    ]);
  });

  it('should report a handler that ran twice for one command at one leaf', () => {
    const monitor = new ConformanceMonitor();
    const executed = (nodeId: string, commandId: string): TreeEvent => ({
      type: 'command',
      phase: 'executed',
      nodeId,
      commandId,
      name: 'x',
      status: 'completed',
      at: 0,
    });
    monitor.observe(executed('a', 'k1'));
    monitor.observe(executed('b', 'k1'));
    monitor.observe(executed('a', 'k2'));
    monitor.observe(executed('a', 'k1'));
    expect(monitor.violations.map((v) => [v.rule, v.nodeId])).toEqual([['executed-twice', 'a']]);
    expect(monitor.violationCount).toBe(1);
  });

  it('should find nothing wrong in a tree that starts, fails, recovers and shuts down', async () => {
    // Arrange: a tree with the monitor on
    const t = createTestTree({ monitor: true });
    // Act
    await settle(t.clock, t.tree.start());
    await settle(t.clock, t.tree.command('deploy'));
    t.tree.kill('eu-1');
    await advance(t.clock, 1_000);
    t.tree.revive('eu-1');
    await advance(t.clock, 1_000);
    await settle(t.clock, t.tree.command('deploy'));
    await settle(t.clock, t.tree.shutdown());
    // Assert
    expect(t.events.filter((e) => e.type === 'violation')).toEqual([]);
    expect(t.events.filter((e) => e.type === 'transition').length).toBeGreaterThan(20);
  });
});
