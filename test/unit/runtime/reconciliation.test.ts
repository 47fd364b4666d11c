import { describe, expect, it } from 'vitest';
import { FaultInjectingTransport } from 'fractal-coord/testing';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { advance, createTestTree, settle, simulatedWire } from '../../helpers/simulation.js';
import { ReliableTransport, type AnyEnvelope, type CommandResult } from '../../helpers/imports.js';

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

describe('fencing across a partition', () => {
  it('should drop resends of an older epoch, and still collect the answer through SYNC', async () => {
    // Arrange: over a reliable transport, eu-1 runs a 300 ms command and is cut off meanwhile
    const faults = new FaultInjectingTransport(simulatedWire(), { seed: 9 });
    const transport = new ReliableTransport(faults, { resendInitialMs: 100, resendMaxMs: 400 });
    const ran: string[] = [];
    const t = createTestTree({
      transport,
      handler: (command, context) =>
        new Promise((resolve) => {
          ran.push(`${context.nodeId}:${command.id}`);
          t.clock.setTimeout(() => resolve(context.nodeId), 300);
        }),
    });
    await settle(t.clock, t.tree.start());
    let result: CommandResult | undefined;
    void t.tree.command('deploy', undefined, { timeoutMs: 10_000 }).then((r) => (result = r));
    await advance(t.clock, 50);
    faults.partition('eu', 'eu-1');
    await advance(t.clock, 1_500);
    // Act: a manual recovery re-INITs eu-1 in a new epoch (blocked too), then the link heals
    void t.tree.recover('eu');
    await advance(t.clock, 500);
    faults.heal('eu', 'eu-1');
    await advance(t.clock, 3_000);
    // Assert: eu-1's resent answer of the old epoch was fenced, never acted on; a SYNC of the new
    // epoch collected it; eu-1 ran the command once
    expect(t.tree.stats.dropped['stale-epoch']).toBeGreaterThan(0);
    expect(result?.status).toBe('completed');
    expect(ran.filter((r) => r.startsWith('eu-1:'))).toHaveLength(1);
    expect(t.tree.stateOf('eu')).toBe('SYNCHRONIZED');
    await settle(t.clock, t.tree.shutdown());
  });
});

describe('reconciliation with a restarted child', () => {
  it('should not send a command again to a child that restarted since: an earlier incarnation may have run it', async () => {
    // Arrange: eu-1 runs a command, but its answer is lost; then it crashes and comes back fresh
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    transport.drop = (e) => e.from === 'eu-1' && e.kind === 'COORD_COMPLETE';
    let result: CommandResult | undefined;
    void t.tree.command('deploy', undefined, { timeoutMs: 10_000 }).then((r) => (result = r));
    await advance(t.clock, 50);
    expect(t.executions.filter((r) => r.startsWith('eu-1:'))).toHaveLength(1);
    t.tree.kill('eu-1');
    await advance(t.clock, 1_000); // suspected; the command still awaits it
    t.tree.revive('eu-1');
    // Its READY is lost, so eu still suspects it when it asks for a SYNC after the re-INIT
    transport.drop = (e) => e.from === 'eu-1' && e.kind === 'COORD_READY';
    void t.tree.recover('eu');
    // Act
    await advance(t.clock, 1_000);
    // Assert: the fresh eu-1 said the command was missing; it was not sent again
    expect(t.executions.filter((r) => r.startsWith('eu-1:'))).toHaveLength(1);
    expect(result?.outcomes.get('eu-1')).toEqual({ status: 'timedOut', leaves: 1 });
    transport.drop = () => false;
    await settle(t.clock, t.tree.shutdown());
  });
});
