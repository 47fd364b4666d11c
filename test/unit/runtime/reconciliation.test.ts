import { describe, expect, it } from 'vitest';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { advance, createTestTree, settle } from '../../helpers/simulation.js';
import type { AnyEnvelope, CommandResult } from '../../helpers/imports.js';

/** Whether an envelope crosses the link between `a` and `b`, either way. */
const across = (a: string, b: string) => (e: AnyEnvelope) =>
  (e.from === a && e.to === b) || (e.from === b && e.to === a);

describe('reconciliation after a partition (COORD_SYNC)', () => {
  it('should take a command finished during the partition from the SYNC answer, not run it again', async () => {
    // Arrange: leaves take 300 ms; eu-1 is cut off from eu while it runs the command
    const transport = new FilteringTransport();
    const ran: string[] = [];
    const tree = createTestTree({
      transport,
      handler: (command, context) =>
        new Promise((resolve) => {
          ran.push(`${context.nodeId}:${command.id}`);
          tree.clock.setTimeout(() => resolve(context.nodeId), 300);
        }),
    });
    await settle(tree.clock, tree.tree.start());
    const pending = tree.tree.command('deploy', undefined, { timeoutMs: 10_000 });
    let result: CommandResult | undefined;
    void pending.then((r) => (result = r));
    await advance(tree.clock, 50);
    transport.drop = across('eu', 'eu-1');
    // Act: eu-1 finishes unheard, is suspected; then the partition heals
    await advance(tree.clock, 2_000);
    expect(tree.tree.snapshot().nodes['eu']!.links['eu-1']).toBe('unreachable');
    expect(result).toBeUndefined();
    transport.drop = () => false;
    await advance(tree.clock, 1_000);
    // Assert: the command completed everywhere, eu-1's handler ran once, eu-1 is back
    expect(result?.status).toBe('completed');
    expect(result?.outcomes.get('eu-1')).toEqual({ status: 'completed', result: 'eu-1' });
    expect(ran.filter((r) => r.startsWith('eu-1:'))).toHaveLength(1);
    expect(tree.events).toContainEqual(
      expect.objectContaining({ type: 'command', phase: 'reconciled', nodeId: 'eu' }),
    );
    expect(tree.tree.snapshot().nodes['eu']!.links['eu-1']).toBe('SYNCHRONIZED');
    expect(tree.tree.stateOf('eu')).toBe('SYNCHRONIZED');
    const reinits = tree.events.filter(
      (e) => e.type === 'message' && e.envelope.kind === 'COORD_INIT' && e.envelope.to === 'eu-1',
    );
    expect(reinits).toHaveLength(1); // the start's: a partition is healed by SYNC, not a restart
    await settle(tree.clock, tree.tree.shutdown());
  });

  it('should send again a command that never crossed the partition, once it heals', async () => {
    // Arrange: COMMANDs to eu-1 are lost for a while
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    const cut = across('eu', 'eu-1');
    transport.drop = (e) => cut(e) && e.kind === 'COORD_COMMAND';
    const pending = t.tree.command('deploy', undefined, { timeoutMs: 10_000 });
    let result: CommandResult | undefined;
    void pending.then((r) => (result = r));
    // Act: eu-1 is suspected for not acknowledging it, asked to SYNC, reports it missing, and
    // gets it again (and again, while COMMANDs are still lost)
    await advance(t.clock, 1_500);
    expect(result).toBeUndefined();
    transport.drop = () => false;
    await advance(t.clock, 1_500);
    // Assert: eu-1 reported it missing in its SYNC answer, got it again, ran it once
    expect(result?.status).toBe('completed');
    expect(t.executions.filter((r) => r.startsWith('eu-1:'))).toHaveLength(1);
    const missing = t.events.filter(
      (e) =>
        e.type === 'message' &&
        e.envelope.kind === 'COORD_STATUS' &&
        e.envelope.from === 'eu-1' &&
        (e.envelope.body.sync?.missing.length ?? 0) > 0,
    );
    expect(missing.length).toBeGreaterThan(0);
    await settle(t.clock, t.tree.shutdown());
  });
});
