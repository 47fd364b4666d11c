import { describe, expect, it } from 'vitest';
import { FaultInjectingTransport } from 'fractal-coord/testing';
import {
  advance,
  createTestTree,
  settle,
  simulatedWire,
  testPolicy,
} from '../../helpers/simulation.js';
import { ReliableTransport } from '../../helpers/imports.js';

describe('ReliableTransport in a tree', () => {
  it('should report a link that stays silent past its budget to the supervisor, never retry it forever', async () => {
    // Arrange: a failure detector slow enough that only the link's own budget (1 s) can tell
    const faults = new FaultInjectingTransport(simulatedWire(), { seed: 3 });
    const transport = new ReliableTransport(faults, { resendInitialMs: 100, giveUpAfterMs: 1_000 });
    const t = createTestTree({
      transport,
      policy: {
        ...testPolicy,
        heartbeat: { intervalMs: 100, acceptablePauseMs: 60_000 },
        timeouts: { ...testPolicy.timeouts, heartbeatMs: 120_000 },
      },
    });
    await settle(t.clock, t.tree.start());
    const cutAt = t.clock.now();
    // Act
    faults.partition('eu', 'eu-1');
    await advance(t.clock, 3_000);
    // Assert: eu's stream to eu-1 gave up, and eu-1 is unreachable for eu's supervisor
    const gaveUp = t.events.find(
      (e) => e.type === 'delivery' && e.what === 'gave-up' && e.from === 'eu' && e.to === 'eu-1',
    );
    expect(gaveUp).toBeDefined();
    const suspected = t.events.find(
      (e) => e.type === 'link' && e.childId === 'eu-1' && e.to === 'unreachable',
    );
    expect(suspected?.at).toBe(gaveUp?.at);
    expect(suspected!.at - cutAt).toBeLessThan(2_000);
    expect(t.tree.stateOf('eu')).toBe('DEGRADED');
    // …and once the partition heals, eu-1 answers a SYNC and is back
    faults.heal('eu', 'eu-1');
    await advance(t.clock, 2_000);
    expect(t.tree.snapshot().nodes['eu']!.links['eu-1']).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('eu')).toBe('SYNCHRONIZED');
    await settle(t.clock, t.tree.shutdown());
  });
});
