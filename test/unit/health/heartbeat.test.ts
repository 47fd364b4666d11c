import { describe, expect, it } from 'vitest';
import {
  advance,
  createTestTree,
  settle,
  simulatedWire,
  testPolicy,
} from '../../helpers/simulation.js';
import { FaultInjectingTransport } from 'fractal-coord/testing';
import { DEFAULT_POLICY, type AnyEnvelope, type TreeEvent } from '../../helpers/imports.js';

/** The test policy with the default heartbeat and failure detector (1 s, phi 8, pause 3 s). */
const defaultHeartbeat = {
  ...testPolicy,
  heartbeat: {},
  timeouts: { ...testPolicy.timeouts, heartbeatMs: DEFAULT_POLICY.timeouts.heartbeatMs },
};

function sendTimes(events: TreeEvent[], kind: string, from: string, to: string): number[] {
  return events
    .filter(
      (e) =>
        e.type === 'message' &&
        e.envelope.kind === kind &&
        e.envelope.from === from &&
        e.envelope.to === to,
    )
    .map((e) => e.at);
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

describe('Heartbeat', () => {
  it('should suspect a crashed leaf within 8 heartbeat intervals at the defaults', async () => {
    // Arrange: a tree idle long enough for the interval to stretch to its maximum (2 s)
    const t = createTestTree({ policy: defaultHeartbeat });
    await settle(t.clock, t.tree.start());
    await advance(t.clock, 30_000, 50);
    const killedAt = t.clock.now();
    // Act
    t.tree.kill('eu-1');
    await advance(t.clock, 10_000, 50);
    // Assert: bound = acceptable pause 3 s + 2 × max interval 2 s + 6 × min std-dev 0.1 s = 7.6 s
    const suspected = t.events.find(
      (e) => e.type === 'link' && e.childId === 'eu-1' && e.to === 'unreachable',
    );
    expect(suspected).toBeDefined();
    const detectionMs = suspected!.at - killedAt;
    expect(detectionMs).toBeGreaterThan(DEFAULT_POLICY.heartbeat.acceptablePauseMs);
    expect(detectionMs).toBeLessThanOrEqual(8 * DEFAULT_POLICY.heartbeat.intervalMs);
    expect(t.tree.stateOf('eu')).toBe('DEGRADED');
    expect(t.tree.stateOf('root')).toBe('DEGRADED');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should stretch the interval to its maximum while healthy and halve it to its minimum on suspicion', async () => {
    // Arrange: recovery rounds far apart, so that every SYNC to eu-1 is a heartbeat round's
    const t = createTestTree({
      policy: { ...defaultHeartbeat, retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 } },
    });
    await settle(t.clock, t.tree.start());
    // Act: idle, then a crash
    await advance(t.clock, 30_000, 50);
    t.tree.kill('eu-1');
    await advance(t.clock, 15_000, 50);
    // Assert: pings of eu-1 stretch 1 000 → 1 250 → … → 2 000 ms and never beyond (timers
    // fire on the 50 ms steps of the simulated clock)
    const pings = gaps(sendTimes(t.events, 'COORD_HEARTBEAT', 'eu', 'eu-1'));
    expect(pings.slice(0, 3)).toEqual([1_250, 1_600, 2_000]);
    expect(Math.max(...pings)).toBe(2_000);
    expect(pings.at(-1)).toBe(2_000);
    // Once suspected, eu-1 is asked to SYNC each round, and the rounds halve down to 500 ms
    const suspectedAt = t.events.find(
      (e) => e.type === 'link' && e.childId === 'eu-1' && e.to === 'unreachable',
    )!.at;
    const syncs = gaps([suspectedAt, ...sendTimes(t.events, 'COORD_SYNC', 'eu', 'eu-1')]);
    expect(syncs.slice(0, 3)).toEqual([1_000, 500, 500]);
    expect(Math.min(...syncs)).toBe(DEFAULT_POLICY.heartbeat.minIntervalMs);
    expect(syncs.at(-1)).toBe(DEFAULT_POLICY.heartbeat.minIntervalMs);
    await settle(t.clock, t.tree.shutdown());
  });
});

describe('Heartbeat under jitter', () => {
  const leaves = ['eu-1', 'eu-2', 'eu-3', 'us-1', 'us-2'];
  const parentOf = (leaf: string) => leaf.slice(0, 2);

  async function suspicionsWithReplyDelay(delayMs: readonly [number, number]): Promise<number> {
    // Arrange: every leaf's messages to its parent are delayed by a random time in the range
    const faults = new FaultInjectingTransport(simulatedWire(), { seed: 5 });
    const t = createTestTree({ policy: defaultHeartbeat, transport: faults });
    await settle(t.clock, t.tree.start());
    for (const leaf of leaves) faults.setLink(leaf, parentOf(leaf), { delayMs });
    // Act: two idle minutes
    await advance(t.clock, 120_000, 50);
    const suspicions = t.events.filter((e) => e.type === 'link' && e.to === 'unreachable');
    await settle(t.clock, t.tree.shutdown());
    return suspicions.length;
  }

  it('should still ping a busy child that got nothing from its parent since the last round', async () => {
    // Arrange: eu-1 reports on its own every 50 ms (as a busy subtree would), so it is never quiet
    const transport = simulatedWire();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    const report = t.events.find(
      (e) => e.type === 'message' && e.envelope.from === 'eu-1' && e.envelope.to === 'eu',
    );
    const template = (report as { envelope: AnyEnvelope }).envelope;
    const status = (): AnyEnvelope => ({
      ...template,
      kind: 'COORD_STATUS',
      id: `chatter-${t.clock.now()}`,
      body: { state: 'SYNCHRONIZED', subtree: t.tree.snapshot().nodes['eu-1']!.subtree },
    });
    const from = t.clock.now();
    // Act
    for (let elapsed = 0; elapsed < 3_000; elapsed += 50) {
      transport.send(status());
      await advance(t.clock, 50);
    }
    // Assert: the parent kept sending to it at least once per round (the child watches its parent)
    const pings = sendTimes(t.events, 'COORD_HEARTBEAT', 'eu', 'eu-1').filter((at) => at > from);
    expect(pings.length).toBeGreaterThanOrEqual(3_000 / testPolicy.heartbeat!.intervalMs! / 2);
    expect(Math.max(...gaps([from, ...pings]))).toBeLessThanOrEqual(
      2 * DEFAULT_POLICY.heartbeat.intervalMs,
    );
    await settle(t.clock, t.tree.shutdown());
  });

  it('should not suspect children whose answers jitter within the acceptable pause', async () => {
    expect(await suspicionsWithReplyDelay([0, 2_500])).toBe(0);
  });

  it('should suspect children whose answers come later than the acceptable pause allows', async () => {
    expect(await suspicionsWithReplyDelay([6_000, 9_000])).toBeGreaterThan(0);
  });
});
