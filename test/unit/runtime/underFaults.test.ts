import { describe, expect, it } from 'vitest';
import { FaultInjectingTransport } from 'fractal-coord/testing';
import {
  advance,
  createTestTree,
  pendingTimers,
  settle,
  simulatedWire,
} from '../../helpers/simulation.js';
import {
  ReliableTransport,
  type CommandResult,
  type CoordinationPolicy,
  type NodeSpec,
} from '../../helpers/imports.js';

/** 40 nodes: the root, 3 regions of 3 zones of 3 leaves each. */
function fortyNodes(): NodeSpec {
  const ids = ['a', 'b', 'c'];
  return {
    id: 'root',
    children: ids.map((r) => ({
      id: r,
      children: ids.map((z) => ({
        id: `${r}${z}`,
        children: ids.map((l) => ({ id: `${r}${z}${l}` })),
      })),
    })),
  };
}

/** Timeouts for a network that loses one envelope in five: acknowledgements take resends. */
const lossyPolicy: CoordinationPolicy = {
  timeouts: { initMs: 20_000, commandMs: 20_000, ackMs: 3_000, shutdownMs: 10_000 },
  heartbeat: { intervalMs: 200, acceptablePauseMs: 2_000 },
  retry: { initialDelayMs: 100, maxDelayMs: 1_000, jitter: 0.2 },
  restartBudget: { maxRestarts: 100, windowMs: 60_000 },
};

/** A seeded generator of numbers in [0, 1) (Park–Miller), for the tree's jitter and the scenario. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 16_807) % 2_147_483_647) % 1_000) / 1_000;
}

/** Every handler run counted by leaf and command: none may run twice. */
function reruns(executions: readonly string[]): string[] {
  const runs = new Map<string, number>();
  for (const run of executions) runs.set(run, (runs.get(run) ?? 0) + 1);
  return [...runs].filter(([, n]) => n > 1).map(([run]) => run);
}

describe('the runtime under faults', () => {
  for (const seed of [1, 2, 3]) {
    it(`should start, run 50 commands and shut down with 20 % drop, 10 % duplication and reordering (seed ${seed})`, async () => {
      // Arrange
      const faults = new FaultInjectingTransport(simulatedWire(), { seed });
      const transport = new ReliableTransport(faults, { resendInitialMs: 50, resendMaxMs: 400 });
      const t = createTestTree({
        spec: fortyNodes(),
        transport,
        policy: lossyPolicy,
        random: seeded(seed),
      });
      faults.setDefault({ drop: 0.2, duplicate: 0.1, reorder: 0.2, reorderMs: 30 });
      // Act
      const started = await settle(t.clock, t.tree.start());
      const results: CommandResult[] = [];
      for (let wave = 0; wave < 10; wave++) {
        const batch = Array.from({ length: 5 }, (_, i) => t.tree.command(`c${wave * 5 + i}`));
        results.push(...(await settle(t.clock, Promise.all(batch))));
      }
      faults.clear();
      await advance(t.clock, 20_000, 50);
      const snapshot = t.tree.snapshot();
      const shutdown = await settle(t.clock, t.tree.shutdown());
      // Assert
      console.log(
        `seed ${seed}: started ${started}; ${results.filter((r) => r.status === 'completed').length}/50 completed; faults ${JSON.stringify(faults.stats)}; reliable ${JSON.stringify(transport.stats)}`,
      );
      expect(['SYNCHRONIZED', 'DEGRADED']).toContain(started);
      expect(results).toHaveLength(50);
      for (const result of results) {
        const { completed, failed, skipped, timedOut } = result.counts;
        expect(completed + failed + skipped + timedOut).toBe(27); // every leaf accounted for
      }
      expect(reruns(t.executions)).toEqual([]); // at most once per command and leaf
      expect(faults.stats.dropped).toBeGreaterThan(0);
      expect(faults.stats.duplicated).toBeGreaterThan(0);
      expect(faults.stats.reordered).toBeGreaterThan(0);
      // Every fault applied is on the event stream.
      const faultEvents = (fault: string) =>
        t.events.filter((e) => e.type === 'fault' && e.fault === fault).length;
      expect(faultEvents('drop')).toBe(faults.stats.dropped);
      expect(faultEvents('duplicate')).toBe(faults.stats.duplicated);
      expect(faultEvents('reorder')).toBe(faults.stats.reordered);
      const states = Object.values(snapshot.nodes).map((n) => `${n.id}:${n.state}`);
      expect(states.filter((s) => !s.endsWith(':SYNCHRONIZED'))).toEqual([]);
      expect(shutdown.mode).toBe('drain');
      expect(t.tree.status).toBe('shutDown');
      expect(pendingTimers(t.clock)).toBe(0);
      t.expectConformance();
    });
  }

  for (const seed of [101, 102, 103]) {
    it(`should ride out partitions and crashes on top of the lossy network, and return to SYNCHRONIZED (seed ${seed})`, async () => {
      // Arrange
      const faults = new FaultInjectingTransport(simulatedWire(), { seed });
      const transport = new ReliableTransport(faults, { resendInitialMs: 50, resendMaxMs: 400 });
      const random = seeded(seed);
      const t = createTestTree({ spec: fortyNodes(), transport, policy: lossyPolicy, random });
      faults.setDefault({ drop: 0.2, duplicate: 0.1, reorder: 0.2, reorderMs: 30 });
      await settle(t.clock, t.tree.start());
      const ids = Object.keys(t.tree.snapshot().nodes).filter((id) => id !== 'root');
      const killed: string[] = [];
      const results: CommandResult[] = [];
      // Act: each wave of 5 commands meets a partition (some one-way) of up to 15 s or a crash
      for (let wave = 0; wave < 10; wave++) {
        const batch = Array.from({ length: 5 }, (_, i) => t.tree.command(`c${wave * 5 + i}`));
        const target = ids[Math.floor(random() * ids.length)]!;
        const parent = t.tree.snapshot().nodes[target]!.parentId!;
        const roll = random();
        if (roll < 0.4) faults.partition(parent, target, { oneWay: roll < 0.15 });
        else if (roll < 0.7 && t.tree.snapshot().nodes[target]!.alive) {
          t.tree.kill(target);
          killed.push(target);
        }
        await advance(t.clock, Math.floor(random() * 15_000), 10);
        faults.healAll();
        results.push(...(await settle(t.clock, Promise.all(batch))));
      }
      faults.clear();
      // Revive top-down (shorter ids are higher): a node under a killed ancestor comes back with it.
      for (const id of killed.sort((a, b) => a.length - b.length)) {
        if (!t.tree.snapshot().nodes[id]!.alive) t.tree.revive(id);
      }
      await advance(t.clock, 60_000, 50);
      const snapshot = t.tree.snapshot();
      const shutdown = await settle(t.clock, t.tree.shutdown());
      // Assert
      expect(reruns(t.executions)).toEqual([]);
      for (const { counts } of results) {
        expect(counts.completed + counts.failed + counts.skipped + counts.timedOut).toBe(27);
      }
      const states = Object.values(snapshot.nodes).map((n) => `${n.id}:${n.state}`);
      expect(states.filter((s) => !s.endsWith(':SYNCHRONIZED'))).toEqual([]);
      expect(shutdown.graceful).toBe(true);
      expect(pendingTimers(t.clock)).toBe(0);
      t.expectConformance();
    });
  }
});
